"""Signing in and out: a council's OpenID provider, local accounts, and the first administrator's one-time link.

Routes::

    GET  /sign-in?next=           the sign-in page: the provider's button (if configured) and the local form
    POST /sign-in                 a local account's staff number and password; a session, then 303 to next
    GET  /sign-in/oidc            to the council's identity provider (OpenID Connect, authorization code + PKCE)
    GET  /sign-in/oidc/callback   back from the provider: its groups become roles, a session, then 303 to next
    POST /sign-out                ends the session
    GET  /first-run/{token}       the one-time link printed by ``cpj up``: a form for the first administrator
    POST /first-run/{token}       creates the first administrator (once) and signs them in

The provider is configured from the environment (see :class:`OidcSettings`); local accounts always
work, and are the embedded default's only way in.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from starter.accounts import REF_PATTERN, AccountError, IdentityStore
from starter.identity import Actor
from starter.roles import Role
from starter.web.identity import CSRF_FIELD, CURRENT_CSRF, SESSION_COOKIE, identity_store, maybe_signed_in
from starter.web.templating import render

log = logging.getLogger("cpj.web")

#: A form shown before anyone is signed in (sign-in, first run) is protected by a cookie it must match.
FORM_COOKIE = "cpj_form"


@dataclass(frozen=True)
class OidcSettings:
    """The council's identity provider, from ``CPJ_OIDC_*``; sign-in with it is offered only when set.

    ``CPJ_OIDC_ROLES`` maps the provider's groups (names, or object ids for Microsoft Entra ID) to
    roles, as JSON: ``{"cpj-team-managers": "team_manager", ...}``; a person in no mapped group
    cannot sign in. ``CPJ_OIDC_STAFF_CLAIM`` names the claim holding the staff number (never a name).
    """

    issuer: str
    client_id: str
    client_secret: str
    roles: dict[str, Role]
    groups_claim: str = "groups"
    staff_claim: str = "employee_id"
    scope: str = "openid profile"
    redirect_uri: str | None = None
    label: str = "your council account"

    @classmethod
    def from_env(cls) -> OidcSettings | None:
        issuer = (os.environ.get("CPJ_OIDC_ISSUER") or "").strip()
        if not issuer:
            return None
        missing = [name for name in ("CPJ_OIDC_CLIENT_ID", "CPJ_OIDC_CLIENT_SECRET", "CPJ_OIDC_ROLES")
                   if not os.environ.get(name)]
        if missing:
            raise SystemExit(f"error: CPJ_OIDC_ISSUER is set but {', '.join(missing)} is not")
        return cls(
            issuer=issuer.rstrip("/"),
            client_id=os.environ["CPJ_OIDC_CLIENT_ID"],
            client_secret=os.environ["CPJ_OIDC_CLIENT_SECRET"],
            roles=role_mapping(os.environ["CPJ_OIDC_ROLES"]),
            groups_claim=os.environ.get("CPJ_OIDC_GROUPS_CLAIM") or "groups",
            staff_claim=os.environ.get("CPJ_OIDC_STAFF_CLAIM") or "employee_id",
            scope=os.environ.get("CPJ_OIDC_SCOPE") or "openid profile",
            redirect_uri=os.environ.get("CPJ_OIDC_REDIRECT_URI") or None,
            label=os.environ.get("CPJ_OIDC_LABEL") or "your council account",
        )

    def roles_for(self, groups: Any) -> frozenset[Role]:
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list):
            return frozenset()
        return frozenset(self.roles[group] for group in groups if isinstance(group, str) and group in self.roles)


def role_mapping(text: str) -> dict[str, Role]:
    """``CPJ_OIDC_ROLES``: a JSON object from group to role; a role we do not have stops the start."""
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as err:
        raise SystemExit(f"error: CPJ_OIDC_ROLES is not JSON: {err}") from None
    if not isinstance(mapping, dict) or not mapping:
        raise SystemExit('error: CPJ_OIDC_ROLES is a JSON object from group to role, e.g. {"cpj-chairs": "conference_chair"}')
    known = {role.value for role in Role}
    wrong = sorted(str(role) for role in mapping.values() if role not in known)
    if wrong:
        raise SystemExit(f"error: CPJ_OIDC_ROLES names roles we do not have: {', '.join(wrong)}; "
                         f"the roles are: {', '.join(sorted(known))}")
    return {str(group): Role(role) for group, role in mapping.items()}


def safe_next(value: str | None) -> str:
    """Only a path on this site: an open redirect would let a link send someone elsewhere after sign-in."""
    value = value or "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def sign_in_router(oidc: OidcSettings | None, *, secure_cookies: bool) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    oauth_client = _oauth_client(oidc) if oidc else None

    def set_session_cookie(response: Response, token: str, store: IdentityStore) -> None:
        response.set_cookie(SESSION_COOKIE, token, max_age=int(store.absolute.total_seconds()), httponly=True,
                            secure=secure_cookies, samesite="lax", path="/")
        response.delete_cookie(FORM_COOKIE, path="/", secure=secure_cookies, httponly=True, samesite="lax")

    def form_page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A page with a form for someone not signed in yet: its token is a cookie the POST must match."""
        token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)
        CURRENT_CSRF.set(token)
        response = render(template, status_code, **context)
        response.set_cookie(FORM_COOKIE, token, httponly=True, secure=secure_cookies, samesite="lax", path="/")
        return response

    async def form_checked(request: Request) -> dict[str, str] | None:
        form = await request.form()
        sent = str(form.get(CSRF_FIELD) or "")
        expected = request.cookies.get(FORM_COOKIE) or ""
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return None
        return {key: str(value) for key, value in form.items() if isinstance(value, str)}

    def sign_in_page(request: Request, next_path: str, message: str | None = None, status_code: int = 200,
                     staff_ref: str = "", field: str | None = None) -> HTMLResponse:
        """The sign-in page; ``message`` what went wrong, beside ``field`` when it is about one."""
        return form_page(
            request, "sign_in.html", status_code, title="Sign in", next_path=next_path, staff_ref=staff_ref,
            banner={"heading": "You have signed out"} if request.query_params.get("signed_out") == "1" else None,
            provider_label=oidc.label if oidc else None, provider_href=f"/sign-in/oidc?next={quote(next_path)}",
            **problem(message, field))

    @router.get("/sign-in", response_class=HTMLResponse)
    async def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
        actor = await maybe_signed_in(request)
        if actor is not None:
            # The header has the sign-out form; someone else signing in here signs out first.
            return render("signed_in.html", title="Signed in", next_path=safe_next(next))
        return sign_in_page(request, safe_next(next))

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        form = await form_checked(request)
        if form is None:
            return sign_in_page(request, "/", "This form is out of date: please sign in again.", 403)
        store = identity_store(request)
        staff_ref, next_path = form.get("staff_ref", "").strip(), safe_next(form.get("next"))
        actor = await run_in_threadpool(store.password_actor, staff_ref, form.get("password", ""))
        if actor is None:
            # The same words whether the staff number or the password was wrong.
            log.info("local sign-in refused")
            return sign_in_page(request, next_path, "That staff number and password do not match an account "
                                "that may sign in.", 401, staff_ref=staff_ref, field="staff_ref")
        return await signed_in_response(request, store, actor, "local", next_path)

    async def signed_in_response(request: Request, store: IdentityStore, actor: Actor, how: str,
                                 next_path: str) -> Response:
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            # A new session for every sign-in: a token set before signing in is never the signed-in one.
            await run_in_threadpool(store.close_session, old)
        token = await run_in_threadpool(store.open_session, actor, how)
        log.info("signed in", extra={"staff_ref": actor.ref, "with": how})
        response = RedirectResponse(next_path, status_code=303)
        set_session_cookie(response, token, store)
        return response

    @router.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        from starter.web.identity import signed_in  # the session's CSRF token is checked there

        await signed_in(request)
        store = identity_store(request)
        await run_in_threadpool(store.close_session, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", secure=secure_cookies, httponly=True, samesite="lax")
        return response

    # -- the council's identity provider ----------------------------------------------------------

    @router.get("/sign-in/oidc")
    async def oidc_start(request: Request, next: str = "/") -> Response:
        if oauth_client is None or oidc is None:
            return sign_in_page(request, "/", "Signing in with an identity provider is not set up here.", 404)
        request.session["cpj_next"] = safe_next(next)
        redirect_uri = oidc.redirect_uri or str(request.url_for("oidc_callback"))
        return await oauth_client.authorize_redirect(request, redirect_uri)

    @router.get("/sign-in/oidc/callback", name="oidc_callback")
    async def oidc_callback(request: Request) -> Response:
        from authlib.integrations.base_client import OAuthError

        if oauth_client is None or oidc is None:
            return sign_in_page(request, "/", "Signing in with an identity provider is not set up here.", 404)
        try:
            token = await oauth_client.authorize_access_token(request)
        except OAuthError as err:
            log.info("OpenID sign-in refused: %s", err.error)
            return sign_in_page(request, "/", "The identity provider did not sign you in; please try again.", 401)
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        if oidc.groups_claim not in claims or oidc.staff_claim not in claims:
            # Some providers put groups only in the ID token, others only in userinfo: ask for the rest.
            try:
                for key, value in dict(await oauth_client.userinfo(token=token)).items():
                    claims.setdefault(key, value)
            except Exception as err:  # a provider without userinfo: the ID token is all there is
                log.info("OpenID userinfo not available: %s", type(err).__name__)
        staff_ref = str(claims.get(oidc.staff_claim) or "")
        if not REF_PATTERN.fullmatch(staff_ref):
            return sign_in_page(request, "/", f"Your account has no staff number in its {oidc.staff_claim!r} claim; "
                                "ask your identity team to add it.", 403)
        roles = oidc.roles_for(claims.get(oidc.groups_claim))
        if not roles:
            return sign_in_page(request, "/", "Your account is in none of the groups that give a role in "
                                "cp-journeys; ask an administrator to add you to one.", 403)
        actor = Actor(kind="person", ref=staff_ref, roles=roles)
        next_path = safe_next(request.session.pop("cpj_next", "/"))
        return await signed_in_response(request, identity_store(request), actor, "oidc", next_path)

    # -- the first administrator -----------------------------------------------------------------------

    def first_run_page(request: Request, token: str, message: str | None = None, status_code: int = 200,
                       staff_ref: str = "", field: str | None = None) -> HTMLResponse:
        return form_page(request, "first_run.html", status_code, title="Create the first administrator",
                         token=token, staff_ref=staff_ref, **problem(message, field))

    def link_spent() -> HTMLResponse:
        return render("first_run_spent.html", 410, title="Link used or expired")

    @router.get("/first-run/{token}", response_class=HTMLResponse)
    async def first_run_form(request: Request, token: str) -> HTMLResponse:
        store = identity_store(request)
        if not await run_in_threadpool(store.first_run_link_works, token):
            return link_spent()
        return first_run_page(request, token)

    @router.post("/first-run/{token}")
    async def first_run(request: Request, token: str) -> Response:
        form = await form_checked(request)
        if form is None:
            return first_run_page(request, token, "This form is out of date: please send it again.", 403)
        staff_ref = form.get("staff_ref", "").strip()
        if form.get("password", "") != form.get("password_again", ""):
            return first_run_page(request, token, "The two passwords differ: enter the same password twice.", 422,
                                  staff_ref, field="password_again")
        store = identity_store(request)
        try:
            actor = await run_in_threadpool(store.create_first_administrator, token, staff_ref, form.get("password", ""))
        except AccountError as err:
            if not await run_in_threadpool(store.first_run_link_works, token):
                return link_spent()
            message = str(err)
            return first_run_page(request, token, message[:1].upper() + message[1:], 422, staff_ref,
                                  field="password" if "password" in message else "staff_ref")
        log.info("first administrator created", extra={"staff_ref": actor.ref})
        return await signed_in_response(request, store, actor, "local", "/")

    return router


def problem(message: str | None, field: str | None) -> dict[str, Any]:
    """What a page shows of what went wrong: the error summary at the top (linking to ``field``, when it is about
    one) and the same words beside that field."""
    if not message:
        return {"errors": [], "field_errors": {}}
    return {"errors": [{"text": message, **({"href": f"#{field}"} if field else {})}],
            "field_errors": {field: message} if field else {}}


def _oauth_client(oidc: OidcSettings) -> Any:
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    return oauth.register(
        "council",
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        server_metadata_url=f"{oidc.issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": oidc.scope, "code_challenge_method": "S256"},
    )
