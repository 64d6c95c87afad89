"""Complaints and disagreements as workflows of their own, on the time-skipping server.

The complaint runs beside the child's journey and never changes it: the plan's reviews,
continue-as-new and end go on while it is open (seed 000; seed 001 7.5 and 8.5).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.converter import DataConverter

from domain.complaints import (
    CHALLENGE_DECIDED,
    ChallengeKind,
    AppealGroundsDecided,
    AppealOutcomeSent,
    AppealSubcommitteeMet,
    ComplaintMade,
    ComplaintStage,
    ComplaintStart,
    ComplaintState,
    ConferenceReconvened,
    DisagreementRaised,
    DissatisfactionNotified,
    DocumentsConsidered,
    FileReviewed,
    FinalDecisionMade,
    FormalComplaintReceived,
    InformalResolutionEnded,
    PanelConvened,
    PanelDecided,
    ReceiptAcknowledged,
    ReferredToScrutineer,
    ScrutineerResponded,
    ServiceManagerResponded,
    complaint_workflow_id,
)
from domain.deadlines import DeadlineStatus, calendar_of
from domain.conference import ChildDecision, ConferenceHeld
from domain.events import (
    ConferenceBooked,
    ConferenceNotRequired,
    IcpcHeld,
    PlanEnded,
    ReviewHeld,
    StrategyDiscussion,
    workflow_id_for,
)
from domain.released import pinned
from domain.state import JourneyState, Stage
from shipped.profiles import load_profile
from starter.client import EventRejected
from tests.conftest import JourneyWorld, eventually, quiet
from workflows import search_attributes as sa
from workflows.complaint import ComplaintWorkflow

CASE = "CASE-0001"


async def open_challenge(world: JourneyWorld, policy: str, opening, ref: str = "CMP-0001") -> WorkflowHandle:
    """As the journey (or the API) will: the journey's policy, pinned, and the opening event."""
    start = ComplaintStart(complaint_ref=ref, case_ref=CASE, opening=opening, **pinned(load_profile(policy)))
    handle = await world.env.client.start_workflow(
        ComplaintWorkflow.run, start, id=complaint_workflow_id(ref), task_queue=world.journeys.task_queue,
        result_type=ComplaintState)
    await quiet(world.env.client, handle.id)
    return handle


async def send(world: JourneyWorld, handle: WorkflowHandle, event) -> ComplaintState:
    receipt = await handle.execute_update(ComplaintWorkflow.event, event)
    assert receipt.event_id == event.event_id
    await quiet(world.env.client, handle.id)
    return await handle.query(ComplaintWorkflow.state)


async def refused(handle: WorkflowHandle, event) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(ComplaintWorkflow.event, event)
    return str(failed.value.cause)


def complaint(on: date, complainant: str = "parent", about: str = "plan_decision") -> ComplaintMade:
    return ComplaintMade(event_id="c-1", received_on=on, complainant=complainant, about=[about],
                         conference_ref="ICPC-0001", conference_chair_ref="CPC-0042")


async def timer_summaries(handle: WorkflowHandle, converter: DataConverter) -> list[str]:
    """The summaries of the complaint's timers, as the Temporal UI shows them (through the codec: encrypted)."""
    history = await handle.fetch_history()
    payloads = [event.user_metadata.summary for event in history.events
                if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED and event.user_metadata.HasField("summary")]
    return await converter.decode(payloads, [str] * len(payloads))


async def last_indexed(world: JourneyWorld, workflow_id: str, name: str) -> str | None:
    """The last value a workflow gave a search attribute, from its history (the time-skipping server has no list)."""
    history = await world.env.client.get_workflow_handle(workflow_id).fetch_history()
    value = None
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            if name in fields:
                value = json.loads(fields[name].data) if fields[name].data else None  # empty: unset
    return value


async def journey_when(world: JourneyWorld, condition) -> JourneyState:
    """The journey's state once ``condition`` holds (signals from a challenge arrive a moment after its event)."""
    found = {}

    async def holds() -> bool:
        found["state"] = await world.journeys.state(CASE)
        return condition(found["state"])
    await eventually(holds)
    return found["state"]


def row(state: JourneyState, ref: str = "CMP-0001"):
    return next((row for row in state.challenges if row.ref == ref), None)


def held(on: date, category: str = "neglect") -> ConferenceHeld:
    return ConferenceHeld(event_id=f"held-{on}", held_on=on, childrens_social_care_present=True,
                          other_agencies_present=["school", "health visitor"], parents_present=True, decisions=[
                              ChildDecision(case_ref=CASE, plan=True, category=category, agencies_for_plan=3,
                                            agencies_against_plan=0)])


