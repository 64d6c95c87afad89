"""Real Temporal servers from the wheels in .venv/bin; nothing is downloaded."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.db import JourneyRecord, make_engine
from activities.notify import FileSender
from domain.deadlines import london_date
from starter.client import Journeys, register_search_attributes
from worker import build_worker

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
        await self.env.sleep(timedelta(days=days))

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

    A query that times out while a journey continues as new is asked again, not failed: the
    time-skipping server can hold such a query for its whole 30-second timeout.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while True:
        try:
            if await check():
                return
        except RPCError as err:
            if loop.time() > end:
                raise AssertionError(f"condition not met in time (last: {err})") from err
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[JourneyWorld]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=pydantic_data_converter
    )
    try:
        await register_search_attributes(env.client)
        task_queue = f"test-{uuid.uuid4().hex[:8]}"
        engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
        letters = tmp_path / "notifications.jsonl"
        async with build_worker(env.client, task_queue=task_queue, engine=engine, sender=FileSender(letters)):
            yield JourneyWorld(env, Journeys(env.client, task_queue, clock=env.get_current_time), engine, letters)
    finally:
        await env.shutdown()
