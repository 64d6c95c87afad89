"""What a supervisor reads of a journey in the Temporal UI: search attributes and current details in words.

On the time-skipping server: a Darlington child goes onto a plan under neglect, a visit and a core group
are missed, and a parent complains about the plan decision. The supervisor's view follows each step.
"""

from __future__ import annotations

import re
from datetime import date

from temporalio.api.sdk.v1 import WorkflowMetadata

from domain.complaints import ComplaintMade, complaint_workflow_id
from domain.deadlines import DeadlineStatus, due_day_of, london_date
from domain.events import IcpcHeld, StrategyDiscussion, workflow_id_for
from domain.state import JourneyState, Stage
from starter.web.labels import STAGE_LABELS, day_words
from tests.conftest import JourneyWorld, eventually, quiet
from workflows import search_attributes as sa
from workflows import supervisor_view

CASE = "SUP-2026-7310"


async def on_a_plan_under_neglect(world: JourneyWorld) -> JourneyState:
    await world.journeys.start(
        CASE, "darlington", StrategyDiscussion(event_id="sd-1", held_on=await world.today(), initiated_section_47=True))
    await world.days_pass(7)
    return await world.journeys.send(
        CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan", category="neglect"))


async def attributes(world: JourneyWorld, workflow_id: str = workflow_id_for(CASE)):
    await quiet(world.env.client, workflow_id)
    return (await world.env.client.get_workflow_handle(workflow_id).describe()).typed_search_attributes


async def current_details(world: JourneyWorld, workflow_id: str = workflow_id_for(CASE)) -> str:
    handle = world.env.client.get_workflow_handle(workflow_id)
    return (await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)).current_details


def reads_as_words(details: str) -> None:
    """Nothing a supervisor reads is a stored value or an ISO date."""
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", details), details  # on_plan, core_group, team_manager...
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", details), details


async def test_a_child_on_a_plan_is_found_by_authority_stage_category_plan_start_and_review(
        world: JourneyWorld) -> None:
    state = await on_a_plan_under_neglect(world)
    attrs = await attributes(world)

    assert attrs.get(sa.AUTHORITY) == "Darlington"
    assert attrs.get(sa.STAGE_WORDS) == "On a child protection plan"
    assert attrs.get(sa.CATEGORY) == "Neglect"
    assert london_date(attrs.get(sa.PLAN_STARTED)) == state.plan_started_on == state.icpc.held_on
    review = state.open_deadline("review")
    assert attrs.get(sa.REVIEW_DUE) == sa.day_instant(review.due)
    # The next deadline shows its due day, in UTC and in London alike, and the caseload reads it back as that day.
    upcoming = min((row for row in state.deadlines if row.status is DeadlineStatus.OPEN), key=lambda row: row.due)
    assert attrs.get(sa.NEXT_DEADLINE).date() == london_date(attrs.get(sa.NEXT_DEADLINE)) == upcoming.due
    assert due_day_of(attrs.get(sa.NEXT_DEADLINE)) == upcoming.due
    assert attrs.get(sa.OVERDUE_KINDS) is None and attrs.get(sa.OPEN_COMPLAINT) is None  # nothing to say yet

    details = await current_details(world)
    reads_as_words(details)
    assert details.startswith(f"**Case {CASE}**: on a child protection plan (neglect). Procedure: Darlington.")
    next_part = details.split("**Next**")[1].split("**Done**")[0]
    assert f"- {upcoming.label}: due {day_words(upcoming.due)}." in next_part
    assert "(Darlington procedures, " in next_part  # every date with the document and section it comes from
    assert next_part.count("\n- ") <= supervisor_view.SHOWN
    assert "- Initial child protection conference held: a plan, " + day_words(state.icpc.held_on) in details
    assert "**Overdue**" not in details


async def test_missed_visits_and_core_groups_are_each_found_and_told_overdue_in_words(world: JourneyWorld) -> None:
    await on_a_plan_under_neglect(world)
    await world.days_pass(35)  # the first visit and the first core group pass unmet

    async def both_overdue() -> bool:
        kinds = (await attributes(world)).get(sa.OVERDUE_KINDS) or []
        return {"Lead social worker visit", "Core group meeting"} <= set(kinds)
    await eventually(both_overdue)

    attrs = await attributes(world)
    assert attrs.get(sa.OVERDUE) is True
    state = await world.journeys.state(CASE)
    overdue = [row for row in state.deadlines if row.status is DeadlineStatus.OVERDUE]
    details = await current_details(world)
    reads_as_words(details)
    overdue_part = details.split("**Overdue**")[1].split("**Next**")[0]
    for row in overdue:
        assert f"- {row.label}: was due {day_words(row.due)}; the line manager has been told." in overdue_part


async def test_an_open_complaint_marks_the_journey_and_the_complaint_names_its_authority(
        world: JourneyWorld) -> None:
    await on_a_plan_under_neglect(world)
    await world.journeys.start_complaint("CMP-0001", CASE, ComplaintMade(
        event_id="c-1", received_on=await world.today(), complainant="parent", about=["plan_decision"],
        conference_ref="ICPC-0001", conference_chair_ref="CPC-0042"), by="SW-0042")

    async def marked() -> bool:
        return (await attributes(world)).get(sa.OPEN_COMPLAINT) is True
    await eventually(marked)

    details = await current_details(world)
    assert "Complaint CMP-0001, opened " + day_words(await world.today()) in details
    reads_as_words(details)
    complaint = complaint_workflow_id("CMP-0001")
    assert (await attributes(world, complaint)).get(sa.AUTHORITY) == "Darlington"
    complaint_details = await current_details(world, complaint)
    assert complaint_details.startswith(f"**Complaint CMP-0001** about case {CASE}, received ")
    reads_as_words(complaint_details)


async def test_the_journey_input_panel_is_a_pin_not_the_whole_profile(world: JourneyWorld) -> None:
    await on_a_plan_under_neglect(world)
    history = await world.env.client.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [start] = await world.env.client.data_converter.decode(started.input.payloads)
    assert start["policy"].startswith("darlington@") and start["profile"] is None and "rules" not in str(start)


def test_the_stage_words_are_the_admin_tools() -> None:
    assert {stage.value: words for stage, words in supervisor_view.JOURNEY_STAGE_WORDS.items()} == {
        stage.value: words for stage, words in STAGE_LABELS.items()}
    assert set(supervisor_view.JOURNEY_STAGE_WORDS) == set(Stage)


def test_a_day_is_indexed_as_that_day_wherever_the_ui_reads_it() -> None:
    for day in (date(2026, 12, 9), date(2026, 6, 9), date(2027, 3, 28)):  # winter, summer, the day clocks change
        instant = sa.day_instant(day)
        assert instant.date() == london_date(instant) == due_day_of(instant) == day
