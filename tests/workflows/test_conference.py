"""Conferences as child workflows of the journey, on the time-skipping server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowHandle

from domain.calendar import WorkingDayCalendar, add_months
from domain.conference import (
    AmendmentsReceived,
    ChildDecision,
    Invitee,
    InvitationsSent,
    ConferenceHeld,
    ConferenceStage,
    ConferenceState,
    ConferenceTaskDone,
    ExclusionDecided,
    ExclusionRequested,
    SplitArranged,
)
from domain.deadlines import DeadlineStatus
from domain.events import (
    ChildBorn,
    ConferenceBooked,
    IcpcHeld,
    PlanEnded,
    StrategyDiscussion,
    TransferIn,
    TransferOutNotified,
)
from domain.state import Stage
from starter.client import EventRejected
from tests.conftest import JourneyWorld, eventually
from domain.conference import conference_workflow_id
from workflows.conference import ConferenceWorkflow

CASE, SIBLING = "CASE-0001", "CASE-0002"
england = WorkingDayCalendar()


async def start_journey(world: JourneyWorld, case_ref: str = CASE, policy: str = "darlington") -> None:
    await world.journeys.start(
        case_ref, policy, StrategyDiscussion(event_id="sd-1", held_on=await world.today(), initiated_section_47=True)
    )


async def book(world: JourneyWorld, days_ahead: int = 10, siblings: list[str] | None = None,
               ref: str = "ICPC-0001") -> WorkflowHandle:
    today = await world.today()
    await world.journeys.send(CASE, ConferenceBooked(
        event_id=f"book-{ref}", booked_on=today, conference_ref=ref, kind="initial",
        meeting_on=today + timedelta(days=days_ahead), chair_ref="CPC-0042", chair_independent_of_the_case=True,
        siblings=siblings or []))
    return world.env.client.get_workflow_handle(conference_workflow_id(ref), result_type=ConferenceState)


async def conference_state(handle: WorkflowHandle) -> ConferenceState:
    return await handle.query(ConferenceWorkflow.state)


async def send(world: JourneyWorld, handle: WorkflowHandle, event) -> ConferenceState:
    """As a service would: through the client, by conference reference."""
    return await world.journeys.send_to_conference(handle.id.removeprefix("cpj-conf-"), event)


def decision(case_ref: str = CASE, plan: bool = True, category: str | None = "neglect", **votes) -> ChildDecision:
    votes = votes or ({"agencies_for_plan": 3, "agencies_against_plan": 1} if plan
                      else {"agencies_for_plan": 1, "agencies_against_plan": 3})
    return ChildDecision(case_ref=case_ref, plan=plan, category=category if plan else None, **votes)


def held(on, decisions, **kwargs) -> ConferenceHeld:
    fields = {"childrens_social_care_present": True, "other_agencies_present": ["school", "health visitor"],
              "parents_present": True, **kwargs}
    return ConferenceHeld(event_id=f"held-{on}", held_on=on, decisions=decisions, **fields)


async def test_an_icpc_held_through_its_conference_puts_the_child_on_a_plan_and_the_record_closes_it(
    world: JourneyWorld,
) -> None:
    await start_journey(world)
    conference = await book(world)
    state = await conference_state(conference)
    meeting = state.meeting_on
    report = next(row for row in state.deadlines if row.kind == "report_to_chair")
    assert report.due == england.add_working_days(meeting, -3)  # Darlington: three working days before
    assert report.reason.endswith("(Darlington procedures, Information for a Conference)")

    await world.days_pass((meeting - await world.today()).days)
    state = await send(world, conference, held(meeting, [decision()], parents_present=False))
    assert state.stage is ConferenceStage.HELD
    assert {row.kind for row in state.deadlines if row.status is DeadlineStatus.OPEN} >= {
        "decision_circulated", "outline_plan_circulated", "record_shared"}

    async def on_plan() -> bool:
        return (await world.journeys.state(CASE)).stage is Stage.ON_PLAN
    await eventually(on_plan)

    for task in ("decision_circulated", "outline_plan_circulated", "record_shared"):
        state = await send(world, conference, ConferenceTaskDone(event_id=f"t-{task}", task=task,
                                                          done_on=await world.today()))
    window = next(row for row in state.deadlines if row.kind == "record_amendments_window")
    await world.days_pass((window.due - await world.today()).days + 1)  # no amendments: it closes quietly
    result = await conference.result()
    assert result.stage is ConferenceStage.CLOSED
    assert result.held.decisions[0].plan
    kinds = [row.kind for row in world.records(CASE)]
    assert {"conference_booked", "conference_held", "icpc_held"} <= set(kinds)


async def test_darlington_amendments_may_be_sent_for_10_working_days_from_receipt_of_the_record_then_it_closes(
    world: JourneyWorld,
) -> None:
    # "Any amendment to accuracy of record should be sent, in writing, within 10 working days of the receipt
    # of that record to the chair.": a window for those who received it, which ends quietly.
    await start_journey(world)
    conference = await book(world, days_ahead=7)
    await world.days_pass(7)
    await send(world, conference, held(await world.today(), [decision()]))
    for task in ("decision_circulated", "outline_plan_circulated", "record_shared"):
        state = await send(world, conference, ConferenceTaskDone(event_id=f"t-{task}", task=task,
                                                                 done_on=await world.today()))
    assert state.stage is ConferenceStage.HELD  # open for amendments
    window = next(row for row in state.deadlines if row.kind == "record_amendments_window")
    assert window.due == england.add_working_days(await world.today(), 10)
    await world.days_pass(3)
    await send(world, conference, AmendmentsReceived(event_id="am-1", received_on=await world.today()))
    [amended] = [row for row in world.records(CASE) if row.kind == "amendments_received"]
    assert amended.details["late"] is False
    await world.days_pass((window.due - await world.today()).days + 1)

    result = await conference.result()
    assert result.stage is ConferenceStage.CLOSED
    assert not any(letter["template"] in ("overdue_escalation", "deadline_reminder") and "mendments" in letter["subject"]
                   for letter in world.letters())


async def test_the_chair_is_reminded_the_day_before_a_deadline_and_escalated_to_after(world: JourneyWorld) -> None:
    await start_journey(world)
    conference = await book(world, days_ahead=14)
    report = next(row for row in (await conference_state(conference)).deadlines if row.kind == "report_to_chair")
    await world.days_pass((report.due - await world.today()).days)

    async def reminded() -> bool:
        return any(letter["template"] == "deadline_reminder" for letter in world.letters())
    await eventually(reminded)
    await world.days_pass(2)

    async def escalated() -> bool:
        return any(letter["template"] == "overdue_escalation" for letter in world.letters())
    await eventually(escalated)
    roles = {letter["template"]: letter["recipient_role"] for letter in world.letters()}
    assert roles["overdue_escalation"] == "team_manager"


async def test_an_inquorate_conference_adjourns_and_decides_when_it_reconvenes(world: JourneyWorld) -> None:
    await start_journey(world)
    conference = await book(world, days_ahead=7)
    today = await world.today() + timedelta(days=7)
    await world.days_pass(7)
    with pytest.raises(EventRejected, match="not quorate"):
        await send(world, conference, held(today, [decision()], other_agencies_present=["school"]))

    state = await send(world, conference, held(today, [], other_agencies_present=["school"], inquorate_action="adjourn"))
    assert state.stage is ConferenceStage.ADJOURNED
    reconvene = next(row for row in state.deadlines if row.kind == "reconvene")
    assert reconvene.due == add_months(today, 1)  # seed 000: "usually within a month" of the adjournment
    assert (await world.journeys.state(CASE)).stage is Stage.AWAITING_ICPC

    await world.days_pass(7)
    state = await send(world, conference, held(await world.today(), [decision(plan=False)]))
    assert state.stage is ConferenceStage.HELD
    assert next(row for row in state.deadlines if row.kind == "reconvene").status is DeadlineStatus.CANCELLED

    async def closed() -> bool:
        return (await world.journeys.state(CASE)).stage is Stage.CLOSED
    await eventually(closed)


async def test_birmingham_proceeding_although_inquorate_tells_the_assistant_director(world: JourneyWorld) -> None:
    # 3.12: "The chair will notify the Assistant Director/Safeguarding of any conference which proceeded
    # although inquorate."
    await start_journey(world, policy="birmingham")
    conference = await book(world, days_ahead=5)
    await world.days_pass(5)
    with pytest.raises(EventRejected, match="inquorate_reason"):
        await send(world, conference, held(await world.today(), [decision()], other_agencies_present=["school"],
                                    inquorate_action="proceed"))
    await send(world, conference, held(await world.today(), [decision()], other_agencies_present=["school"],
                                inquorate_action="proceed", inquorate_reason="child_not_in_contact_with_three_agencies"))
    [told] = [letter for letter in world.letters() if letter["template"] == "inquorate_conference"]
    assert told["recipient_role"] == "assistant_director"
    [record] = [row for row in world.records(CASE) if row.kind == "conference_held"]
    assert "consider_early_review" not in record.details  # Darlington's, not Birmingham's


async def test_an_exclusion_must_be_asked_for_in_time_and_decided_in_writing(world: JourneyWorld) -> None:
    await start_journey(world)
    today = await world.today()
    conference = await book(world, days_ahead=(england.add_working_days(today, 1) - today).days)
    with pytest.raises(EventRejected, match="must reach the chair by"):
        await send(world, conference, ExclusionRequested(event_id="ex-1", requested_on=today, parent_role="father",
                                                  grounds=["likely_to_interfere_seriously_with_the_conference"]))

    conference = await _rebook(world, days_ahead=14)
    state = await send(world, conference, ExclusionRequested(event_id="ex-2", requested_on=today, parent_role="father",
                                                      grounds=["presence_would_prejudice_the_childs_welfare"]))
    decide = next(row for row in state.deadlines if row.kind == "exclusion_decision")
    assert decide.due == england.add_working_days(state.meeting_on, -1)
    with pytest.raises(EventRejected, match="in writing"):
        await send(world, conference, ExclusionDecided(event_id="ex-w", decided_on=today, excluded=True,
                                                       communicated_in_writing=False))
    state = await send(world, conference, ExclusionDecided(event_id="ex-d", decided_on=today, excluded=True,
                                                    communicated_in_writing=True))
    assert state.excluded_parent is True
    assert decide.kind in {row.kind for row in state.deadlines if row.status is DeadlineStatus.MET}


async def _rebook(world: JourneyWorld, days_ahead: int) -> WorkflowHandle:
    """A second journey for a later conference (the first is already booked)."""
    await world.journeys.start("CASE-0009", "darlington", StrategyDiscussion(
        event_id="sd-1", held_on=await world.today(), initiated_section_47=True))
    today = await world.today()
    await world.journeys.send("CASE-0009", ConferenceBooked(
        event_id="book-2", booked_on=today, conference_ref="ICPC-0002", kind="initial",
        meeting_on=today + timedelta(days=days_ahead), chair_ref="CPC-0042", chair_independent_of_the_case=True))
    return world.env.client.get_workflow_handle(conference_workflow_id("ICPC-0002"), result_type=ConferenceState)


async def test_a_split_conference_needs_letters_three_working_days_before_and_a_half_hour_gap(
    world: JourneyWorld,
) -> None:
    # Darlington: "There should be at least a 30-minute break between each part": a shorter one stands, recorded.
    await start_journey(world)
    conference = await book(world, days_ahead=12)
    state = await send(world, conference, SplitArranged(event_id="split", arranged_on=await world.today(), gap_minutes=20))
    letters = next(row for row in state.deadlines if row.kind == "split_letters")
    assert letters.due == england.add_working_days(state.meeting_on, -3)
    [record] = [row for row in world.records(CASE) if row.kind == "split_arranged"]
    assert record.details["gap_short_of"] == 30
    assert "(Darlington procedures, Split Child Protection Conferences)" in record.summary


async def test_one_conference_decides_for_each_child_of_the_household(world: JourneyWorld) -> None:
    await start_journey(world)
    await start_journey(world, SIBLING)
    conference = await book(world, days_ahead=6, siblings=[SIBLING])
    await world.days_pass(6)
    today = await world.today()
    with pytest.raises(EventRejected, match="every child"):
        await send(world, conference, held(today, [decision()]))
    await send(world, conference, held(today, [decision(), decision(SIBLING, plan=False)]))

    async def both_decided() -> bool:
        first, second = await world.journeys.state(CASE), await world.journeys.state(SIBLING)
        return first.stage is Stage.ON_PLAN and second.stage is Stage.CLOSED
    await eventually(both_decided)


async def test_an_even_split_is_settled_by_the_chairs_casting_vote(world: JourneyWorld) -> None:
    await start_journey(world, policy="birmingham")
    conference = await book(world, days_ahead=6)
    await world.days_pass(6)
    even = {"agencies_for_plan": 2, "agencies_against_plan": 2}
    with pytest.raises(EventRejected, match="evenly split.*3.16|evenly split"):
        await send(world, conference, held(await world.today(), [decision(**even)]))
    with pytest.raises(EventRejected, match="does not follow"):
        await send(world, conference, held(await world.today(), [decision(plan=True, **even, chair_casting_vote=False)]))
    state = await send(world, conference, held(await world.today(), [decision(plan=True, **even, chair_casting_vote=True)]))
    assert state.held.decisions[0].chair_casting_vote is True


async def test_a_conference_cannot_be_booked_past_the_icpc_deadline(world: JourneyWorld) -> None:
    await start_journey(world)
    with pytest.raises(EventRejected, match="the ICPC must be held by"):
        await book(world, days_ahead=40)
    with pytest.raises(EventRejected, match=r"independent of the case.*Darlington procedures, Chairing of Conferences"):
        await world.journeys.send(CASE, ConferenceBooked(
            event_id="b", booked_on=await world.today(), conference_ref="ICPC-0003", kind="initial",
            meeting_on=await world.today(), chair_ref="SW-1042", chair_independent_of_the_case=False))


async def test_a_pre_birth_journey_conferences_before_the_birth_and_goes_on_after_it(world: JourneyWorld) -> None:
    today = await world.today()
    delivery = today + timedelta(days=100)
    await world.journeys.start(CASE, "darlington", StrategyDiscussion(
        event_id="sd-1", held_on=today, initiated_section_47=True, expected_delivery=delivery))
    state = await world.journeys.state(CASE)
    icpc = state.deadline("icpc")
    assert icpc.label == "Pre-birth conference"
    assert icpc.due == add_months(delivery, -3)  # three months before the due date beats 15 working days
    with pytest.raises(EventRejected, match="initial conference does not fit"):
        await world.journeys.send(CASE, ConferenceBooked(
            event_id="b-0", booked_on=today, conference_ref="PBC-0001", kind="initial", meeting_on=today,
            chair_ref="CPC-0042", chair_independent_of_the_case=True))
    await world.journeys.send(CASE, ConferenceBooked(
        event_id="b-1", booked_on=today, conference_ref="PBC-0001", kind="pre_birth", meeting_on=icpc.due,
        chair_ref="CPC-0042", chair_independent_of_the_case=True))
    conference = world.env.client.get_workflow_handle(conference_workflow_id("PBC-0001"))
    # Darlington: midwifery and neo-natal services "should also be invited": the invitations stand, recorded.
    await send(world, conference, InvitationsSent(event_id="inv-1", sent_on=today,
                                                  invitees=[Invitee(role="mother"), Invitee(role="midwifery")]))
    [invited] = [row for row in world.records(CASE) if row.kind == "invitations_sent"]
    assert invited.details["not_invited"] == ["neo-natal services"]
    await world.days_pass((icpc.due - today).days)
    await send(world, conference, held(await world.today(), [decision()]))

    async def on_plan() -> bool:
        return (await world.journeys.state(CASE)).stage is Stage.ON_PLAN
    await eventually(on_plan)
    state = await world.journeys.state(CASE)
    assert state.deadline("core_group").due < delivery  # seed 000: the core group meets before the birth

    await world.days_pass((delivery - await world.today()).days)
    state = await world.journeys.send(CASE, ChildBorn(event_id="born", born_on=await world.today()))
    assert state.born_on == delivery and state.stage is Stage.ON_PLAN
    assert "child_born" in [row.kind for row in world.records(CASE)]


async def test_a_transfer_in_conference_within_15_working_days_keeps_the_originating_plan_until_held(
    world: JourneyWorld,
) -> None:
    today = await world.today()
    await world.journeys.start(CASE, "darlington", TransferIn(
        event_id="t-1", agreed_on=today, originating_authority="Durham County Council", category="neglect"))
    state = await world.journeys.state(CASE)
    assert state.originating_plan_in_force and state.stage is Stage.AWAITING_ICPC
    assert state.deadline("icpc").label == "Transfer-in conference"
    assert state.deadline("icpc").due == england.add_working_days(today, 15)

    meeting = england.add_working_days(today, 14)
    await world.journeys.send(CASE, ConferenceBooked(
        event_id="b-1", booked_on=today, conference_ref="TIC-0001", kind="transfer_in", meeting_on=meeting,
        chair_ref="CPC-0042", chair_independent_of_the_case=True))
    conference = world.env.client.get_workflow_handle(conference_workflow_id("TIC-0001"))
    report = next(row for row in (await conference_state(conference)).deadlines if row.kind == "transfer_report")
    assert report.due == england.add_working_days(meeting, -5)
    with pytest.raises(EventRejected, match="originating authority"):
        await send(world, conference, InvitationsSent(event_id="inv-0", sent_on=today, invitees=[Invitee(role="father")]))
    await world.days_pass((meeting - today).days)
    await send(world, conference, held(meeting, [decision()]))

    async def received() -> bool:
        state = await world.journeys.state(CASE)
        return state.stage is Stage.ON_PLAN and not state.originating_plan_in_force
    await eventually(received)


async def test_a_child_moving_away_is_notified_and_the_plan_ends_on_confirmation(world: JourneyWorld) -> None:
    # Staffordshire (paragraphs 41, 67, 68): the register custodian and the receiving authority are told,
    # and the plan ends only once the receiving authority confirms its conference decision.
    await start_journey(world, policy="staffordshire")
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan",
                                             category="physical_abuse"))
    await world.journeys.send(CASE, TransferOutNotified(event_id="out-1", notified_on=await world.today(),
                                                        receiving_authority="Leeds City Council"))
    assert sorted(letter["recipient_role"] for letter in world.letters()) == [
        "child_protection_register", "receiving_authority"]
    with pytest.raises(EventRejected, match="receiving-in"):
        await world.journeys.send(CASE, PlanEnded(event_id="end-0", ended_on=await world.today(),
                                                  reason="moved_to_another_authority"))
    state = await world.journeys.send(CASE, PlanEnded(
        event_id="end", ended_on=await world.today(), reason="moved_to_another_authority",
        receiving_conference_confirmed=True))
    assert state.stage is Stage.CLOSED


async def test_new_concerns_for_a_sibling_are_heard_at_a_conference_combined_with_the_review(
    world: JourneyWorld,
) -> None:
    await start_journey(world)  # the child already on a plan
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan",
                                             category="neglect"))
    await world.days_pass(40)
    await start_journey(world, SIBLING)  # new concerns about a brother
    today = await world.today()
    await world.journeys.send(SIBLING, ConferenceBooked(
        event_id="b-1", booked_on=today, conference_ref="ICPC-0777", kind="initial", meeting_on=today + timedelta(days=7),
        chair_ref="CPC-0042", chair_independent_of_the_case=True, siblings=[CASE]))
    conference = world.env.client.get_workflow_handle(conference_workflow_id("ICPC-0777"))
    await world.days_pass(7)
    await send(world, conference, held(await world.today(), [decision(), decision(SIBLING, category="emotional_abuse")]))

    async def both() -> bool:
        # Read from the records: the reviewed child's journey is busy continuing as new.
        return ("review_held" in [row.kind for row in world.records(CASE)]
                and "icpc_held" in [row.kind for row in world.records(SIBLING)])
    await eventually(both)
    assert (await world.journeys.state(SIBLING)).stage is Stage.ON_PLAN
    [review] = [row for row in world.records(CASE) if row.kind == "review_held"]
    assert review.details["outcome"] == "continue" and review.details["review_number"] == 1
