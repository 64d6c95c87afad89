"""Whatever a caller sends, the service answers with a 4xx and a sentence or with its answer, never a 500.

Schemathesis generates requests from the app's own OpenAPI document, valid ones and ones that break
it, against a real (time-skipping) Temporal with a worker. The hypothesis test runs in a thread and
hands each request to the test's event loop, where the worker and the app's Temporal client live.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, status_code_conformance

from starter.web import create_app
from tests.conftest import JourneyWorld, eventually
from tests.starter.signing_in import BASE_URL, signed_in_client

#: Per operation and generation mode: enough to reach dates, texts and references of every shape,
#: few enough that the whole run stays well under a minute.
EXAMPLES = 25
#: The time-skipping test server cannot list workflows: the listing answers 503 ("Temporal could not
#: answer"), which is the service being honest about its backend, not a fault the request caused.
LISTINGS = {("GET", "/api/journeys")}


def _httpx_request(kwargs: dict[str, Any]) -> dict[str, Any]:
    """A requests-style request (what schemathesis serializes) as httpx arguments."""
    request = {key: kwargs[key] for key in ("method", "url", "headers", "params", "json", "files")
               if kwargs.get(key) not in (None, {})}
    # The schema declares the session cookie and the bearer key: what schemathesis makes up for them
    # would only be refused at the door (tests/starter/test_sign_in.py checks the door); the client's own
    # session takes the requests to the routes.
    if "headers" in request:
        request["headers"] = {k: v for k, v in request["headers"].items() if k.lower() not in ("authorization", "cookie")}
    data = kwargs.get("data")
    if isinstance(data, bytes | str):
        request["content"] = data
    elif data is not None:
        request["data"] = data
    return request


CASE, CONFERENCE = "CASE-0042", "ICPC-0100"
_JOURNEY, _CONFERENCE = {"path_parameters": {"case_ref": CASE}}, {"path_parameters": {"conference_ref": CONFERENCE}}
#: What the first pass fixes, so that its requests reach a journey, a conference and a policy that exist.
EXISTING = {
    "/api/journeys/{case_ref}": _JOURNEY, "/api/journeys/{case_ref}/events": _JOURNEY,
    "/api/journeys/{case_ref}/feed": _JOURNEY, "/api/conferences/{conference_ref}": _CONFERENCE,
    "/api/conferences/{conference_ref}/events": _CONFERENCE, "/api/deadlines": {"query": {"policy": "birmingham"}},
}


async def existing_journey_and_conference(client: httpx.AsyncClient, world: JourneyWorld) -> None:
    today = (await world.today()).isoformat()
    started = await client.post("/api/journeys", json={
        "case_ref": CASE, "policy": "birmingham",
        "strategy_discussion": {"event_id": "sd-1", "held_on": today, "initiated_section_47": True}})
    assert started.status_code == 201, started.text
    booked = await client.post(f"/api/journeys/{CASE}/events", json={
        "type": "conference_booked", "event_id": "book-1", "booked_on": today, "conference_ref": CONFERENCE,
        "kind": "initial", "meeting_on": today, "chair_ref": "CPC-0042", "chair_independent_of_the_case": True})
    assert booked.status_code == 200, booked.text

    async def convening() -> bool:
        return (await client.get(f"/api/conferences/{CONFERENCE}")).status_code == 200
    await eventually(convening)


async def test_no_generated_request_gets_a_server_error(world: JourneyWorld) -> None:
    async def journeys():
        return world.journeys

    schema = schemathesis.openapi.from_dict(create_app(journeys).openapi())
    loop = asyncio.get_running_loop()
    base_url = BASE_URL

    # Signed in (a session and its CSRF header), so that the requests reach the routes, not only the sign-in check.
    async with signed_in_client(journeys) as client:

        def send(case: schemathesis.Case) -> httpx.Response:
            request = _httpx_request(case.as_transport_kwargs(base_url=base_url))
            return asyncio.run_coroutine_threadsafe(client.request(**request), loop).result(timeout=120)

        def fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, **fixed: Any) -> Callable[[], None]:
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode, **fixed))
            def run(case: schemathesis.Case) -> None:
                response = send(case)
                if response.status_code == 503 and (case.method.upper(), operation.path) in LISTINGS:
                    return
                # Never a 500, and only the status codes the route declares (what /docs tells a caller to expect).
                case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

            return run

        operations = [result.ok() for result in schema.get_all_operations()]
        assert {"/api/journeys", "/api/deadlines", "/api/journeys/{case_ref}/events"} <= {op.path for op in operations}

        # First against a journey and a conference that exist, so that generated events reach the
        # workflows' validators and generated days the calendar, not just "no such journey".
        await existing_journey_and_conference(client, world)
        for operation in operations:
            if operation.path in EXISTING:
                await asyncio.to_thread(fuzz(operation, GenerationMode.POSITIVE, **EXISTING[operation.path]))

        for operation in operations:
            await asyncio.to_thread(fuzz(operation, GenerationMode.POSITIVE))
            try:
                await asyncio.to_thread(fuzz(operation, GenerationMode.NEGATIVE))
            except Unsatisfiable:
                pass  # a route with no parameters and no body: nothing a caller could send wrongly

