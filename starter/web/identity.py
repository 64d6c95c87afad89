"""Who is asking: ``signed_in``, the one dependency every route that shows or changes a case goes through.

A person is known by their session (a cookie naming a row in the records database); a service by
``Authorization: Bearer <key>`` (a key made by ``cpj service-key create``). A page asked for
without a session is redirected to the sign-in page; an API call without a key or session gets
401 with a sentence. The actor is kept on ``request.state.actor`` for the audit log.

A browser's POST must carry the session's CSRF token: a form's hidden ``csrf_token`` field (every
form the templates render has one, beside ``{{ csrf_field }}``) or an ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
from contextvars import ContextVar
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from starter.identity import Actor

if TYPE_CHECKING:
    from starter.accounts import IdentityStore, SessionRow

SESSION_COOKIE = "cpj_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

#: The CSRF token of the request being answered, for the hidden field every POST form gets.
CURRENT_CSRF: ContextVar[str | None] = ContextVar("cpj_csrf", default=None)
#: The staff number of the person signed in, for the page's header.
CURRENT_STAFF_REF: ContextVar[str | None] = ContextVar("cpj_staff_ref", default=None)
#: Who is signed in, so a page offers only what they may do (the routes check again).
CURRENT_ACTOR: ContextVar[Actor | None] = ContextVar("cpj_actor", default=None)
#: The path being answered, so the navigation marks where the person is.
CURRENT_PATH: ContextVar[str] = ContextVar("cpj_path", default="/")

# Declared for the OpenAPI document (both schemes); signed_in reads the request itself.
bearer_scheme = HTTPBearer(auto_error=False, description="A service key from `cpj service-key create`.")
session_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                              description="A person's session, from signing in at /sign-in.")


class NotSignedIn(Exception):
    """Nobody (or no valid key) behind the request; answered with a redirect (pages) or 401 (API)."""

    def __init__(self, message: str, *, next_path: str = "/") -> None:
        super().__init__(message)
        self.next_path = next_path


class CsrfRefused(Exception):
    """A browser's POST without the session's CSRF token; answered with 403 and nothing changes."""


class ForgetsTheLastRequest:
    """Each request starts with no CSRF token or staff number for its pages, and leaves none behind.

    A server that runs requests one after another in one task (a test's client does) would otherwise
    show one request's token on the next one's page.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        csrf, staff = CURRENT_CSRF.set(None), CURRENT_STAFF_REF.set(None)
        actor, path = CURRENT_ACTOR.set(None), CURRENT_PATH.set(str(scope.get("path") or "/"))
        try:
            await self.app(scope, receive, send)
        finally:
            CURRENT_CSRF.reset(csrf)
            CURRENT_STAFF_REF.reset(staff)
            CURRENT_ACTOR.reset(actor)
            CURRENT_PATH.reset(path)


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def identity_store(request: Request) -> IdentityStore:
    return request.app.state.identity()


async def signed_in(
    request: Request,
    _bearer: object = Depends(bearer_scheme),
    _session: object = Depends(session_scheme),
) -> Actor:
    """The person or service behind the request (``request.state.actor``), or :class:`NotSignedIn`."""
    known = getattr(request.state, "actor", None)
    if isinstance(known, Actor):
        return known
    store = identity_store(request)
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme:
        actor = await run_in_threadpool(store.service_actor, key.strip()) if scheme.lower() == "bearer" else None
        if actor is None:
            raise NotSignedIn("that key is not known, or it was revoked")
        request.state.actor = actor
        return actor
    token = request.cookies.get(SESSION_COOKIE, "")
    session = await run_in_threadpool(store.session, token) if token else None
    if session is None:
        raise NotSignedIn("sign in first: this needs a person signed in, or a service key",
                          next_path=_here(request))
    await _check_csrf(request, session)
    request.state.actor = session.actor
    request.state.session = session
    CURRENT_CSRF.set(session.csrf_token)
    CURRENT_STAFF_REF.set(session.actor.ref)
    CURRENT_ACTOR.set(session.actor)
    return session.actor


async def maybe_signed_in(request: Request) -> Actor | None:
    """The actor if the request has a session or key, else ``None`` (pages anyone may see)."""
    try:
        return await signed_in(request)
    except NotSignedIn:
        return None


async def _check_csrf(request: Request, session: SessionRow) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        # request.form() is cached on the request: the route reads the same form afterwards.
        sent = str((await request.form()).get(CSRF_FIELD) or "")
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise CsrfRefused("this form is out of date or did not come from this site: nothing was changed. "
                          "Open the page again and send it from there.")


def _here(request: Request) -> str:
    if request.method != "GET":
        return "/"
    query = f"?{request.url.query}" if request.url.query else ""
    return quote(request.url.path + query, safe="/?=&-_.~%")