def booking(on: date, ref: str, chair: str, event_id: str = "book-1") -> ConferenceBooked:
    return ConferenceBooked(event_id=event_id, booked_on=on, conference_ref=ref, kind="review", meeting_on=on,
                            chair_ref=chair, chair_independent_of_the_case=True)


async def start_plan(world: JourneyWorld, policy: str) -> None:
    today = await world.today()
    await world.journeys.start(CASE, policy, StrategyDiscussion(event_id="sd-1", held_on=today, initiated_section_47=True))
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=today, decision="plan", category="neglect"))


async def test_a_darlington_complaint_goes_through_the_appeal_subcommittee_to_the_ombudsman_route(
    world: JourneyWorld,
) -> None:
    received = await world.today()
    handle = await open_challenge(world, "darlington", complaint(received))
    state = await handle.query(ComplaintWorkflow.state)
    response = state.deadline("complaint_response")
    assert response.due == calendar_of(load_profile("darlington")).add_working_days(received, 10)

    # The Service Manager is reminded the working day before and, once the day has passed, escalated to.
    await world.days_pass((response.due - received).days + 1)

    async def escalated() -> bool:
        return any(row.kind == "complaint_response_overdue" for row in world.records(CASE))
    await eventually(escalated)
    summaries = await timer_summaries(handle, world.env.client.data_converter)
    assert f"Remind safeguarding service manager: Service Manager's response to the complaint due {response.due}" in summaries
    assert (f"Service Manager's response to the complaint due {response.due} (10 working days after): escalate to "
            "safeguarding service manager if not sent") in summaries
    sent = [(letter["template"], letter["recipient_role"]) for letter in world.letters()]
    assert ("deadline_reminder", "safeguarding_service_manager") in sent
    assert ("overdue_escalation", "safeguarding_service_manager") in sent
    # A supervisor finds it: WorkflowType = "ComplaintWorkflow" AND CpjOverdue = true (AND CpjCase = "...").
    assert await last_indexed(world, handle.id, sa.OVERDUE.name) is True
    assert await last_indexed(world, handle.id, sa.STAGE.name) == "with_service_manager"
    # The deadline it missed is still its next to meet (the "caseload-attributes" patch), never "none open".
    assert await last_indexed(world, handle.id, sa.NEXT_DEADLINE_KIND.name) == "complaint_response"
    assert await last_indexed(world, handle.id, sa.CASE.name) == CASE

    today = await world.today()
    state = await send(world, handle, ServiceManagerResponded(event_id="e-1", responded_on=today))
    assert state.deadline("complaint_response").status is DeadlineStatus.MET_LATE
    # The same event again is a resend; its id on another event is refused, naming what it was.
    assert (await handle.execute_update(ComplaintWorkflow.event,
                                        ServiceManagerResponded(event_id="e-1", responded_on=today))).resend
    assert "already used on this complaint for a different event (service manager responded)" in await refused(
        handle, ReferredToScrutineer(event_id="e-1", received_on=today))
    assert "in the future" in await refused(handle, ReferredToScrutineer(event_id="e-2",
                                                                         received_on=today + timedelta(days=1)))

    state = await send(world, handle, ReferredToScrutineer(event_id="e-2", received_on=today))
    assert {row.kind for row in state.deadlines if row.status is DeadlineStatus.OPEN} == {
        "complaint_acknowledgement", "complaint_documents_considered", "complaint_written_response"}
    for event in (ReceiptAcknowledged(event_id="e-3", sent_on=today),
                  DocumentsConsidered(event_id="e-4", considered_on=today),
                  ScrutineerResponded(event_id="e-5", responded_on=today),
                  DissatisfactionNotified(event_id="e-6", notified_on=today),
                  AppealGroundsDecided(event_id="e-7", decided_on=today, grounds=True)):
        state = await send(world, handle, event)
    assert state.stage is ComplaintStage.APPEAL_SUBCOMMITTEE
    assert "appeal_subcommittee" in {row.kind for row in state.deadlines if row.status is DeadlineStatus.OPEN}
    await send(world, handle, AppealSubcommitteeMet(event_id="e-8", met_on=today, chaired_by_independent_person=True,
                                                    members_with_no_involvement=2))
    await send(world, handle, AppealOutcomeSent(event_id="e-9", sent_on=today, upheld=False))

    result = await handle.result()
    assert result.stage is ComplaintStage.CLOSED and result.ombudsman_route_given
    to_complainant = [letter for letter in world.letters() if letter["recipient_role"] == "complainant"]
    assert [letter["template"] for letter in to_complainant] == [
        "complaint_received", "complaint_response", "complaint_acknowledged", "complaint_written_response",
        "appeal_invitation", "ombudsman_route"]
    assert all(letter["body"].startswith("To the parent:") for letter in to_complainant)
    kinds = [row.kind for row in world.records(CASE) if row.kind != "effect_failed"]
    assert kinds[0] == "complaint_made" and kinds[-1] == "appeal_outcome_sent"
    # No journey runs for this case here: that it could not be told is recorded once, and the complaint went on.
    [not_told] = [row for row in world.records(CASE) if row.kind == "effect_failed"]
    assert not_told.summary.startswith(f"Not done: Case {CASE}'s journey told: complaint CMP-0001")
    assert not await last_indexed(world, handle.id, sa.OVERDUE.name)


