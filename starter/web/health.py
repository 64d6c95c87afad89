"""Whether the admin tool is alive and whether it can do its work: for the compose file, a load balancer, an orchestrator.

Routes::

    GET /healthz   liveness: this process answers (it asks nothing else)
    GET /readyz    readiness: the records database and Temporal each answer a cheap call within a few seconds

Both are public, like /sign-in: they show no case and no account, so no sign-in and no audit row. A
failing check says which part failed in a sentence and the error's type only; the error's own message
(addresses, ports) goes to the log, not to whoever can reach the page.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from starter.web.connection import JourneysFactory, TemporalUnavailable

log = logging.getLogger("cpj.web.health")

#: Seconds each check may take: a readiness probe that hangs is as bad as one that fails.
CHECK_SECONDS = 3.0


def health_router(journeys: JourneysFactory) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    # One look at the database at a time: a connection attempt that hangs past the check's timeout keeps its
    # thread, so the next probe waits on the same attempt rather than piling up threads behind it.
    in_flight: dict[str, asyncio.Future[None]] = {}

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "alive"}, headers={"Cache-Control": "no-store"})

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        def records_database() -> None:
            engine = request.app.state.identity().engine  # opened (and upgraded) on first use
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        async def database_answers() -> None:
            probe = in_flight.get("db")
            if probe is None or probe.done():
                probe = in_flight["db"] = asyncio.ensure_future(asyncio.to_thread(records_database))
            await asyncio.shield(probe)

        async def temporal_answers() -> None:
            client = (await journeys()).client
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=client.namespace), timeout=timedelta(seconds=CHECK_SECONDS))

        checks = dict(await asyncio.gather(
            check("records_database", "The records database", database_answers),
            check("temporal", "Temporal", temporal_answers),
        ))
        ready = all(result["ok"] for result in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                            status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})

    return router


async def check(key: str, part: str, answers: Callable[[], Awaitable[None]]) -> tuple[str, dict[str, object]]:
    """``(key, {"ok": ..., "seconds": ..., "reason": ...})``: whether ``answers()`` finished within the time allowed."""
    started = time.monotonic()
    try:
        await asyncio.wait_for(answers(), CHECK_SECONDS)
    except TimeoutError:
        reason = f"{part} did not answer within {CHECK_SECONDS:g} seconds."
        log.warning("not ready: %s", reason)
    except TemporalUnavailable as err:
        cause = err.__cause__ or err
        log.warning("not ready: %s: %s: %s", part, type(cause).__name__, cause)
        reason = f"{part} could not be reached ({type(cause).__name__})."
    except Exception as err:  # whatever a driver or the SDK raises: the part is not ready either way
        log.warning("not ready: %s: %s: %s", part, type(err).__name__, err)
        reason = f"{part} did not answer ({type(err).__name__})."
    else:
        return key, {"ok": True, "seconds": round(time.monotonic() - started, 3)}
    return key, {"ok": False, "seconds": round(time.monotonic() - started, 3), "reason": reason}
