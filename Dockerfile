# One image for every service: `docker run IMAGE <command>`, e.g. `analyzer --port 8002`,
# `topics`, `db upgrade`. See docs/deploy.md.
#
# - runs as uid 10001 (group 0, so platforms that pick an arbitrary uid in group 0 work too);
# - the root filesystem can be read-only: state lives only in PostgreSQL (ALERTORCH_STORAGE__URL)
#   or, on the SQLite default, under the volume /var/lib/alertorch; give /tmp a tmpfs;
# - the default configuration ships inside the package; mount your own folder and point
#   ALERTORCH_CONFIG_DIR at it (e.g. /etc/alertorch), or set single keys as
#   ALERTORCH_<SECTION>__<KEY>.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/alertorch
COPY pyproject.toml README.md ./
COPY config ./config
COPY shared ./shared
COPY services ./services
# `pip install .` copies the configuration (shared/config/defaults -> config/) into the package
# and compiles every module, so nothing is written at run time.
RUN /opt/alertorch/bin/pip install --no-cache-dir . \
    && /opt/alertorch/bin/python -m compileall -q /opt/alertorch/lib

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="alertorch" \
      org.opencontainers.image.description="Alert orchestration: ingest, analyzer, resolver, notifier" \
      org.opencontainers.image.licenses="MIT"
ENV PATH=/opt/alertorch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ALERTORCH_STORAGE__DATA_DIRECTORY=/var/lib/alertorch
RUN useradd --system --uid 10001 --gid 0 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin alertorch \
    && mkdir -p /var/lib/alertorch /app \
    && chown 10001:0 /var/lib/alertorch \
    && chmod 0770 /var/lib/alertorch
COPY --from=build /opt/alertorch /opt/alertorch
# The working directory stays root-owned and empty: nothing may be written there.
WORKDIR /app
VOLUME ["/var/lib/alertorch"]
USER 10001:0
EXPOSE 8001 8002 8003 8004
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["alertorch", "healthcheck"]
ENTRYPOINT ["alertorch"]
CMD ["--help"]