async def test_a_complaint_about_an_agencys_own_service_is_refused_with_the_reason(world: JourneyWorld) -> None:
    await world.journeys.start(CASE, "darlington", StrategyDiscussion(event_id="sd-1", held_on=await world.today(),
                                                                      initiated_section_47=True))
    handle = await open_challenge(world, "darlington", complaint(await world.today(), about="agency_service"))
    result = await handle.result()
    assert result.stage is ComplaintStage.REFUSED and "own complaints process" in result.refused_because
    [letter] = world.letters()
    assert letter["template"] == "complaint_refused" and letter["recipient_role"] == "complainant"
    [record] = [record for record in world.records(CASE) if record.workflow_id == handle.id]
    assert record.kind == "complaint_made" and record.summary.startswith("Complaint refused")
    # The journey lists it, refused, with the reason staff give the complainant.
    journey = await journey_when(world, lambda state: row(state) is not None)
    assert row(journey).closed_on == result.received_on
    assert row(journey).outcome.startswith("refused: a complaint about an individual agency")
    assert row(journey).about == ("Complaint by the parent about an agency's own work or services "
                                  "(conference ICPC-0001)")


async def test_the_plan_goes_on_while_a_complaint_is_open_and_the_complaint_outlives_the_plan(
    world: JourneyWorld,
) -> None:
    await start_plan(world, "birmingham")
    before = await world.journeys.state(CASE)
    handle = await open_challenge(world, "birmingham", complaint(await world.today()))
    journey = await journey_when(world, lambda state: row(state) is not None)
    assert row(journey).open and row(journey).kind == "complaint"
    # The plan's deadlines are untouched by the complaint.
    assert [(r.kind, r.due, r.status) for r in journey.deadlines] == [(r.kind, r.due, r.status) for r in before.deadlines]
    # A review while the complaint is open: held as ever, and the journey continues as new, still listing it.
    await world.days_pass(7)
    journey = await world.journeys.send(CASE, ReviewHeld(event_id="r-1", held_on=await world.today(), outcome="continue"))
    assert journey.stage is Stage.ON_PLAN and journey.reviews_held == 1
    journey = await journey_when(world, lambda state: state.run == 1)
    assert row(journey).open
    state = await send(world, handle, InformalResolutionEnded(event_id="e-1", ended_on=await world.today(),
                                                              resolved=False))
    assert state.stage is ComplaintStage.FORMAL_COMPLAINT_INVITED
    journey = await journey_when(world, lambda state: row(state).stage.startswith("not resolved informally"))
    assert journey.run == 1
    # The plan ends; the complaint does not.
    journey = await world.journeys.send(CASE, PlanEnded(event_id="end-1", ended_on=await world.today(),
                                                        reason="became_looked_after"))
    assert journey.stage is Stage.CLOSED
    state = await send(world, handle, FormalComplaintReceived(event_id="e-2", received_on=await world.today()))
    assert state.stage is ComplaintStage.WITH_PANEL
    assert ("formal_complaint", "assistant_director") in {(l["template"], l["recipient_role"]) for l in world.letters()}
    # The ended journey could not be told: recorded on the complaint, which goes on.
    assert any("journey told" in failure for failure in state.failures)


