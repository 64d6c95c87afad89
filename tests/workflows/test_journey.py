"""The ICPC stage of a child's journey, on the time-skipping Temporal server."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from activities.notify import FileSender
from domain.calendar import WorkingDayCalendar, add_months
from domain.complaints import ChallengeDecided
from domain.deadlines import DeadlineStatus
from domain.effects import Receipt
from domain.events import (
    ConferenceNotRequired,
    IcpcDelayAgreed,
    IcpcHeld,
    StrategyDiscussion,
    VisitMade,
    workflow_id_for,
)
from domain.state import JourneyState, Stage
from starter.client import EventRejected, JourneyExists, Journeys
from tests.conftest import JourneyWorld, SettledJourneys, eventually, quiet, settled
from worker import build_worker
from workflows import search_attributes as sa
from workflows.journey import ChildProtectionJourney

CASE = "CASE-0001"


def discussion(held_on: date, event_id: str = "sd-1", initiated: bool = True) -> StrategyDiscussion:
    return StrategyDiscussion(event_id=event_id, held_on=held_on, initiated_section_47=initiated)


async def start(world: JourneyWorld, held_on: date | None = None, policy: str = "darlington", **kwargs) -> JourneyState:
    await world.journeys.start(CASE, policy, discussion(held_on or await world.today(), **kwargs))
    return await world.journeys.state(CASE)


async def last_indexed(world: JourneyWorld, name: str) -> str | None:
    """The last value the journey gave a search attribute, read from its history.

    (The time-skipping server cannot describe datetime attributes; the dev-server
    test reads them through the client.)
    """
    history = await world.env.client.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    value = None
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            if name in fields:
                value = fields[name].data.decode()
    return value


async def accepted_updates(world: JourneyWorld) -> int:
    history = await world.env.client.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    return sum(1 for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)


async def test_icpc_held_on_time_starts_a_plan(world: JourneyWorld) -> None:
    today = await world.today()
    state = await start(world)
    icpc = state.deadline("icpc")
    assert state.stage is Stage.AWAITING_ICPC
    assert icpc.due == WorkingDayCalendar().add_working_days(today, 15)
    assert icpc.reason.startswith(f"15 working days after {today.isoformat()}")
    assert icpc.reason.endswith("(Darlington procedures, Initial Child Protection Conference)")

    await world.days_pass(10)
    held_on = await world.today()
    state = await world.journeys.send(
        CASE, IcpcHeld(event_id="icpc-1", held_on=held_on, decision="plan", category="neglect")
    )

    assert state.stage is Stage.ON_PLAN
    assert state.deadline("icpc").status is DeadlineStatus.MET
    plan = {row.kind: row for row in state.deadlines if row.status is DeadlineStatus.OPEN}
    assert plan["core_group"].due == WorkingDayCalendar().add_working_days(held_on, 10)
    # Darlington: "within 3 months (91 days)": whichever of the two falls first.
    assert plan["review"].due == min(add_months(held_on, 3), held_on + timedelta(days=91))
    assert {"visit", "bedroom_seen"} <= set(plan)
    kinds = [row.kind for row in world.records(CASE)]
    assert kinds == ["strategy_discussion", "icpc_held"]
    assert world.letters() == []


async def test_icpc_not_held_in_time_escalates_to_the_team_manager_once(world: JourneyWorld) -> None:
    state = await start(world)
    due = state.deadline("icpc").due

    await world.days_pass((due - await world.today()).days + 2)

    async def escalated() -> bool:
        return (await world.journeys.state(CASE)).deadline("icpc").status is DeadlineStatus.OVERDUE
    await eventually(escalated)
    await eventually(lambda: _async(len(world.letters()) == 1))
    [letter] = world.letters()
    assert letter["recipient_role"] == "team_manager"
    assert letter["template"] == "overdue_escalation"
    assert CASE in letter["subject"]
    assert await last_indexed(world, sa.OVERDUE.name) == "true"

    await world.days_pass(10)  # no second letter for the same missed deadline
    held_on = await world.today()
    state = await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=held_on, decision="no_plan"))

    assert state.deadline("icpc").status is DeadlineStatus.MET_LATE
    assert len(world.letters()) == 1
    assert [row.kind for row in world.records(CASE)] == ["strategy_discussion", "icpc_overdue", "icpc_held"]


async def _async(value: bool) -> bool:
    return value


async def test_icpc_held_late_with_the_team_managers_agreement_is_not_escalated(world: JourneyWorld) -> None:
    state = await start(world)
    due = state.deadline("icpc").due
    await world.days_pass(5)
    state = await world.journeys.send(
        CASE,
        IcpcDelayAgreed(
            event_id="delay-1", agreed_on=await world.today(), agreed_by="team_manager",
            reasons="Paediatric assessment results not available until the following week",
            new_target=due + timedelta(days=7),
        ),
    )
    assert state.deadline("icpc").agreed_target == due + timedelta(days=7)

    await world.days_pass((due - await world.today()).days + 3)  # past the statutory date, within the agreed one
    state = await world.journeys.state(CASE)
    assert state.deadline("icpc").status is DeadlineStatus.OPEN
    state = await world.journeys.send(
        CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan", category="emotional_abuse")
    )

    assert state.deadline("icpc").status is DeadlineStatus.MET_LATE
    assert world.letters() == []
    held = world.records(CASE)[-1]
    assert held.details["held_late"] is True and held.details["delay_agreed"] is True


async def test_agreed_delay_that_also_passes_is_escalated(world: JourneyWorld) -> None:
    state = await start(world)
    target = state.deadline("icpc").due + timedelta(days=3)
    await world.journeys.send(
        CASE,
        IcpcDelayAgreed(event_id="delay-1", agreed_on=await world.today(), agreed_by="team_manager",
                        reasons="Interpreter for the family not available", new_target=target),
    )
    await world.days_pass((target - await world.today()).days + 2)

    await eventually(lambda: _async(len(world.letters()) == 1))
    state = await world.journeys.state(CASE)
    assert state.escalations == [f"icpc-overdue-{target.isoformat()}"]
    assert "agreed delay" in world.letters()[0]["body"]


async def test_no_plan_closes_the_journey_with_child_in_need_follow_up(world: JourneyWorld) -> None:
    await start(world)
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="no_plan"))

    handle = world.env.client.get_workflow_handle(workflow_id_for(CASE), result_type=JourneyState)
    result = await handle.result()
    assert result.stage is Stage.CLOSED
    assert "child in need" in result.closed_because
    assert world.records(CASE)[-1].details["follow_up"] == "child_in_need"


async def test_conference_not_required_closes_the_journey(world: JourneyWorld) -> None:
    await start(world)
    state = await world.journeys.send(
        CASE,
        ConferenceNotRequired(event_id="nr-1", decided_on=await world.today(), decided_by="team_manager",
                              reasons="Enquiry found the injury was accidental; family support offered"),
    )
    assert state.stage is Stage.CLOSED
    assert state.deadline("icpc").status is DeadlineStatus.CANCELLED
    await world.env.client.get_workflow_handle(workflow_id_for(CASE)).result()


async def test_later_strategy_discussion_initiating_the_s47_moves_the_deadline(world: JourneyWorld) -> None:
    first = await world.today()
    state = await start(world)
    first_due = state.deadline("icpc").due
    await world.days_pass(4)

    state = await world.journeys.send(CASE, discussion(await world.today(), event_id="sd-2"))

    moved = state.deadline("icpc")
    assert moved.due > first_due
    assert moved.reason.startswith(f"15 working days after {(first + timedelta(days=4)).isoformat()}")
    assert [row.status for row in state.deadlines] == [DeadlineStatus.SUPERSEDED, DeadlineStatus.OPEN]


async def test_discussion_without_s47_starts_no_clock_until_one_initiates_it(world: JourneyWorld) -> None:
    state = await start(world, initiated=False)
    assert state.stage is Stage.AWAITING_SECTION_47
    assert state.deadlines == []
    await world.days_pass(30)  # no deadline, nothing to escalate
    await quiet(world.env.client, workflow_id_for(CASE))  # the worker has caught up with the thirty days
    assert world.letters() == []

    state = await world.journeys.send(CASE, discussion(await world.today(), event_id="sd-2"))
    assert state.stage is Stage.AWAITING_ICPC
    assert state.section_47_initiated_on == await world.today()


async def test_icpc_held_late_after_christmas(world: JourneyWorld) -> None:
    today = await world.today()
    discussion_day = date(today.year if today <= date(today.year, 12, 17) else today.year + 1, 12, 17)
    await world.days_pass((discussion_day - today).days)
    state = await start(world, held_on=discussion_day)
    icpc = state.deadline("icpc")
    assert icpc.due.month == 1  # Christmas, Boxing Day and New Year push it into January
    assert "skipping 25 Dec" in icpc.reason

    await world.days_pass((icpc.due - discussion_day).days + 1)
    state = await world.journeys.send(
        CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan", category="physical_abuse")
    )
    assert state.deadline("icpc").status is DeadlineStatus.MET_LATE


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (lambda today: IcpcHeld(event_id="x-1", held_on=today + timedelta(days=1), decision="no_plan"), "in the future"),
        (lambda today: IcpcHeld(event_id="x-1", held_on=today - timedelta(days=1), decision="no_plan"),
         "before the strategy discussion"),
        (lambda today: IcpcHeld(event_id="sd-1", held_on=today, decision="no_plan"),
         r"sd-1 was already used on this journey for a different event \(strategy discussion\)"),
        (lambda today: IcpcDelayAgreed(event_id="x-1", agreed_on=today, agreed_by="team_manager",
                                       reasons="Chair unavailable this week", new_target=today + timedelta(days=1)),
         "is not a delay"),
        (lambda today: StrategyDiscussion(event_id="x-1", held_on=today - timedelta(days=3),
                                          initiated_section_47=True), "before the last strategy discussion"),
    ],
    ids=["held in the future", "held before the discussion", "reused event id", "delay that is no delay",
         "discussion out of order"],
)
async def test_bad_events_are_rejected_and_never_enter_history(world: JourneyWorld, event, message) -> None:
    await start(world)
    before = await settled(lambda: world.journeys.state(CASE))

    with pytest.raises(EventRejected, match=message):
        await world.journeys.send(CASE, event(await world.today()))

    assert await world.journeys.state(CASE) == before
    assert await accepted_updates(world) == 0


async def test_events_after_the_journey_closed_are_rejected(world: JourneyWorld) -> None:
    await start(world)
    await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="no_plan"))
    with pytest.raises(EventRejected, match="closed"):
        await world.journeys.send(CASE, IcpcHeld(event_id="icpc-2", held_on=await world.today(), decision="no_plan"))


async def test_resending_the_same_event_is_answered_not_repeated(world: JourneyWorld) -> None:
    await start(world)
    delay = IcpcDelayAgreed(event_id="delay-1", agreed_on=await world.today(), agreed_by="team_manager",
                            reasons="Police disclosure awaited", new_target=await world.today() + timedelta(days=40))
    first = await world.journeys.send(CASE, delay)
    again = await world.journeys.send(CASE, delay)
    assert again == first
    assert [row.kind for row in world.records(CASE)] == ["strategy_discussion", "icpc_delay_agreed"]


async def test_a_running_journey_cannot_be_started_twice(world: JourneyWorld) -> None:
    await start(world)
    with pytest.raises(JourneyExists, match="already running"):
        await start(world, event_id="sd-2")


async def test_a_retried_start_is_answered_with_the_running_journey(world: JourneyWorld) -> None:
    today = await world.today()
    first = await world.journeys.start(CASE, "darlington", discussion(today))
    handle = world.env.client.get_workflow_handle(first.workflow_id)
    run_before = (await handle.describe()).run_id

    again = await world.journeys.start(CASE, "darlington", discussion(today))

    assert (first.resend, again.resend) == (False, True)
    assert again.workflow_id == first.workflow_id
    assert (await handle.describe()).run_id == run_before  # the same journey, not a second one

    # The same event id saying something else is not a retry.
    with pytest.raises(JourneyExists, match="it opened with event sd-1, which said something else"):
        await world.journeys.start(CASE, "darlington", discussion(today, initiated=False))


def test_malformed_events_are_refused_before_they_reach_temporal() -> None:
    with pytest.raises(ValidationError, match="category"):
        IcpcHeld(event_id="icpc-1", held_on=date(2026, 1, 5), decision="plan")
    with pytest.raises(ValidationError, match="team_manager"):
        IcpcDelayAgreed(event_id="d-1", agreed_on=date(2026, 1, 5), agreed_by="social_worker",
                        reasons="Chair unavailable", new_target=date(2026, 2, 1))
    with pytest.raises(ValidationError, match="Extra inputs"):
        StrategyDiscussion(event_id="sd-1", held_on=date(2026, 1, 5), initiated_section_47=True, child_name="x")


async def test_a_journey_cannot_start_from_a_discussion_in_the_future(world: JourneyWorld) -> None:
    tomorrow = await world.today() + timedelta(days=1)
    with pytest.raises(EventRejected, match="in the future"):
        await start(world, held_on=tomorrow)


class NoAddressForTeamManagers:
    """A sender configured without the team managers' address."""

    def send(self, request) -> None:
        raise ApplicationError("no address for role team_manager", non_retryable=True, type="NotifyConfigError")


