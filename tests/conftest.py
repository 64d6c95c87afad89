"""Real Temporal servers from the wheels in .venv/bin; nothing is downloaded."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.service import RPCError, RPCStatusCode
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment

from activities.db import JourneyRecord, make_engine
from activities.notify import FileSender
from domain.deadlines import london_date
from domain.events import workflow_id_for
import shipped  # noqa: F401  (the calendars and released profiles, registered before any test counts a day)
from starter.codec import data_converter
from starter.client import Answer, Journeys, NotAnswered, WorkerUnavailable, register_search_attributes
from worker import build_worker
from domain.conference import conference_workflow_id

from tests.codec_keys import TEST_KEY_ID, TEST_KEYS_JSON

# Every test, and every process a test starts (cpj up, the CLI, a worker), encrypts with the
# test-only key: never a developer's own CPJ_CODEC_KEYS, nor a key left in a data folder.
os.environ["CPJ_CODEC_KEYS"] = TEST_KEYS_JSON
os.environ["CPJ_CODEC_KEY_ID"] = TEST_KEY_ID

LONDON = ZoneInfo("Europe/London")

BIN = Path(sys.executable).parent
TEST_SERVER = BIN / "temporal-test-server"
TEMPORAL_CLI = BIN / "temporal"


@dataclass
class JourneyWorld:
    """A time-skipping Temporal with a worker, a records database and a letters file."""

    env: WorkflowEnvironment
    journeys: Journeys
    engine: Engine
    letters_file: Path

    async def today(self) -> date:
        return london_date(await self.env.get_current_time())

    async def days_pass(self, days: int) -> None:
        """Let ``days`` London days pass, to noon of the day reached: whole 24-hour days miss or
        overshoot a day when the clocks change and the test runs late in the evening."""
        now = await self.env.get_current_time()
        noon = datetime.combine(london_date(now) + timedelta(days=days), time(12), LONDON)
        await self.env.sleep(max(noon - now, timedelta(seconds=1)))

    def records(self, case_ref: str) -> list[JourneyRecord]:
        with Session(self.engine) as session:
            rows = session.exec(select(JourneyRecord).where(JourneyRecord.case_ref == case_ref)).all()
            return sorted(rows, key=lambda row: (row.occurred_on, row.written_at))

    def letters(self) -> list[dict]:
        if not self.letters_file.exists():
            return []
        return [json.loads(line) for line in self.letters_file.read_text().splitlines()]


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    """Wait (in real time) for something the worker does after time has skipped.

    One failure is asked again rather than failed: a query held while a journey continues as new,
    which the time-skipping server can hold for its whole 30-second timeout (the client gives up
    sooner, with ``WorkerUnavailable``, or a direct query with a deadline exceeded). Any other error
    fails at once: retrying it would only hide it until the time ran out.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while True:
        try:
            if await check():
                return
        except (RPCError, NotAnswered) as err:
            if not _held_query(err):
                raise
            if loop.time() > end:
                raise AssertionError(f"condition not met in time (last: {err})") from err
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def _held_query(err: Exception) -> bool:
    if isinstance(err, RPCError):
        return err.status == RPCStatusCode.DEADLINE_EXCEEDED
    return isinstance(err, WorkerUnavailable)


def london_today() -> date:
    """Today as a journey sees it on the wall clock (the dev server): London's date, not the machine's."""
    return london_date(datetime.now(UTC))


class SettledJourneys(Journeys):
    """Journeys whose events are answered once their workflow has carried out what it queued.

    A journey answers an event as soon as its state has changed; records and letters follow from
    its outbox. Tests that read records or letters straight after an event use this, so they read
    what the event did, not a moment before it.
    """

    async def state(self, case_ref: str):
        # The time-skipping server can hold a query sent as a journey continues as new for 30 s,
        # longer than the client waits: such a query is asked again (``eventually``), nothing else is.
        found = {}

        async def answered() -> bool:
            found["state"] = await super(SettledJourneys, self).state(case_ref)
            return True

        await eventually(answered)
        return found["state"]

    async def send_event(self, case_ref: str, event, **by) -> Answer:
        answer = await super().send_event(case_ref, event, **by)
        await quiet(self.client, workflow_id_for(case_ref))
        return Answer(answer.receipt, await self.state(case_ref))

    async def send_conference_event(self, conference_ref: str, event, **by) -> Answer:
        answer = await super().send_conference_event(conference_ref, event, **by)
        await quiet(self.client, conference_workflow_id(conference_ref))
        return Answer(answer.receipt, await self.conference(conference_ref))


async def quiet(client, workflow_id: str, seconds: float = 30) -> None:
    """Wait until the workflow's latest run has nothing in flight: no activity, no workflow task.

    Asked with the raw describe call, not a query: queries sent while a journey continues as new
    are what the time-skipping server holds.
    """
    request = DescribeWorkflowExecutionRequest(namespace=client.namespace,
                                               execution=WorkflowExecution(workflow_id=workflow_id))

    quiet_since: list[float] = []

    async def nothing_in_flight_for_a_moment() -> bool:
        # A query sent the instant a new run's first task completes can still be held: so the run
        # must stay quiet for half a second first.
        described = await client.workflow_service.describe_workflow_execution(request)
        now = asyncio.get_running_loop().time()
        if described.pending_activities or described.HasField("pending_workflow_task"):
            quiet_since.clear()
            return False
        quiet_since.append(now)
        return now - quiet_since[0] >= 0.5

    await eventually(nothing_in_flight_for_a_moment, seconds)


async def settled(read: Callable[[], Awaitable], seconds: float = 30):
    """The state ``read`` returns once its outbox is empty."""
    found = {}

    async def drained() -> bool:
        found["state"] = await read()
        return not found["state"].outbox

    await eventually(drained, seconds)
    return found["state"]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[JourneyWorld]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=data_converter()
    )
    try:
        await register_search_attributes(env.client)
        task_queue = f"test-{uuid.uuid4().hex[:8]}"
        engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
        letters = tmp_path / "notifications.jsonl"
        async with build_worker(env.client, task_queue=task_queue, engine=engine, sender=FileSender(letters)):
            # Longer than the 30 s the time-skipping server may hold a query: a query the client gave up on
            # first leaves that server unable to skip time.
            journeys = SettledJourneys(env.client, task_queue, clock=env.get_current_time, timeout=45)
            yield JourneyWorld(env, journeys, engine, letters)
    finally:
        await env.shutdown()