async def test_an_upheld_birmingham_complaint_is_reconvened_under_a_new_chair_whose_decision_the_journey_applies(
    world: JourneyWorld,
) -> None:
    await start_plan(world, "birmingham")
    received = await world.today()
    handle = await open_challenge(world, "birmingham", complaint(received))
    informal = (await handle.query(ComplaintWorkflow.state)).deadline("complaint_informal_resolution")
    assert informal.due == received + timedelta(days=14)
    journey = await journey_when(world, lambda state: row(state) is not None)
    assert row(journey).stage == ("with the conference chair, for informal resolution; chair's informal resolution "
                                  f"of the complaint due by {informal.due}")
    # The chair lets the 14 days pass: escalated, and the formal complaint may then follow.
    await world.days_pass(15)

    async def escalated() -> bool:
        return any(row.kind == "complaint_informal_resolution_overdue" for row in world.records(CASE))
    await eventually(escalated)
    today = await world.today()
    state = await send(world, handle, FormalComplaintReceived(event_id="e-1", received_on=today))
    panel = state.deadline("complaint_panel_decision")
    assert panel.due == today + timedelta(days=28)
    await send(world, handle, PanelConvened(event_id="e-2", convened_on=today, members=3,
                                            members_with_previous_involvement=0, members_know_procedures=True))
    state = await send(world, handle, PanelDecided(event_id="e-3", letter_sent_on=today, upheld=True))
    assert state.stage is ComplaintStage.TO_BE_RECONVENED
    assert ("reconvene_conference", "team_manager") in {(l["template"], l["recipient_role"]) for l in world.letters()}

    # The journey is told; the decision and the plan stand until the reconvened conference decides.
    history = await world.env.client.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    [signalled] = [event.workflow_execution_signaled_event_attributes for event in history.events
                   if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
                   and event.workflow_execution_signaled_event_attributes.signal_name == CHALLENGE_DECIDED]
    [handed] = await world.env.client.data_converter.decode(signalled.input.payloads[:1], [dict])
    assert handed["outcome"] == "reconvene_under_another_chair" and handed["not_chaired_by"] == "CPC-0042"
    journey = await journey_when(world, lambda state: state.conference_owed is not None)
    assert journey.stage is Stage.ON_PLAN and journey.category == "neglect"
    assert journey.conference_owed.words.startswith("the conference to be reconvened under a chair other than CPC-0042")
    assert row(journey).outcome == "upheld: the conference to be reconvened under a different chair"

    # Staff book it on the journey: the chair complained about is refused, with the procedure's words.
    with pytest.raises(EventRejected) as refusal:
        await world.journeys.send(CASE, booking(today, "RCPC-0002", "CPC-0042"))
    assert "reconvened under a different chair, not CPC-0042" in str(refusal.value)
    assert "Birmingham procedures (Section 6), 8.13" in str(refusal.value)
    await world.journeys.send(CASE, booking(today, "RCPC-0002", "CPC-0077"))
    # The reconvened conference is a real conference; its decision is the journey's, as any conference's.
    await world.journeys.send_to_conference("RCPC-0002", held(today, category="emotional_abuse"))
    journey = await journey_when(world, lambda state: state.category == "emotional_abuse")
    assert journey.conference_owed is None and journey.stage is Stage.ON_PLAN

    # And the complaint closes by itself: one action for staff.
    result = await handle.result()
    assert result.stage is ComplaintStage.CLOSED and result.reconvened_conference_ref == "RCPC-0002"
    assert result.closed_because == "conference RCPC-0002 held under chair CPC-0077"
    journey = await journey_when(world, lambda state: row(state).closed_on is not None)
    assert row(journey).outcome == "conference RCPC-0002 held under chair CPC-0077"
    assert journey.run >= 1  # the reconvened conference decided as a review: a fresh history, the row carried


async def test_a_disagreement_about_an_outcome_escalates_a_late_further_conference(world: JourneyWorld) -> None:
    received = await world.today()
    handle = await open_challenge(world, "birmingham", DisagreementRaised(
        event_id="d-1", received_on=received, about="conference_outcome", raised_by="professional", agency="school"))
    state = await send(world, handle, FileReviewed(event_id="e-1", reviewed_on=received, another_conference=True))
    further = state.deadline("further_conference")
    assert further.due == calendar_of(load_profile("birmingham")).add_working_days(received, 15)
    await world.days_pass((further.due - received).days + 1)

    async def escalated() -> bool:
        return any(letter["template"] == "overdue_escalation" for letter in world.letters())
    await eventually(escalated)
    assert {letter["recipient_role"] for letter in world.letters()
            if letter["template"] == "overdue_escalation"} == {"assistant_head_child_protection"}
    await send(world, handle, ConferenceReconvened(event_id="e-2", held_on=await world.today(),
                                                   conference_ref="RCPC-0002", chair_ref="CPC-0042"))
    result = await handle.result()
    assert result.stage is ComplaintStage.CLOSED
    assert result.deadline("further_conference").status is DeadlineStatus.MET_LATE