async def test_an_escalation_that_cannot_be_delivered_is_recorded_and_the_journey_goes_on(
    world: JourneyWorld,
) -> None:
    journeys = SettledJourneys(world.env.client, "no-address", clock=world.env.get_current_time)
    async with build_worker(world.env.client, task_queue="no-address", engine=world.engine,
                            sender=NoAddressForTeamManagers()):
        await journeys.start(CASE, "darlington", discussion(await world.today()))
        await world.days_pass(30)

        async def undelivered() -> bool:
            return bool((await journeys.state(CASE)).undelivered)
        await eventually(undelivered)
        state = await journeys.state(CASE)
        assert "no address for role team_manager" in state.undelivered[0]
        assert state.stage is Stage.AWAITING_ICPC  # still running, still waiting for the conference
        assert "notification_undelivered" in [row.kind for row in world.records(CASE)]
        held = await journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="no_plan"))
        assert held.stage is Stage.CLOSED


async def test_an_event_sent_straight_after_the_start_finds_the_journey_ready(world: JourneyWorld) -> None:
    # No worker on this queue until both the start and the event are waiting: the journey's first
    # task then carries both, which is what a fast service calling start-then-send produces.
    journeys = SettledJourneys(world.env.client, "cold-start", clock=world.env.get_current_time)
    today = await world.today()
    await journeys.start(CASE, "darlington", discussion(today))
    sent = asyncio.create_task(
        journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=today, decision="plan", category="neglect"))
    )
    await asyncio.sleep(0.5)
    async with build_worker(world.env.client, task_queue="cold-start", engine=world.engine,
                            sender=FileSender(world.letters_file)):
        state = await sent
    assert state.stage is Stage.ON_PLAN
    assert {"strategy_discussion", "icpc_held"} == {row.kind for row in world.records(CASE)}


