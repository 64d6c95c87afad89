"""Signed-in clients for the web tests, through the real sign-in routes (see tests/starter/signing_in.py).

``signed_in_as(role, staff_ref=..., journeys=...)`` gives an httpx client with a session for a
person with that role (or roles); ``service_key(name, may=[...])`` the ``Authorization`` header of a
new key. Both use the test's records database (``tmp_path / "records.db"``, the one ``world`` uses),
so a key made here is one the app knows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
import httpx
import pytest
from fastapi import FastAPI

from activities.db import make_engine
from starter.accounts import IdentityStore
from starter.client import Journeys
from starter.roles import Role
from tests.starter.signing_in import BASE_URL, app_for, signed_in_client_on


@pytest.fixture
def identity(tmp_path: Path) -> Iterable[IdentityStore]:
    """Accounts, sessions and keys in the test's records database."""
    store = IdentityStore(make_engine(f"sqlite:///{tmp_path / 'records.db'}"))
    yield store
    store.engine.dispose()


@pytest.fixture
def cpj_app(request: pytest.FixtureRequest, identity: IdentityStore) -> Callable[..., FastAPI]:
    """``cpj_app(journeys=None)``: the app (one per ``journeys``, default the ``world`` fixture's) on the test's accounts."""
    apps: dict[int, FastAPI] = {}

    def app(journeys: Journeys | None = None) -> FastAPI:
        if journeys is None:
            journeys = request.getfixturevalue("world").journeys
        return apps.setdefault(id(journeys), app_for(journeys, identity))

    return app


@pytest.fixture
async def signed_in_as(cpj_app: Callable[..., FastAPI], identity: IdentityStore) -> AsyncIterator[Callable[..., Awaitable[httpx.AsyncClient]]]:
    """``await signed_in_as(Role.TEAM_MANAGER, staff_ref="TM-0001")``: a client signed in with that role (or roles).

    ``journeys`` defaults to the ``world`` fixture's (a time-skipping Temporal with a worker); every
    client of a test shares its app, so they see the same sessions and keys.
    """
    clients: list[httpx.AsyncClient] = []

    async def sign_in(roles: Role | str | Iterable[Role | str], staff_ref: str | None = None,
                      journeys: Journeys | None = None) -> httpx.AsyncClient:
        app = cpj_app(journeys)
        if staff_ref is None:
            first = roles if isinstance(roles, str) else sorted(roles)[0]
            staff_ref = f"{Role(first).value.upper().replace('_', '-')}-1"
        client = await signed_in_client_on(app, identity, roles, staff_ref)
        clients.append(client)
        return client

    yield sign_in
    for client in clients:
        await client.aclose()


@pytest.fixture
def service_key(identity: IdentityStore) -> Callable[..., dict[str, str]]:
    """``service_key("school-feed", may=["child_missing"])``: the header a service sends, its key made as the CLI does."""

    def make(name: str, may: Iterable[str] = ("significant_event",)) -> dict[str, str]:
        return {"Authorization": f"Bearer {identity.create_service_key(name, list(may))}"}

    return make


@pytest.fixture
async def anonymous(cpj_app: Callable[..., FastAPI]) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """``anonymous(journeys=None)``: a client with no session (a service adds its key's header to each request)."""
    clients: list[httpx.AsyncClient] = []

    def client(journeys: Journeys | None = None) -> httpx.AsyncClient:
        made = httpx.AsyncClient(transport=httpx.ASGITransport(app=cpj_app(journeys)), base_url=BASE_URL)
        clients.append(made)
        return made

    yield client
    for made in clients:
        await made.aclose()
