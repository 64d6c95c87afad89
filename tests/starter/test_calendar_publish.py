"""`cpj calendar publish`: a newly shipped calendar version told to every running journey (dev server: it can list)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from starter.codec import data_converter
from activities.db import make_engine
from activities.notify import FileSender
from domain.calendar import WorkingDayCalendar
from domain.deadlines import calendar_for
from domain.events import StrategyDiscussion
from shipped.calendars import SHIPPED, latest_version
from starter.cli import app
from starter.client import Journeys
from tests.conftest import TEMPORAL_CLI, eventually, london_today
from worker import build_worker
from workflows.search_attributes import dev_server_flags

CASES = ("CAL-2026-0101", "CAL-2026-0102")


@pytest.fixture
async def journeys(tmp_path: Path) -> AsyncIterator[Journeys]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI), dev_server_extra_args=dev_server_flags(),
        data_converter=data_converter(),
    )
    try:
        task_queue = f"test-{uuid.uuid4().hex[:8]}"
        engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
        async with build_worker(env.client, task_queue=task_queue, engine=engine,
                                sender=FileSender(tmp_path / "notifications.jsonl")):
            yield Journeys(env.client, task_queue)
    finally:
        await env.shutdown()


async def test_a_published_calendar_reaches_every_running_journey(
    journeys: Journeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = london_today()
    for case_ref, policy in zip(CASES, ("darlington", "sefton"), strict=True):
        await journeys.start(case_ref, policy, StrategyDiscussion(event_id="sd-1", held_on=today,
                                                                  initiated_section_47=True))
    was = {case_ref: (await journeys.state(case_ref)).deadline("icpc").due for case_ref in CASES}

    async def both_listed() -> bool:  # visibility catches up with the starts
        page = await journeys.list()
        return {row.case_ref for row in page.journeys if row.status == "running"} >= set(CASES)
    await eventually(both_listed)

    # A one-off bank holiday announced the next working day: shipped as a new version (test-only).
    holiday = WorkingDayCalendar().add_working_days(today, 1)
    version = "england-9999.11"
    monkeypatch.setitem(SHIPPED, version, {**SHIPPED[latest_version()], holiday: "Royal Jubilee"})
    calendar_for.cache_clear()  # a shipped version never changes, so calendars are cached by name
    assert await journeys.publish_calendar(version) == len(CASES)

    async def moved() -> bool:
        now = {case_ref: (await journeys.state(case_ref)).deadline("icpc").due for case_ref in CASES}
        return all(now[case_ref] == WorkingDayCalendar(version).add_working_days(was[case_ref], 1)
                   for case_ref in CASES)
    await eventually(moved)


def test_publishing_a_version_never_shipped_is_refused() -> None:
    result = CliRunner().invoke(app, ["calendar", "publish", "england-1999.1"])
    assert result.exit_code == 2
    assert "no calendar version 'england-1999.1'" in result.output