async def test_every_event_comes_in_by_one_door_and_the_old_names_still_reach_it(world: JourneyWorld) -> None:
    # A service written before the one update sends each event by its type's name; a journey must
    # take it the same way, and know it again when it comes by the new door.
    today = await world.today()
    await start(world)
    handle = world.env.client.get_workflow_handle(workflow_id_for(CASE))
    icpc = IcpcHeld(event_id="icpc-1", held_on=today, decision="plan", category="neglect")

    first = await handle.execute_update("icpc_held", icpc, id="old-door", result_type=Receipt)
    again = await handle.execute_update(ChildProtectionJourney.event, icpc, id="new-door")

    assert (first.resend, again.resend) == (False, True)
    assert again.stage == Stage.ON_PLAN.value
    await quiet(world.env.client, workflow_id_for(CASE))
    assert [row.kind for row in world.records(CASE)].count("icpc_held") == 1


async def test_a_refusal_names_the_field_and_the_stage_in_words(world: JourneyWorld) -> None:
    tomorrow = await world.today() + timedelta(days=1)
    await start(world)
    with pytest.raises(EventRejected, match=r"^Held on .* is in the future"):
        await world.journeys.send(CASE, IcpcHeld(event_id="icpc-1", held_on=tomorrow, decision="no_plan"))
    with pytest.raises(EventRejected, match="Visit is not accepted now: this journey is waiting for its initial "
                                            "child protection conference"):
        await world.journeys.send(CASE, VisitMade(event_id="v-1", visited_on=await world.today(), outcome="seen"))


