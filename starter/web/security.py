"""Headers every response carries, and whether cookies are sent over HTTPS only.

The pages load GOV.UK Frontend's stylesheet and script from the tool itself (/assets); the one
inline script (GOV.UK's "js-enabled" marker) runs by a nonce made for each response
(:data:`CURRENT_NONCE`, which the templates read). The API's documentation (/docs, starter.web.docs)
loads Swagger UI from this site too; its policy differs only in what Swagger UI needs: no inline
script at all, and the API's own OpenAPI document and answers to "Try it out" (connect-src 'self').
"""

from __future__ import annotations

import os
import secrets
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The nonce this response's inline script carries (set per request by :class:`SecurityHeaders`).
CURRENT_NONCE: ContextVar[str | None] = ContextVar("cpj_csp_nonce", default=None)
PAGE_POLICY = ("default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
               "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
DOCS_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
DOCS_PATHS = ("/docs",)


def secure_cookies_from_env() -> bool:
    """``CPJ_SECURE_COOKIES`` (default on): off only for the embedded default on http://localhost."""
    return (os.environ.get("CPJ_SECURE_COOKIES") or "true").strip().lower() not in ("0", "false", "no", "off")


class SecurityHeaders:
    """Adds the security headers to every response (pages, API, errors, redirects); HSTS when served over HTTPS."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        policy = DOCS_POLICY if scope.get("path") in DOCS_PATHS else PAGE_POLICY.format(nonce=nonce)
        token = CURRENT_NONCE.set(nonce)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = policy
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers.setdefault("Cache-Control", "no-store")
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        finally:
            CURRENT_NONCE.reset(token)
