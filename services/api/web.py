"""The console's HTTP API: a FastAPI application mounted on the service's HTTP surface.

The runner serves ``/healthz``, ``/readyz`` and ``/metrics``; everything else goes to this
application: ``/api/v1/...``, ``/openapi.json`` and ``/docs`` (Swagger UI, whose script and
style are served from here, never from a CDN), and the web page under ``/ui``
(:mod:`services.api.pages`). ``/openapi.json``, ``/docs`` and the login page need no token;
``/api/v1`` needs one (see :mod:`services.api.auth`), the web page a session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute, Mount

from services.api.actions import NotApplicable
from services.api.auth import guard
from services.api.context import Context
from services.api.cursor import CursorError
from services.api.errors import LimitBody, body, install_error_handlers
from services.api.pages import STATIC, STATIC_PATH, page_router
from services.api.routes_act import act_router
from services.api.routes_admin import admin_router
from services.api.routes_oncall import oncall_router
from services.api.routes_read import read_router
from services.api.routes_silences import silences_router

#: Swagger UI's script and style, as shipped in the fastapi-offline package.
SWAGGER_ASSETS: Final = Path(fastapi_offline.__file__).parent / "static"
ASSETS_PATH: Final = "/docs-assets"


async def _bad_cursor(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(body("invalid_request", str(exc)), status_code=400)


async def _not_applicable(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(body("conflict", str(exc)), status_code=409)


def build_api(ctx: Context) -> FastAPI:
    api = FastAPI(
        title="alertorch console",
        version="1",
        description="Alerts, their timelines, resolutions and analytics from the console's read "
        "model; actions become commands on the `commands` topic. Bearer tokens with roles "
        "viewer, operator, admin.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_error_handlers(api)
    api.add_exception_handler(CursorError, _bad_cursor)
    api.add_exception_handler(NotApplicable, _not_applicable)
    api.add_middleware(LimitBody)
    requires = guard(ctx.database)
    api.include_router(read_router(ctx, requires))
    api.include_router(act_router(ctx, requires))
    api.include_router(admin_router(ctx, requires))
    api.include_router(silences_router(ctx, requires))
    api.include_router(oncall_router(ctx, requires))
    api.mount(ASSETS_PATH, StaticFiles(directory=SWAGGER_ASSETS), name="docs-assets")
    api.include_router(page_router(ctx))
    api.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="ui-static")

    @api.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/ui", status_code=303)

    @api.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="alertorch console API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
        )

    return api


def routes(ctx: Context) -> list[BaseRoute]:
    """The route to add to the service: the API, under every path the runner does not serve."""
    return [Mount("", app=build_api(ctx))]
