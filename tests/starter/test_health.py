"""Is the admin tool alive, and can it do its work? /healthz and /readyz, asked by the compose file and a load balancer.

Neither needs anyone signed in, and neither shows a case: /readyz says which part is not answering
(the records database, Temporal) in a sentence, and keeps the error's details (addresses, ports) for the log.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from starter.accounts import IdentityStore
from starter.client import Journeys
from starter.web import create_app
from tests.conftest import JourneyWorld
from tests.starter.signing_in import BASE_URL


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


async def ask(app, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as anyone:
        return await anyone.get(path)


async def _given(journeys: Journeys) -> Journeys:
    return journeys


async def temporal_is_down() -> Journeys:
    raise RuntimeError("Failed client connect: connection refused")


async def test_the_admin_tool_says_it_is_alive_to_anyone_without_asking_temporal_or_the_database(
    identity: IdentityStore,
) -> None:
    answer = await ask(create_app(temporal_is_down, identity=identity, secure_cookies=True), "/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "alive"}
    assert answer.headers["cache-control"] == "no-store"


async def test_it_is_ready_when_the_records_database_and_temporal_both_answer(
    world: JourneyWorld, identity: IdentityStore
) -> None:
    answer = await ask(create_app(lambda: _given(world.journeys), identity=identity, secure_cookies=True), "/readyz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"records_database", "temporal"}
    assert all(check["ok"] and check["seconds"] < 3 for check in body["checks"].values())


async def test_it_is_not_ready_when_the_records_database_is_unreachable_and_says_so(
    world: JourneyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = closed_port()
    monkeypatch.setenv("CPJ_DATABASE_URL", f"postgresql+psycopg://cpj:secret@127.0.0.1:{port}/cpj_records")
    # No identity store given: the app opens the records database on first use, as in production.
    answer = await ask(create_app(lambda: _given(world.journeys), secure_cookies=True), "/readyz")

    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready"
    database = body["checks"]["records_database"]
    assert not database["ok"]
    assert database["reason"].startswith("The records database did not answer")
    assert body["checks"]["temporal"]["ok"]  # the other part is still checked, and fine
    # Whoever can reach the page learns which part, not where it lives or its password.
    assert str(port) not in answer.text and "secret" not in answer.text and "127.0.0.1" not in answer.text


async def test_it_is_not_ready_when_temporal_cannot_be_reached_and_says_so(identity: IdentityStore) -> None:
    answer = await ask(create_app(temporal_is_down, identity=identity, secure_cookies=True), "/readyz")

    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["records_database"]["ok"]
    assert not checks["temporal"]["ok"]
    assert checks["temporal"]["reason"] == "Temporal could not be reached (RuntimeError)."


async def test_it_is_not_ready_when_temporal_stops_answering_after_the_admin_tool_connected(
    identity: IdentityStore,
) -> None:
    from temporalio.testing import WorkflowEnvironment

    from tests.conftest import TEST_SERVER

    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(TEST_SERVER))
    journeys = Journeys(env.client, timeout=3)
    app = create_app(lambda: _given(journeys), identity=identity, secure_cookies=True)
    assert (await ask(app, "/readyz")).status_code == 200  # connected, and answering
    await env.shutdown()

    answer = await ask(app, "/readyz")
    assert answer.status_code == 503
    reason = answer.json()["checks"]["temporal"]["reason"]
    assert reason.startswith("Temporal did not answer"), reason


def test_the_health_checks_are_not_in_the_api_description() -> None:
    # They are for machines that watch the deployment, not for services that record events.
    paths = create_app(temporal_is_down, secure_cookies=True).openapi()["paths"]
    assert "/healthz" not in paths and "/readyz" not in paths
