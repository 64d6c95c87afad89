"""No event, sibling or reused reference leaves a journey unable to take its next event.

Each test here is a way the journey used to wedge or mislead, tried as a service or an operator
would, on the time-skipping server.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType

from domain.events import ConferenceBooked, IcpcHeld, PlanEnded, SignificantEvent, StrategyDiscussion, workflow_id_for
from domain.state import Stage
from starter.client import EventRejected
from tests.conftest import JourneyWorld, eventually
from tests.workflows.test_conference import SIBLING, book, decision, held, send, start_journey
from domain.conference import conference_workflow_id

CASE = "CASE-0001"


async def test_a_household_conference_decides_for_every_child_although_one_journey_has_closed(
    world: JourneyWorld,
) -> None:
    await start_journey(world)
    await start_journey(world, SIBLING)
    third = "CASE-0003"
    await start_journey(world, third)
    conference = await book(world, days_ahead=6, siblings=[SIBLING, third])
    # The sibling's journey closes before the conference: the team manager decided no ICPC was needed.
    await world.journeys.send(SIBLING, IcpcHeld(event_id="icpc-early", held_on=await world.today(), decision="no_plan"))
    await world.days_pass(6)
    today = await world.today()

    state = await send(world, conference, held(today, [decision(), decision(SIBLING), decision(third)]))

    assert state.held is not None  # the meeting is recorded, whatever a journey can do with it
    assert any(SIBLING in failure for failure in state.failures)

    async def the_others_decided() -> bool:
        first, last = await world.journeys.state(CASE), await world.journeys.state(third)
        return first.stage is Stage.ON_PLAN and last.stage is Stage.ON_PLAN
    await eventually(the_others_decided)
    kinds = [row.kind for row in world.records(SIBLING)]
    assert "icpc_held" in kinds
    on_the_journey = [row for row in world.records(CASE) if row.workflow_id == workflow_id_for(CASE)]
    assert "effect_failed" not in [row.kind for row in on_the_journey]  # the conference's failure, recorded there
    conference_records = [row for row in world.records(CASE) if row.workflow_id == conference.id]
    assert "effect_failed" in [row.kind for row in conference_records]
    assert any(letter["template"] == "conference_decision_undelivered" for letter in world.letters())
    # A resend of the meeting is answered, not applied again and not failed.
    again = await world.journeys.send_conference_event(conference.id.removeprefix("cpj-conf-"),
                                                       held(today, [decision(), decision(SIBLING), decision(third)]))
    assert again.receipt.resend is True


async def test_a_conference_reference_in_use_is_refused_before_it_touches_the_journey(world: JourneyWorld) -> None:
    await start_journey(world)
    await start_journey(world, SIBLING)
    await book(world, ref="ICPC-0500")
    today = await world.today()
    before = await world.journeys.state(SIBLING)

    with pytest.raises(EventRejected, match="ICPC-0500 is already used by another conference"):
        await world.journeys.send(SIBLING, ConferenceBooked(
            event_id="b-1", booked_on=today, conference_ref="ICPC-0500", kind="initial",
            meeting_on=today + timedelta(days=5), chair_ref="CPC-0042", chair_independent_of_the_case=True))

    after = await world.journeys.state(SIBLING)
    assert after.conference_ref is None and after.event_ids == before.event_ids


async def test_a_booking_whose_conference_cannot_start_frees_the_journey_for_the_next(world: JourneyWorld) -> None:
    # Two services booking at once can both pass the client's check: the journey must cope alone.
    await start_journey(world)
    await start_journey(world, SIBLING)
    await book(world, ref="ICPC-0600")
    today = await world.today()
    clash = ConferenceBooked(event_id="b-1", booked_on=today, conference_ref="ICPC-0600", kind="initial",
                             meeting_on=today + timedelta(days=5), chair_ref="CPC-0042",
                             chair_independent_of_the_case=True)
    handle = world.env.client.get_workflow_handle(workflow_id_for(SIBLING))
    await handle.execute_update("conference_booked", clash, id="clash")

    async def freed() -> bool:
        state = await world.journeys.state(SIBLING)
        return state.conference_ref is None and not state.outbox
    await eventually(freed)
    state = await world.journeys.state(SIBLING)
    assert any("ICPC-0600" in failure for failure in state.failures)
    assert "effect_failed" in [row.kind for row in world.records(SIBLING)]

    state = await world.journeys.send(SIBLING, clash.model_copy(update={"event_id": "b-2", "conference_ref": "ICPC-0601"}))
    assert state.conference_ref == "ICPC-0601"


async def test_a_refused_conference_decision_leaves_the_next_booking_possible(world: JourneyWorld) -> None:
    # Staffordshire never ends a neglect plan at the first review: a conference that says so is refused.
    await world.journeys.start(CASE, "staffordshire", StrategyDiscussion(
        event_id="sd-1", held_on=await world.today(), initiated_section_47=True))
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan",
                                             category="neglect"))
    await world.days_pass(60)
    today = await world.today()
    await world.journeys.send(CASE, ConferenceBooked(
        event_id="review-book", booked_on=today, conference_ref="RCPC-0001", kind="review",
        meeting_on=today + timedelta(days=7), chair_ref="CPC-0042", chair_independent_of_the_case=True))
    conference = world.env.client.get_workflow_handle(conference_workflow_id("RCPC-0001"))
    await world.days_pass(7)
    await send(world, conference, held(await world.today(), [decision(plan=False)]))

    async def refused() -> bool:
        return "conference_decision_refused" in [row.kind for row in world.records(CASE)]
    await eventually(refused)
    state = await world.journeys.state(CASE)
    assert state.stage is Stage.ON_PLAN and state.conference_ref is None

    today = await world.today()
    state = await world.journeys.send(CASE, ConferenceBooked(
        event_id="review-book-2", booked_on=today, conference_ref="RCPC-0002", kind="review",
        meeting_on=today + timedelta(days=7), chair_ref="CPC-0042", chair_independent_of_the_case=True))
    assert state.conference_ref == "RCPC-0002"


async def test_a_resend_is_answered_as_a_resend_and_an_id_reused_for_another_event_names_its_first_use(
    world: JourneyWorld,
) -> None:
    await start_journey(world)
    held_today = IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan", category="neglect")
    first = await world.journeys.send_event(CASE, held_today)
    again = await world.journeys.send_event(CASE, held_today)
    assert (first.receipt.resend, again.receipt.resend) == (False, True)
    assert [row.kind for row in world.records(CASE)].count("icpc_held") == 1

    with pytest.raises(EventRejected, match=r"icpc-1 was already used .* \(icpc held\)"):
        await world.journeys.send(CASE, SignificantEvent(event_id="icpc-1", occurred_on=await world.today(),
                                                         kind="police_involvement"))


async def test_a_second_referral_reusing_event_ids_writes_its_own_records(world: JourneyWorld) -> None:
    await start_journey(world)
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="no_plan"))
    await world.env.client.get_workflow_handle(workflow_id_for(CASE)).result()
    await world.days_pass(90)

    await start_journey(world)  # a new referral: the case system reuses its own event numbering
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="no_plan"))

    kinds = [row.kind for row in world.records(CASE)]
    assert kinds.count("strategy_discussion") == 2 and kinds.count("icpc_held") == 2


async def test_a_refused_feed_event_shows_on_the_journey(world: JourneyWorld) -> None:
    await start_journey(world)
    found = SignificantEvent(event_id="feed-1", occurred_on=await world.today(), kind="police_involvement")
    await world.journeys.feed(CASE, found)  # before any plan: a significant event has nowhere to go

    async def shown() -> bool:
        return bool((await world.journeys.state(CASE)).refused_feed)
    await eventually(shown)
    [line] = (await world.journeys.state(CASE)).refused_feed
    assert "significant event (feed-1)" in line and "on a child protection plan" in line


async def test_an_update_answers_without_waiting_for_its_letters(world: JourneyWorld) -> None:
    # Staffordshire tells every agency, health and education when a plan ends: the answer comes when the
    # journey has changed, the letters after.
    await start_journey(world, policy="staffordshire")
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan",
                                             category="neglect"))
    await world.days_pass(30)
    await world.journeys.send(CASE, PlanEnded(event_id="ended-1", ended_on=await world.today(), reason="turned_18"))
    history = await world.env.client.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    events = [event.event_type for event in history.events]
    completed = len(events) - 1 - events[::-1].index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    scheduled_after = events[completed:].count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    assert scheduled_after >= 4  # its record and three letters, all after the answer
