# One image for every service: `docker run IMAGE <service>`, e.g. `analyzer --port 8002`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install . && useradd --system --uid 10001 alertorch
COPY config ./config
USER alertorch
ENTRYPOINT ["alertorch"]
CMD ["--help"]
