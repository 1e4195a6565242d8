"""The console's web page, under ``/ui``: the inbox with the Slack buttons' actions, each
alert's timeline, dashboards (error analysis, resolution performance, system health, business
impact). Server-rendered with Jinja2 (every value escaped: error text is inert), its style and
script served from here (no CDN), a Content-Security-Policy that allows no inline script.

A person logs in with a console token and gets a session cookie (``HttpOnly``,
``SameSite=Strict``; see :mod:`services.api.sessions`); every form carries the session's CSRF
token. Acting needs the operator role, as in the REST API; an action becomes the same command.
Pages refresh themselves: the script asks for the page's main part again every few seconds.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, get_args
from urllib.parse import parse_qs, quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.api import acting, actions, queries, silences
from services.api.actions import AlertAction, NotApplicable
from services.api.analytics import Window
from services.api.context import Context
from services.api.errors import ApiError
from services.api.report import gather
from services.api.routes_silences import SilenceBody
from services.api.routes_silences import end as end_silence
from services.api.routes_silences import make as make_silence
from services.api.sessions import COOKIE, SESSION_SECONDS, Session, close_session, open_session
from services.api.sessions import session_of as find_session
from services.api.tokens import verify_token
from services.api.views import alert_view
from shared.durations import parse_duration
from shared.events import SILENCE_MATCHERS, Matchers
from shared.oncall import answer_view
from shared.stack_trace import error_text

TEMPLATES: Final = Path(__file__).parent / "templates"
STATIC: Final = Path(__file__).parent / "static"
STATIC_PATH: Final = "/ui/static"
#: The longest window the dashboards show (as GET /api/v1/analytics).
DASHBOARD_MAX_SECONDS: Final = 30 * 86400.0
#: A form is small: a token, a CSRF token, an action's few fields.
FORM_LIMIT: Final = 8192
HEADERS: Final = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
OPEN_STATUSES: Final = ("open", "acknowledged", "snoozed")
ACTION_LABELS: Final[dict[str, str]] = {
    "ack": "Acknowledge",
    "snooze": "Snooze 1h",
    "escalate": "Escalate",
    "resolve": "Resolve",
    "approve": "Approve fix",
    "reject": "Reject fix",
    "rollback": "Roll back",
    "create_issue": "Create issue",
}


def _when(at: float | None) -> str:
    if at is None:
        return "—"
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


ENV: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _headline(title: str | None) -> str | None:
    """A problem's title as a list or a heading shows it: a stack trace in it left out, the
    line that names the error first (the alert's page shows the whole title too)."""
    return error_text(title) if title else title


ENV.filters["when"] = _when
ENV.filters["headline"] = _headline
ENV.globals.update(static=STATIC_PATH, labels=ACTION_LABELS)


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, each field's first value."""
    body = await request.body()
    if len(body) > FORM_LIMIT:
        raise ApiError(413, "too_large", "form too large")
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
    except ValueError:
        raise ApiError(400, "invalid_request", "too many form fields") from None
    return {name: values[0] for name, values in fields.items()}


def _hours(value: str | None, default: float | None) -> float | None:
    """A number of hours from a form field: positive, finite, at most 90 days."""
    if not value:
        return default
    hours = float(value)
    if not 0 < hours <= 90 * 24:
        raise ValueError(f"{value!r} hours: give a number above 0 and at most 2160")
    return hours


def _next_path(value: str | None) -> str:
    """Where to go after logging in: only a page of ours."""
    if value and value.startswith("/ui") and not value.startswith("//"):
        return value
    return "/ui"


def _same_site(request: Request) -> bool:
    """Whether a form post comes from a page of ours (the browser says so): a login form on
    another site must not log a person in with someone else's token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    forwarded = f"https://{request.url.netloc}"
    return origin is None or origin in (own, forwarded)


def _may_act(session: Session, form: dict[str, str]) -> str | None:
    """Why ``session`` may not act with ``form`` (its CSRF token, its role), or None."""
    if not session.csrf_ok(form.get("csrf")):
        return "The form is out of date: reload the page."
    if not session.token.allows("operator"):
        return f"Acting needs the operator role; your token is {session.token.role}."
    return None


def page_router(ctx: Context) -> APIRouter:
    router = APIRouter(prefix="/ui", include_in_schema=False)

    def render(
        request: Request, name: str, session: Session | None, status: int = 200, **values: Any
    ) -> HTMLResponse:
        html = ENV.get_template(name).render(
            session=session,
            partial=request.headers.get("x-partial") == "1",
            path=request.url.path,
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    async def current(request: Request) -> Session | None:
        return await find_session(ctx.database, request.cookies.get(COOKIE), ctx.clock.time())

    def to_login(request: Request) -> Response:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/ui/login?next={target}", status_code=303, headers=HEADERS)

    def refused(request: Request, session: Session | None, status: int, why: str) -> Response:
        return render(request, "error.html", session, status=status, message=why)

    async def allowed_to_act(
        request: Request, right: str | None
    ) -> tuple[Session, dict[str, str]] | Response:
        """The session and form of a request to act, or the answer that refuses it: no session,
        a stale form or no operator role (:func:`_may_act`), or no Slack ``right``."""
        session = await current(request)
        if session is None:
            return to_login(request)
        form = await _form(request)
        if (problem := _may_act(session, form)) is not None:
            return refused(request, session, 403, problem)
        if right and (why := await ctx.slack_rights.refusal(session.token, right)) is not None:
            return refused(request, session, 403, why)
        return session, form

    @router.get("/login")
    async def login_page(request: Request, next: str | None = None) -> Response:
        return render(request, "login.html", None, next=_next_path(next), error=None)

    @router.post("/login")
    async def login(request: Request) -> Response:
        if not _same_site(request):
            return refused(request, None, 403, "Log in from the console's own page.")
        form = await _form(request)
        target = _next_path(form.get("next"))
        token = await verify_token(ctx.database, form.get("token", "").strip())
        if token is None:
            error = "That token is unknown or revoked."
            return render(request, "login.html", None, status=401, next=target, error=error)
        secret, _ = await open_session(ctx.database, token, ctx.clock.time())
        response = RedirectResponse(target, status_code=303, headers=HEADERS)
        response.set_cookie(
            COOKIE,
            secret,
            max_age=int(SESSION_SECONDS),
            path="/",
            httponly=True,
            samesite="strict",
            # behind a TLS-terminating proxy the request arrives as http
            secure=request.url.scheme == "https"
            or request.headers.get("x-forwarded-proto") == "https",
        )
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        session = await current(request)
        form = await _form(request)
        if session is not None and not session.csrf_ok(form.get("csrf")):
            return refused(request, session, 403, "The form is out of date: reload the page.")
        await close_session(ctx.database, request.cookies.get(COOKIE))
        response = RedirectResponse("/ui/login", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path="/")
        return response

    @router.get("")
    async def inbox(request: Request) -> Response:
        session = await current(request)
        if session is None:
            return to_login(request)
        async with ctx.database.transaction() as db:
            page = await queries.list_alerts(
                db, queries.AlertFilter(), sort="-last_seen", limit=200, after=None
            )
            latest = await queries.inbox(db, limit=30, after=None)
        alerts = [a for a in page.items if a.status in OPEN_STATUSES][:100]
        now = datetime.fromtimestamp(ctx.clock.time(), UTC)
        return render(
            request,
            "inbox.html",
            session,
            alerts=[(alert_view(a), actions.available(a)) for a in alerts],
            oncall=[answer_view(answer) for answer in await ctx.oncall.answers(now)],
            notifications=latest.items,
            key=secrets.token_urlsafe(12),
        )

    @router.get("/alerts/{fingerprint}")
    async def alert_page(
        request: Request,
        fingerprint: str,
        sent: str | None = None,
        silenced: str | None = None,
    ) -> Response:
        session = await current(request)
        if session is None:
            return to_login(request)
        async with ctx.database.transaction() as db:
            alert = await queries.get_alert(db, fingerprint)
            timeline = await queries.alert_timeline(db, fingerprint, limit=500, after=None)
        if alert is None or alert.title is None:
            return refused(request, session, 404, "No such alert.")
        return render(
            request,
            "alert.html",
            session,
            alert=alert_view(alert),
            available=actions.available(alert),
            timeline=timeline.items,
            sent=sent if sent in ACTION_LABELS else None,
            silenced=silenced,
            key=secrets.token_urlsafe(12),
        )

    @router.post("/alerts/{fingerprint}/actions/{action}")
    async def act(request: Request, fingerprint: str, action: str) -> Response:
        known = action in get_args(AlertAction)
        allowed = await allowed_to_act(request, action if known else None)
        if isinstance(allowed, Response):
            return allowed
        session, form = allowed
        if not known:
            return refused(request, session, 404, "No such action.")
        try:
            alert = await acting.find_alert(ctx, fingerprint)
            request_ = actions.Request(
                action=action,  # type: ignore[arg-type]
                actor=session.token.actor(),
                attempt_id=actions.attempt_for(action, alert, None),
                snooze_seconds=3600 if action == "snooze" else None,
            )
            event_id = actions.command_id(session.token.token_id, form.get("key") or None)
            await acting.publish(ctx, request_, alert, event_id)
        except NotApplicable as exc:
            return refused(request, session, 409, str(exc))
        except ApiError as exc:
            return refused(request, session, exc.status_code, str(exc.detail))
        back = f"/ui/alerts/{quote(fingerprint, safe='')}?sent={action}"
        return RedirectResponse(back, status_code=303, headers=HEADERS)

    @router.get("/silences")
    async def silences_page(request: Request, done: str | None = None) -> Response:
        session = await current(request)
        if session is None:
            return to_login(request)
        async with ctx.database.transaction() as db:
            found = await silences.listing(db, state=None, now=ctx.clock.time(), limit=200)
        return render(request, "silences.html", session, silences=found, done=done, error=None)

    @router.post("/silences")
    async def silence(request: Request) -> Response:
        allowed = await allowed_to_act(request, "silence")
        if isinstance(allowed, Response):
            return allowed
        session, form = allowed
        try:
            matchers = {k: form[k].strip() for k in SILENCE_MATCHERS if form.get(k, "").strip()}
            hours = _hours(form.get("hours"), 1.0) or 1.0
            unused = _hours(form.get("unused_hours"), None)
            body = SilenceBody(
                matchers=Matchers.model_validate(matchers),
                reason=form.get("reason", "").strip() or "silenced from the console",
                duration_seconds=round(hours * 3600),
                until_resolved=form.get("until_resolved") == "on",
                expire_if_unused_seconds=round(unused * 3600) if unused else None,
            )
            made = make_silence(ctx, body, session.token)
            await ctx.publish(silences.outputs(made, "silence_created", session.token.actor()))
        except (ValueError, ValidationError) as exc:
            return refused(request, session, 422, f"Not a silence: {exc}")
        except ApiError as exc:
            return refused(request, session, exc.status_code, str(exc.detail))
        back = form.get("back", "")
        target = back if back.startswith("/ui/alerts/") else "/ui/silences"
        done = quote(made.data.silence_id)
        return RedirectResponse(f"{target}?silenced={done}", status_code=303, headers=HEADERS)

    @router.post("/silences/{silence_id}/expire")
    async def expire_silence(request: Request, silence_id: str) -> Response:
        allowed = await allowed_to_act(request, "silence")
        if isinstance(allowed, Response):
            return allowed
        session, _ = allowed
        try:
            gone = await end_silence(ctx, silence_id, session.token)
            await ctx.publish(silences.outputs(gone, "silence_ended", session.token.actor()))
        except ApiError as exc:
            return refused(request, session, exc.status_code, str(exc.detail))
        done = quote(silence_id)
        return RedirectResponse(f"/ui/silences?done={done}", status_code=303, headers=HEADERS)

    @router.get("/dashboard")
    async def dashboard(request: Request, since: str = "24h") -> Response:
        session = await current(request)
        if session is None:
            return to_login(request)
        try:
            seconds = parse_duration(since)
        except ValueError:
            seconds, since = 86400.0, "24h"
        if seconds > DASHBOARD_MAX_SECONDS:
            seconds, since = DASHBOARD_MAX_SECONDS, "30d"
        now = ctx.clock.time()
        async with ctx.database.transaction() as db:
            report = await gather(db, Window.spanning(now - seconds, now))
            counts = await queries.status_counts(db)
            impact = await queries.list_alerts(
                db, queries.AlertFilter(), sort="-impact", limit=50, after=None
            )
        consumers, consumers_error = await ctx.consumer_groups()
        buckets = report["processing"]["buckets"]
        peak = max((b["count"] for b in buckets), default=0) or 1
        return render(
            request,
            "dashboard.html",
            session,
            since=since,
            report=report,
            buckets=buckets,
            peak=peak,
            counts=counts,
            consumers=consumers,
            consumers_error=consumers_error,
            impact=[
                alert_view(a)
                for a in impact.items
                if a.impact_score is not None and a.status in OPEN_STATUSES
            ][:15],
        )

    return router
