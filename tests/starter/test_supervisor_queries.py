"""The saved queries README gives supervisors, run exactly as written on the real dev server.

Each query is read from README's "For supervisors: the Temporal UI" table (so the README cannot drift
from what is tested), its `{monday}`, `{sunday}` and `{18 months ago}` put in as a supervisor would, and
run against journeys started for it: those that should match, and others that should not. Listing needs
Temporal's visibility, which the time-skipping server does not have: one dev server for the module.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.db import make_engine
from activities.notify import FileSender
from domain.calendar import add_months
from domain.complaints import ComplaintMade
from domain.deadlines import calendar_of
from domain.events import IcpcHeld, StrategyDiscussion, workflow_id_for
from shipped.profiles import load_profile
from starter.client import Journeys
from starter.codec import data_converter
from tests.conftest import TEMPORAL_CLI, eventually, london_today
from worker import build_worker
from workflows.search_attributes import dev_server_flags

README = Path(__file__).parents[2] / "README.md"


def saved_queries() -> dict[str, str]:
    """README's saved queries: what a supervisor asks -> the query, as README writes it."""
    section = README.read_text().split("## For supervisors: the Temporal UI\n", 1)[1].split("\n## ", 1)[0]
    table = section.split("| a supervisor asks | query |", 1)[1]
    return dict(re.findall(r"^\| ([^|`]+?) \| `(.+)` \|$", table, re.MULTILINE))


def as_a_supervisor_fills_in(query: str, today: date) -> str:
    monday = today - timedelta(days=today.weekday())
    days = {"{monday}": monday, "{sunday}": monday + timedelta(days=6), "{18 months ago}": add_months(today, -18)}
    for placeholder, day in days.items():
        query = query.replace(placeholder, day.isoformat())
    assert "{" not in query, f"a placeholder this test does not know: {query}"
    return query


@pytest.fixture(scope="module")
async def dev(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Client, Journeys]]:
    scratch = tmp_path_factory.mktemp("supervisor")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI), dev_server_extra_args=dev_server_flags(),
        data_converter=data_converter(), dev_server_log_level="error",
    )
    try:
        task_queue = f"supervisor-{uuid.uuid4().hex[:8]}"
        engine = make_engine(f"sqlite:///{scratch / 'records.db'}")
        async with build_worker(env.client, task_queue=task_queue, engine=engine,
                                sender=FileSender(scratch / "notifications.jsonl")):
            yield env.client, Journeys(env.client, task_queue)
    finally:
        await env.shutdown()


async def on_a_plan(journeys: Journeys, case_ref: str, policy: str, icpc_on: date) -> None:
    """A child whose initial conference, on ``icpc_on``, made a plan (a week after the strategy discussion)."""
    await journeys.start(case_ref, policy, StrategyDiscussion(
        event_id="sd-1", held_on=icpc_on - timedelta(days=7), initiated_section_47=True), by="SW-0042")
    await journeys.send(case_ref, IcpcHeld(event_id="icpc-1", held_on=icpc_on, decision="plan", category="neglect"),
                        by="SW-0042")


def icpc_day_for_a_review_due_this_week(today: date) -> date:
    """The day an ICPC in Darlington must have been held for its first review to fall due this week."""
    profile = load_profile("darlington")
    monday = today - timedelta(days=today.weekday())
    for back in range(80, 110):
        held = today - timedelta(days=back)
        if monday <= calendar_of(profile).due(held, profile.rule("first_review")).due <= monday + timedelta(days=6):
            return held
    raise AssertionError("no ICPC day gives a first review due this week")


async def test_each_saved_query_finds_the_cases_it_names_and_no_others(dev) -> None:
    client, journeys = dev
    today = london_today()
    queries = saved_queries()
    assert set(queries) == {"Overdue core groups in Darlington", "Overdue visits in this authority",
                            "Reviews due this week", "Plans over 18 months", "Open complaints"}

    # Darlington, plan made six weeks ago: its first visit and first core group have passed unmet.
    await on_a_plan(journeys, "DAR-2026-7301", "darlington", today - timedelta(days=42))
    # Birmingham, the same: overdue too, but not in Darlington.
    await on_a_plan(journeys, "BIR-2026-7302", "birmingham", today - timedelta(days=42))
    # Darlington, plan made today: nothing overdue, its review three months away; a parent complains.
    await on_a_plan(journeys, "DAR-2026-7303", "darlington", today)
    await journeys.start_complaint("CMP-0001", "DAR-2026-7303", ComplaintMade(
        event_id="c-1", received_on=today, complainant="parent", about=["plan_decision"],
        conference_ref="ICPC-0001", conference_chair_ref="CPC-0042"), by="SW-0042")
    # Darlington, its first review due this week.
    await on_a_plan(journeys, "DAR-2026-7304", "darlington", icpc_day_for_a_review_due_this_week(today))
    # Darlington, on a plan for 19 months.
    await on_a_plan(journeys, "DAR-2026-7305", "darlington", add_months(today, -19))

    expected = {
        "Overdue core groups in Darlington": {"DAR-2026-7301", "DAR-2026-7304", "DAR-2026-7305"},
        "Overdue visits in this authority": {"DAR-2026-7301", "DAR-2026-7304", "DAR-2026-7305"},
        "Reviews due this week": {"DAR-2026-7304"},
        "Plans over 18 months": {"DAR-2026-7305"},
        "Open complaints": {"DAR-2026-7303"},
    }
    ours = {workflow_id_for(case): case for case in ("DAR-2026-7301", "BIR-2026-7302", "DAR-2026-7303", "DAR-2026-7304", "DAR-2026-7305")}
    for asked, query in queries.items():
        filled = as_a_supervisor_fills_in(query, today)
        found: set[str] = set()

        async def finds_them() -> bool:
            found.clear()
            found.update([ours.get(row.id, row.id) async for row in client.list_workflows(filled)])
            return found == expected[asked]
        try:
            await eventually(finds_them)
        except AssertionError:
            raise AssertionError(f"{asked!r} ({filled}) found {sorted(found)}, not {sorted(expected[asked])}") from None
