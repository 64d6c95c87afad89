"""A child on a plan, on the time-skipping server: visits, core groups, reviews and endings."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest

from domain.calendar import WorkingDayCalendar, add_months
from domain.deadlines import LONDON, DeadlineStatus
from domain.events import (
    ChildFound,
    ChildMissing,
    CoreGroupHeld,
    EndingReason,
    IcpcHeld,
    LeadSocialWorkerNamed,
    PlanEnded,
    ReviewHeld,
    ReviewScheduled,
    ReviewTrigger,
    SignificantEvent,
    StrategyDiscussion,
    Task,
    TaskCompleted,
    VisitMade,
    workflow_id_for,
)
from domain.state import JourneyState, Stage
from starter.client import EventRejected
from tests.conftest import JourneyWorld, eventually

CASE = "PLAN-0001"
ids = itertools.count(1)


def eid(prefix: str) -> str:
    return f"{prefix}-{next(ids)}"


async def on_plan(world: JourneyWorld, policy: str = "darlington", category: str = "neglect") -> JourneyState:
    await world.journeys.start(
        CASE, policy, StrategyDiscussion(event_id="sd-1", held_on=await world.today(), initiated_section_47=True)
    )
    await world.days_pass(7)
    return await world.journeys.send(
        CASE, IcpcHeld(event_id="icpc-1", held_on=await world.today(), decision="plan", category=category)
    )


async def send(world: JourneyWorld, event) -> JourneyState:
    return await world.journeys.send(CASE, event)


async def hold_review(world: JourneyWorld, **outcome) -> JourneyState:
    """Hold a review today and wait for the journey to continue as new (if the plan goes on)."""
    before = await world.journeys.state(CASE)
    state = await send(world, ReviewHeld(event_id=eid("review"), held_on=await world.today(), **outcome))
    if state.stage is Stage.ON_PLAN:
        async def continued() -> bool:
            return (await world.journeys.state(CASE)).run == before.run + 1
        await eventually(continued)
    return await world.journeys.state(CASE)


async def live_on_plan(world: JourneyWorld, until: date, end_at_review: int | None = None) -> JourneyState:
    """Do everything the plan asks, each on the day it falls due, until ``until`` or the plan ends."""
    state = await world.journeys.state(CASE)
    await book_next_review(world, state)
    while True:
        state = await world.journeys.state(CASE)
        if state.stage is Stage.CLOSED:
            return state
        due_dates = [(row.due, row.kind) for row in state.deadlines if row.status is DeadlineStatus.OPEN]
        due_dates.append((state.review_date, "review_conference"))
        due, kind = min(due_dates)
        if due > until:
            return state
        await reach(world, due)
        if kind in ("visit", "bedroom_seen"):
            await send(world, VisitMade(event_id=eid("visit"), visited_on=due, outcome="seen", seen_alone=True,
                                        bedroom_seen=True))
        elif kind == "core_group":
            await send(world, CoreGroupHeld(event_id=eid("cg"), held_on=due, attended=["social worker", "school"],
                                            decisions=["plan reviewed"], actions=["health visitor to visit"]))
        elif kind in {task.value for task in Task}:
            await send(world, TaskCompleted(event_id=eid(kind), task=kind, completed_on=due))
        elif kind == "review_conference":
            number = state.reviews_held + 1
            if number == end_at_review:
                await hold_review(world, outcome="end_plan", chair_endorsed_ending=True)
            else:
                await book_next_review(world, await hold_review(world, outcome="continue"))
        else:
            raise AssertionError(f"nothing in the test does {kind}")


async def reach(world: JourneyWorld, day: date) -> None:
    """Let time pass until it is ``day`` in London (whole days of 24 hours miss it when the clocks change)."""
    noon = datetime.combine(day, time(12), LONDON)
    now = await world.env.get_current_time()
    if noon > now:
        await world.env.sleep(noon - now)


async def book_next_review(world: JourneyWorld, state: JourneyState) -> None:
    limit = state.deadline("review").due
    await send(world, ReviewScheduled(event_id=eid("book"), scheduled_on=await world.today(),
                                      review_date=limit - timedelta(days=7)))


async def test_a_two_year_plan_kept_to_every_timescale_ends_at_its_fourth_review(world: JourneyWorld) -> None:
    start = await on_plan(world, policy="darlington", category="emotional_abuse")
    plan_start = start.plan_started_on
    await send(world, LeadSocialWorkerNamed(event_id="lsw-1", named_on=plan_start, staff_ref="SW-1042"))

    state = await live_on_plan(world, until=plan_start + timedelta(days=2 * 365), end_at_review=4)

    assert state.stage is Stage.CLOSED and "review conference ended the plan" in state.closed_because
    assert state.reviews_held == 4
    assert state.run == 3  # a fresh history after each of the first three reviews
    assert state.escalations == []
    assert world.letters() == []  # Darlington's document names nobody to tell when a review ends the plan
    kinds = [record.kind for record in world.records(CASE)]
    assert kinds.count("review_held") == 4
    ended_on = world.records(CASE)[-1].occurred_on
    england = WorkingDayCalendar()
    working_days = sum(england.is_working_day(plan_start + timedelta(days=n)) for n in range((ended_on - plan_start).days))
    assert working_days > 380  # four reviews, each within its limit: well over a year and a half
    # Darlington: visits every 10 working days, core groups every 20 (less one: the plan ended on its due day).
    assert kinds.count("visit_made") >= working_days // 10 - 1
    assert kinds.count("core_group_held") >= working_days // 20 - 1
    # Darlington: the plan distributed within five days of every core group, each on time.
    assert kinds.count("task_completed") >= kinds.count("core_group_held")
    handle = world.env.client.get_workflow_handle(workflow_id_for(CASE), result_type=JourneyState)
    assert (await handle.result()).reviews_held == 4


async def test_a_five_year_plan_crosses_continue_as_new_and_keeps_its_history_short(world: JourneyWorld) -> None:
    start = await on_plan(world, policy="staffordshire", category="physical_abuse")
    state = await live_on_plan(world, until=start.plan_started_on + timedelta(days=5 * 365))

    assert state.stage is Stage.ON_PLAN
    assert state.reviews_held == 10 and state.run == 10
    assert state.escalations == []
    assert len(state.event_ids) > 150  # every event id carried across runs, so a resend is still refused
    history = await world.env.client.get_workflow_handle(workflow_id_for(CASE)).fetch_history()
    assert len(history.events) < 1_000  # one review cycle, not five years
    state = await send(world, PlanEnded(event_id="end", ended_on=await world.today(), reason=EndingReason.TURNED_18))
    assert state.stage is Stage.CLOSED


@pytest.mark.parametrize("reason", list(EndingReason), ids=[reason.value for reason in EndingReason])
async def test_every_other_ending_closes_the_plan_and_staffordshire_tells_every_agency(world: JourneyWorld,
                                                                                       reason) -> None:
    # Staffordshire, paragraph 47: "All agencies that were represented in the original child protection
    # conference, which led to the plan, are notified of this change."; paragraph 42 on a death.
    await on_plan(world, policy="staffordshire")
    state = await send(world, PlanEnded(event_id="end", ended_on=await world.today(), reason=reason,
                                        receiving_conference_confirmed=True))
    assert state.stage is Stage.CLOSED
    assert all(row.status is not DeadlineStatus.OPEN for row in state.deadlines)
    roles = sorted(letter["recipient_role"] for letter in world.letters())
    expected = ["all_agencies", "education", "health"]
    if reason is EndingReason.DIED:
        expected.append("safeguarding_children_board_manager")
    assert roles == sorted(expected)


async def test_a_death_in_darlington_goes_to_the_senior_child_protection_manager_only(world: JourneyWorld) -> None:
    # "...the lead Social Worker must inform the senior child protection manager, who will notify Darlington
    # Safeguarding Partnership. Consideration will need to be given to the need for a Child Safeguarding
    # Practice Review (CSPR)."
    await on_plan(world, policy="darlington")
    await send(world, PlanEnded(event_id="end", ended_on=await world.today(), reason=EndingReason.DIED))
    assert [letter["recipient_role"] for letter in world.letters()] == ["senior_child_protection_manager"]
    assert world.records(CASE)[-1].details["consider_practice_review"] is True


async def test_staffordshire_refuses_to_end_a_plan_on_a_move_before_the_receiving_conference(
    world: JourneyWorld,
) -> None:
    # Paragraph 41: "Only upon confirmation of this decision can the local child protection plan be discontinued."
    await on_plan(world, policy="staffordshire")
    with pytest.raises(EventRejected, match="paragraph 41"):
        await send(world, PlanEnded(event_id="end", ended_on=await world.today(),
                                    reason=EndingReason.MOVED_TO_ANOTHER_AUTHORITY))


async def test_an_early_review_moves_the_next_limit_from_the_day_it_was_held(world: JourneyWorld) -> None:
    state = await on_plan(world, policy="staffordshire")
    await world.days_pass(30)
    today = await world.today()
    state = await send(world, ReviewScheduled(event_id="book-1", scheduled_on=today, review_date=today + timedelta(days=16),
                                              brought_forward_because=ReviewTrigger.NEW_INCIDENT))
    assert state.review_date == today + timedelta(days=16)
    invitations = state.deadline("review_invitations")
    assert invitations.due == today + timedelta(days=2)  # Staffordshire: invitations two weeks before
    await world.days_pass(16)
    state = await hold_review(world, outcome="continue")
    assert state.deadline("review").due == add_months(await world.today(), 6)


async def test_a_review_is_never_postponed_past_its_limit(world: JourneyWorld) -> None:
    state = await on_plan(world, policy="staffordshire")
    limit = state.deadline("review").due
    with pytest.raises(EventRejected, match=f"cannot be postponed past {limit}"):
        await send(world, ReviewScheduled(event_id="late", scheduled_on=await world.today(),
                                          review_date=limit + timedelta(days=1)))
    await send(world, ReviewScheduled(event_id="ok", scheduled_on=await world.today(), review_date=limit))


async def test_neglect_plans_are_not_ended_at_the_first_review_in_staffordshire(world: JourneyWorld) -> None:
    await on_plan(world, policy="staffordshire", category="neglect")
    await world.days_pass(80)
    with pytest.raises(EventRejected, match="neglect is not ended at the first review"):
        await send(world, ReviewHeld(event_id="r1", held_on=await world.today(), outcome="end_plan",
                                     chair_endorsed_ending=True))
    await hold_review(world, outcome="continue")
    await world.days_pass(150)
    with pytest.raises(EventRejected, match="chair's explicit endorsement"):
        await send(world, ReviewHeld(event_id="r2", held_on=await world.today(), outcome="end_plan"))
    state = await send(world, ReviewHeld(event_id="r3", held_on=await world.today(), outcome="end_plan",
                                         chair_endorsed_ending=True))
    assert state.stage is Stage.CLOSED


async def test_darlington_ends_a_plan_at_the_first_review_only_in_exceptional_circumstances(world: JourneyWorld) -> None:
    await on_plan(world, policy="darlington", category="physical_abuse")
    await world.days_pass(80)
    with pytest.raises(EventRejected, match="exceptional circumstances"):
        await send(world, ReviewHeld(event_id="r1", held_on=await world.today(), outcome="end_plan"))
    state = await send(world, ReviewHeld(event_id="r2", held_on=await world.today(), outcome="end_plan",
                                         exceptional_circumstance="perpetrator_custodial_sentence"))
    assert state.stage is Stage.CLOSED


async def test_a_missed_visit_escalates_to_the_line_manager_and_no_access_is_reported(world: JourneyWorld) -> None:
    # Darlington, Seeing the Child: "...the Children's Social Care line manager must be informed..."
    state = await on_plan(world, policy="darlington")
    first_visit = state.deadline("visit")
    await world.days_pass((first_visit.due - await world.today()).days)
    await send(world, VisitMade(event_id="v1", visited_on=await world.today(), outcome="no_access"))
    assert [letter["template"] for letter in world.letters()] == ["no_access"]

    await world.days_pass(2)
    await eventually(lambda: _has_letter(world, "overdue_escalation"))
    state = await world.journeys.state(CASE)
    assert state.deadline("visit").status is DeadlineStatus.OVERDUE
    escalation = [letter for letter in world.letters() if letter["template"] == "overdue_escalation"][0]
    assert escalation["recipient_role"] == "line_manager"


async def _has_letter(world: JourneyWorld, template: str) -> bool:
    return any(letter["template"] == template for letter in world.letters())


async def test_an_untraced_missing_child_reaches_the_senior_manager_next_working_day(world: JourneyWorld) -> None:
    await on_plan(world)
    await send(world, ChildMissing(event_id="m1", reported_on=await world.today()))
    assert sorted(letter["recipient_role"] for letter in world.letters()) == ["conference_chair", "lead_social_worker"]
    await world.days_pass(5)
    await eventually(lambda: _has_letter(world, "overdue_escalation"))
    assert world.letters()[-1]["recipient_role"] == "senior_child_protection_manager"
    state = await send(world, ChildFound(event_id="f1", found_on=await world.today()))
    assert state.missing_since is None
    assert state.deadline("child_traced").status is DeadlineStatus.MET_LATE


async def test_a_significant_event_goes_to_the_chair_and_the_lead_social_worker(world: JourneyWorld) -> None:
    await on_plan(world, policy="local-guide")
    await send(world, SignificantEvent(event_id="se1", occurred_on=await world.today(), kind="police_involvement"))
    letters = world.letters()
    assert sorted(letter["recipient_role"] for letter in letters) == ["conference_chair", "lead_social_worker"]
    assert "The chair is to be told by" in letters[0]["body"]


async def test_plan_events_before_a_plan_exists_are_refused(world: JourneyWorld) -> None:
    await world.journeys.start(
        CASE, "darlington", StrategyDiscussion(event_id="sd-1", held_on=await world.today(), initiated_section_47=True)
    )
    with pytest.raises(EventRejected, match="accepted while the child is on a child protection plan"):
        await send(world, VisitMade(event_id="v1", visited_on=await world.today(), outcome="seen"))


async def test_a_feed_reports_a_missing_child_without_waiting_and_a_bad_report_is_recorded_as_refused(
    world: JourneyWorld,
) -> None:
    await on_plan(world)
    today = await world.today()
    await world.journeys.feed(CASE, ChildMissing(event_id="school-feed-1", reported_on=today))
    await world.journeys.feed(CASE, ChildMissing(event_id="school-feed-1", reported_on=today))  # the feed resends

    async def missing() -> bool:
        return (await world.journeys.state(CASE)).missing_since == today
    await eventually(missing)
    await world.journeys.feed(CASE, ChildFound(event_id="school-feed-2", found_on=today - timedelta(days=30)))

    async def refused() -> bool:
        return "feed_event_refused" in [row.kind for row in world.records(CASE)]
    await eventually(refused)
    state = await world.journeys.state(CASE)
    assert state.missing_since == today  # the bad report changed nothing
    assert [row.kind for row in world.records(CASE)].count("child_missing") == 1
    [refusal] = [row for row in world.records(CASE) if row.kind == "feed_event_refused"]
    assert "before the plan started" in refusal.summary