async def test_another_conference_agreed_on_a_disagreement_is_shown_on_the_journey_and_met_by_a_booked_one(
    world: JourneyWorld,
) -> None:
    await start_plan(world, "birmingham")
    today = await world.today()
    handle = await open_challenge(world, "birmingham", DisagreementRaised(
        event_id="d-1", received_on=today, about="conference_outcome", raised_by="professional", agency="school",
        conference_ref="ICPC-0001"))
    state = await send(world, handle, FileReviewed(event_id="e-1", reviewed_on=today, another_conference=True))
    due = state.deadline("further_conference").due
    journey = await journey_when(world, lambda state: state.conference_owed is not None)
    assert journey.conference_owed.words == f"another conference to be held by {due} (disagreement CMP-0001)"
    assert row(journey).about == "Disagreement by the school with the outcome of a conference (conference ICPC-0001)"
    # Any chair may hold it (only an upheld complaint needs another chair).
    await world.journeys.send(CASE, booking(today, "RCPC-0003", "CPC-0042"))
    await world.journeys.send_to_conference("RCPC-0003", held(today))
    result = await handle.result()
    assert result.stage is ComplaintStage.CLOSED
    assert result.deadline("further_conference").status is DeadlineStatus.MET
    journey = await journey_when(world, lambda state: state.conference_owed is None and row(state).closed_on)
    assert journey.reviews_held == 1 and journey.category == "neglect"


async def test_a_decision_to_hold_an_icpc_after_all_starts_the_closed_journey_again_with_its_own_deadline(
    world: JourneyWorld,
) -> None:
    today = await world.today()
    await world.journeys.start(CASE, "birmingham", StrategyDiscussion(event_id="sd-1", held_on=today,
                                                                      initiated_section_47=True))
    closed = await world.journeys.send(CASE, ConferenceNotRequired(
        event_id="nr-1", decided_on=today, decided_by="team_manager", reasons="No continuing risk of significant harm"))
    assert closed.stage is Stage.CLOSED
    handle = await open_challenge(world, "birmingham", DisagreementRaised(
        event_id="d-1", received_on=today, about="icpc_not_held", raised_by="agency", agency="school"))
    state = await handle.query(ComplaintWorkflow.state)
    profile = load_profile("birmingham")
    assert state.deadline("icpc_disagreement_decision").due == calendar_of(profile).add_working_days(today, 10)
    await world.days_pass(3)
    decided = await world.today()
    await send(world, handle, FinalDecisionMade(event_id="e-1", decided_on=decided, hold_icpc=True))
    result = await handle.result()
    assert result.stage is ComplaintStage.CLOSED and result.handed_to_journey.outcome == "hold_icpc"

    # The closed journey cannot hear it: the case's journey starts again, waiting for its ICPC, due the
    # profile's 15 working days from the final decision, and lists the disagreement that reopened it.
    journey = await journey_when(world, lambda state: state.stage is Stage.AWAITING_ICPC)
    icpc = journey.deadline("icpc")
    assert icpc.due == calendar_of(profile).add_working_days(decided, 15)
    assert journey.icpc_to_be_held.complaint_ref == "CMP-0001"
    assert row(journey).kind == ChallengeKind.ICPC_NOT_HELD and row(journey).closed_on == decided
    assert row(journey).outcome == "final decision: an initial conference is to be held"
    [reopened] = [record for record in world.records(CASE) if record.kind == "icpc_to_be_held"]
    assert reopened.summary == (f"Journey opened again {decided}: disagreement CMP-0001 decided an initial conference "
                                f"is to be held; ICPC due by {icpc.due}")
    assert not any(letter["template"] == "challenge_not_delivered" for letter in world.letters())
    # The ICPC is held on the reopened journey as on any other.
    journey = await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=decided, decision="plan",
                                                       category="neglect"))
    assert journey.stage is Stage.ON_PLAN


async def test_a_conference_the_closed_journey_cannot_hold_is_left_to_the_team_manager(world: JourneyWorld) -> None:
    await start_plan(world, "birmingham")
    today = await world.today()
    handle = await open_challenge(world, "birmingham", DisagreementRaised(
        event_id="d-1", received_on=today, about="conference_outcome", raised_by="conference_chair"))
    await world.journeys.send(CASE, PlanEnded(event_id="end-1", ended_on=today, reason="became_looked_after"))
    await send(world, handle, FileReviewed(event_id="e-1", reviewed_on=today, another_conference=True))

    async def told() -> bool:
        return any(letter["template"] == "challenge_not_delivered" for letter in world.letters())
    await eventually(told)
    assert (await handle.query(ComplaintWorkflow.state)).stage is ComplaintStage.FURTHER_CONFERENCE
