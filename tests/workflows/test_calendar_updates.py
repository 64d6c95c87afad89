"""A bank holiday announced after journeys started reaches them, for the dates not yet passed (time-skipping server)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pytest
from temporalio.client import WorkflowHistory

from domain.calendar import WorkingDayCalendar
from domain.deadlines import DeadlineStatus, calendar_for, end_of_day
from domain.events import StrategyDiscussion, workflow_id_for
from shipped.calendars import SHIPPED, latest_version
from tests.conftest import JourneyWorld, eventually, settled
from tests.workflows.test_replay import replayer
from workflows.calendar_updates import CALENDAR_UPDATED
from workflows.conference import ConferenceWorkflow
from workflows.journey import ChildProtectionJourney

CASE, EARLIER_CASE = "CAL-2026-0001", "CAL-2026-0002"
_versions = count(1)


def announce(monkeypatch: pytest.MonkeyPatch, holidays: dict[date, str]) -> str:
    """Ship a calendar version with ``holidays`` added, as scripts/build_calendar.py would (test-only)."""
    version = f"england-9999.{next(_versions)}"  # later than any real version
    monkeypatch.setitem(SHIPPED, version, {**SHIPPED[latest_version()], **holidays})
    calendar_for.cache_clear()  # a shipped version never changes, so calendars are cached by name
    return version


async def publish(world: JourneyWorld, case_ref: str, version: str) -> None:
    # What `cpj calendar publish` sends each running journey (the time-skipping server cannot list them).
    await world.env.client.get_workflow_handle(workflow_id_for(case_ref)).signal(CALENDAR_UPDATED, version)


async def icpc(world: JourneyWorld, case_ref: str):
    # Settled: read once the journey has written what it queued (and asked again if a query is held).
    return (await settled(lambda: world.journeys.state(case_ref))).deadline("icpc")


async def records_of(world: JourneyWorld, case_ref: str, kind: str) -> list:
    return [row for row in world.records(case_ref) if row.kind == kind]


async def test_a_bank_holiday_announced_moves_a_running_journeys_icpc_deadline_by_a_day(
    world: JourneyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = await world.today()
    await world.journeys.start(CASE, "darlington", StrategyDiscussion(
        event_id="sd-1", held_on=today, initiated_section_47=True))
    was = (await icpc(world, CASE)).due
    jubilee = WorkingDayCalendar().add_working_days(today, 3)

    version = announce(monkeypatch, {jubilee: "Royal Jubilee"})
    await publish(world, CASE, version)

    async def moved() -> bool:
        return (await icpc(world, CASE)).due != was
    await eventually(moved)
    now = await icpc(world, CASE)
    assert now.due == WorkingDayCalendar(version).add_working_days(was, 1) > was
    assert f"{jubilee.day} {jubilee.strftime('%b')} (Royal Jubilee)" in now.reason

    async def recorded() -> bool:
        return bool(await records_of(world, CASE, "calendar_updated"))
    await eventually(recorded)
    [record] = await records_of(world, CASE, "calendar_updated")
    assert f"moved from {was} to {now.due}" in record.summary
    assert record.details["moved"] == [{"kind": "icpc", "was": was.isoformat(), "now": now.due.isoformat()}]

    # The journey's timer moved with it: the old date passes without an escalation, the new one escalates.
    await world.env.sleep(end_of_day(was) + timedelta(hours=1) - await world.env.get_current_time())
    assert (await icpc(world, CASE)).status is DeadlineStatus.OPEN
    await world.env.sleep(end_of_day(now.due) + timedelta(hours=1) - await world.env.get_current_time())

    async def escalated() -> bool:
        return bool(await records_of(world, CASE, "icpc_overdue"))
    await eventually(escalated)
    [overdue] = await records_of(world, CASE, "icpc_overdue")
    assert overdue.occurred_on == now.due

    # Published again (a repeated `cpj calendar publish`): nothing moves, nothing more is recorded.
    await publish(world, CASE, version)
    await world.env.sleep(timedelta(hours=1))
    assert (await icpc(world, CASE)).due == now.due
    assert len(await records_of(world, CASE, "calendar_updated")) == 1

    # The history replays: the version came in by a signal, the table is shipped data.
    history = await world.env.client.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    await replayer(ChildProtectionJourney, ConferenceWorkflow).replay_workflow(
        WorkflowHistory.from_json(workflow_id_for(CASE), history.to_json()))


async def test_a_deadline_already_passed_is_not_moved(world: JourneyWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    today = await world.today()
    held_on = today - timedelta(days=35)
    await world.journeys.start(EARLIER_CASE, "darlington", StrategyDiscussion(
        event_id="sd-1", held_on=held_on, initiated_section_47=True))

    async def escalated() -> bool:
        return (await icpc(world, EARLIER_CASE)).status is DeadlineStatus.OVERDUE
    await eventually(escalated)
    was = (await icpc(world, EARLIER_CASE)).due
    assert was < today

    version = announce(monkeypatch, {WorkingDayCalendar().add_working_days(held_on, 2): "Royal Jubilee"})
    await publish(world, EARLIER_CASE, version)

    async def recorded() -> bool:
        return bool(await records_of(world, EARLIER_CASE, "calendar_updated"))
    await eventually(recorded)
    [record] = await records_of(world, EARLIER_CASE, "calendar_updated")
    assert record.summary.endswith("no open deadline moved")
    assert (await icpc(world, EARLIER_CASE)).due == was
