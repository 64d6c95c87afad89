"""Signing in for the tests, through the real routes: an account (as ``cpj user add`` makes it), then POST /sign-in.

No test-only door: a client here holds the session cookie the sign-in page set, and sends the
session's CSRF token as the ``X-CSRF-Token`` header (the admin tool's forms carry it as a hidden
field instead; tests/starter/test_sign_in.py sends one of those).
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path

import httpx
from fastapi import FastAPI

from activities.db import make_engine
from starter.accounts import IdentityStore
from starter.client import Journeys
from starter.roles import Role
from starter.web import create_app

BASE_URL = "https://cpj.test"
PASSWORD = "correct horse battery staple"
#: Every role that records something on a case: what the tests written before sign-in did, one person does here.
CASEWORK = frozenset({Role.OPERATIONS_STAFF, Role.LEAD_SOCIAL_WORKER, Role.TEAM_MANAGER, Role.CONFERENCE_CHAIR,
                      Role.SERVICE_MANAGER})
HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def roles_of(roles: Role | str | Iterable[Role | str]) -> frozenset[Role]:
    if isinstance(roles, str):
        return frozenset({Role(roles)})
    return frozenset(Role(role) for role in roles)


def app_for(journeys: Journeys | Callable[[], Awaitable[Journeys]], store: IdentityStore) -> FastAPI:
    if isinstance(journeys, Journeys):
        given = journeys

        async def factory() -> Journeys:
            return given
    else:
        factory = journeys
    return create_app(factory, identity=store, secure_cookies=True)


def csrf_token_on(html: str) -> str:
    found = HIDDEN_CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, staff_ref: str, password: str = PASSWORD) -> httpx.Response:
    """What a person does: open the sign-in page, send its form."""
    form = await client.get("/sign-in")
    return await client.post("/sign-in", data={"staff_ref": staff_ref, "password": password,
                                               "csrf_token": csrf_token_on(form.text), "next": "/"})


async def signed_in_client_on(app: FastAPI, store: IdentityStore, roles: Role | str | Iterable[Role | str],
                              staff_ref: str) -> httpx.AsyncClient:
    """A browser-like client with a session for ``staff_ref`` (its account made with ``roles`` if new)."""
    wanted = roles_of(roles)
    known = {account.staff_ref: account for account in store.accounts()}
    if staff_ref not in known:
        store.add_account(staff_ref, wanted, PASSWORD)
    else:
        assert frozenset(known[staff_ref].roles) == wanted, f"{staff_ref} already has other roles"
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    signed = await sign_in(client, staff_ref)
    assert signed.status_code == 303, signed.text
    home = await client.get("/sign-in")  # any page: the header's sign-out form carries the session's token
    client.headers["X-CSRF-Token"] = csrf_token_on(home.text.split("</header>")[0])
    return client


@contextlib.asynccontextmanager
async def signed_in_client(journeys: Journeys | Callable[[], Awaitable[Journeys]], *,
                           roles: Role | str | Iterable[Role | str] = CASEWORK, staff_ref: str = "CASEWORKER-1",
                           store: IdentityStore | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """``async with signed_in_client(journeys) as web``: the app on ``journeys``, with someone signed in."""
    with tempfile.TemporaryDirectory(prefix="cpj-accounts-") as scratch:
        own = store is None
        if store is None:
            store = IdentityStore(make_engine(f"sqlite:///{Path(scratch) / 'records.db'}"))
        try:
            client = await signed_in_client_on(app_for(journeys, store), store, roles, staff_ref)
            async with contextlib.aclosing(client):
                yield client
        finally:
            if own:
                store.engine.dispose()
