"""The admin tool (HTML, for operations staff) and the service API (JSON, for other services).

Both go through :class:`starter.client.Journeys`, the one place that talks to
Temporal; nothing here decides whether an event fits a journey (the workflow's
validators do) or what a deadline is (``domain.deadlines`` does).

Everything that shows or changes a case is behind sign-in (``starter.web.identity.signed_in``): a
person's session or a service's key; the sign-in routes themselves are ``starter.web.sign_in``.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from starter.accounts import IdentityStore
from starter.web.admin import admin_router
from starter.web.caseload import caseload_router
from starter.web.codec import add_codec_server
from starter.web.api import api_router
from starter.web.connection import JourneysFactory, shared_journeys
from starter.web.docs import add_api_docs
from starter.web.event_pages import event_pages_router
from starter.web.errors import ApiJSONResponse, BodyLimit, add_error_handlers, error_page
from starter.web.identity import CsrfRefused, ForgetsTheLastRequest, NotSignedIn, is_api_path, signed_in
from starter.web.security import SecurityHeaders, secure_cookies_from_env
from starter.web.metrics import metrics_router
from starter.web.health import health_router
from starter.web.sign_in import OidcSettings, sign_in_router
from starter.web.register import register_router
from starter.web.imports import imports_router
from starter.web.census import census_router
from starter.web.reports import reports_router
from starter.web.templating import STATIC


def create_app(
    journeys_factory: JourneysFactory | None = None,
    *,
    identity: IdentityStore | None = None,
    oidc: OidcSettings | None = None,
    secure_cookies: bool | None = None,
) -> FastAPI:
    """The admin tool and the service API, behind sign-in.

    ``journeys_factory`` defaults to connecting to Temporal; ``identity`` (accounts, sessions, keys)
    to the records database; ``oidc`` to the ``CPJ_OIDC_*`` settings; ``secure_cookies`` to
    ``CPJ_SECURE_COOKIES`` (on unless turned off for http://localhost).
    """
    journeys = shared_journeys(journeys_factory)
    oidc = oidc if oidc is not None else OidcSettings.from_env()
    secure = secure_cookies_from_env() if secure_cookies is None else secure_cookies
    app = FastAPI(
        title="cp-journeys",
        description="Child protection case journeys: the service API (/api) and the admin tool (/).",
        version="0.1.0",
        # Our own /docs instead (starter.web.docs): FastAPI's loads Swagger UI from a CDN.
        docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
    )
    add_error_handlers(app)
    add_sign_in_handlers(app)
    app.state.identity = _lazy_store(identity)
    # Only the OpenID provider's round trip (state, nonce, PKCE verifier) lives in this signed cookie;
    # the session itself is a row in the records database. CPJ_SESSION_SECRET when several processes serve.
    app.add_middleware(SessionMiddleware, secret_key=os.environ.get("CPJ_SESSION_SECRET") or secrets.token_urlsafe(32),
                       session_cookie="cpj_oidc", max_age=600, same_site="lax", https_only=secure)
    # Around every route, so an oversized body is refused before anything reads or parses it.
    app.add_middleware(BodyLimit)
    app.add_middleware(ForgetsTheLastRequest)
    # Outermost: every response carries them, a refusal by the body limit included.
    app.add_middleware(SecurityHeaders, hsts=secure)
    # GOV.UK Frontend and our few additions: public, so the sign-in page is styled too.
    app.mount("/assets", StaticFiles(directory=STATIC), name="assets")
    add_api_docs(app)
    app.include_router(sign_in_router(oidc, secure_cookies=secure))
    app.include_router(health_router(journeys))  # /healthz and /readyz: public, no case in them
    # Every route that shows or changes a case needs someone signed in (the permissions add the roles).
    signed_in_first = [Depends(signed_in)]
    app.include_router(api_router(journeys), dependencies=signed_in_first)
    app.include_router(caseload_router(journeys), dependencies=signed_in_first)
    # Before the admin router: /journeys/new is a page of its own, not a case reference.
    app.include_router(event_pages_router(journeys), dependencies=signed_in_first)
    app.include_router(admin_router(journeys), dependencies=signed_in_first)
    app.include_router(register_router(journeys), dependencies=signed_in_first)
    app.include_router(imports_router(journeys), dependencies=signed_in_first)
    app.include_router(census_router(), dependencies=signed_in_first)
    app.include_router(reports_router(), dependencies=signed_in_first)
    # Prometheus's scrape token or an administrator: its own check (starter.web.metrics), so not signed_in_first.
    app.include_router(metrics_router())
    add_codec_server(app)  # the Temporal UI's codec server: its own sign-in check and CORS (starter.web.codec)
    return app


def _lazy_store(identity: IdentityStore | None) -> Callable[[], IdentityStore]:
    """The app's accounts and sessions; on the records database, opened (and upgraded) on first use."""
    made: list[IdentityStore] = [identity] if identity is not None else []
    lock = threading.Lock()

    def store() -> IdentityStore:
        if not made:
            with lock:
                if not made:
                    from activities.db import make_engine

                    made.append(IdentityStore(make_engine()))
        return made[0]

    return store


def add_sign_in_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, err: NotSignedIn) -> Response:
        if is_api_path(request.url.path):
            return ApiJSONResponse({"detail": str(err)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse(f"/sign-in?next={err.next_path}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, err: CsrfRefused) -> Response:
        if is_api_path(request.url.path):
            return ApiJSONResponse({"detail": str(err)}, status_code=403)
        return error_page(403, "Form out of date", str(err))