async def test_an_update_the_journey_does_not_know_is_refused(world: JourneyWorld) -> None:
    await start(world)
    handle = world.env.client.get_workflow_handle(workflow_id_for(CASE))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("child_named", {"event_id": "x-1"}, id="unknown")
    assert "send events to the update 'event'" in str(refused.value.cause)
    assert await accepted_updates(world) == 0


async def test_a_journey_still_waiting_for_a_section_47_holds_the_icpc_a_disagreement_decided_on(
    world: JourneyWorld,
) -> None:
    # Birmingham 7.1: an agency disputed the decision not to go to an ICPC, and the final decision is to hold one.
    await start(world, policy="birmingham", initiated=False)
    decided = await world.today()
    handle = world.env.client.get_workflow_handle(workflow_id_for(CASE))
    told = ChallengeDecided(complaint_ref="CMP-0001", kind="icpc_not_held", decided_on=decided, outcome="hold_icpc")
    await handle.signal(ChildProtectionJourney.challenge_decided, told)
    await handle.signal(ChildProtectionJourney.challenge_decided, told)  # told twice: the clock starts once
    await quiet(world.env.client, workflow_id_for(CASE))
    state = await world.journeys.state(CASE)
    assert state.stage is Stage.AWAITING_ICPC
    assert [row.due for row in state.deadlines if row.kind == "icpc"] == [
        WorkingDayCalendar().add_working_days(decided, 15)]
    assert [row.kind for row in world.records(CASE)].count("challenge_decided") == 1
