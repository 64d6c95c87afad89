"""The plan's rules, without Temporal: what each event opens, closes and refuses."""

from __future__ import annotations

from datetime import date

import pytest

from domain import plan
from domain.calendar import WorkingDayCalendar, add_months
from domain.deadlines import DeadlineStatus
from domain.events import IcpcHeld, ReviewHeld, SignificantEvent, VisitMade
from domain.policy import load_profile
from domain.state import JourneyState, Stage

ICPC_DAY = date(2027, 1, 12)
england = WorkingDayCalendar()


def on_plan(policy: str, category: str = "neglect") -> tuple[JourneyState, object]:
    profile = load_profile(policy)
    state = JourneyState(case_ref="CASE-0001", policy=profile.pin, stage=Stage.AWAITING_ICPC)
    plan.start_plan(state, profile, IcpcHeld(event_id="i", held_on=ICPC_DAY, decision="plan", category=category))
    return state, profile


def test_darlington_has_no_first_visit_rule_so_the_first_visit_is_due_at_the_usual_interval() -> None:
    state, _ = on_plan("darlington")
    assert state.deadline("visit").due == england.add_working_days(ICPC_DAY, 10)
    assert state.deadline("bedroom_seen").due == date(2027, 2, 23)  # six weeks


def test_the_local_guide_wants_the_first_visit_in_two_working_days_and_a_mid_way_meeting() -> None:
    state, _ = on_plan("local-guide")
    assert state.deadline("visit").due == england.add_working_days(ICPC_DAY, 2)
    review = state.deadline("review").due
    assert review == add_months(ICPC_DAY, 3)
    assert state.deadline("midway_meeting").due == ICPC_DAY + (review - ICPC_DAY) / 2


def test_a_visit_meets_its_deadline_and_opens_the_next() -> None:
    state, profile = on_plan("darlington")
    effect = plan.apply(state, profile, VisitMade(event_id="v", visited_on=date(2027, 1, 20), outcome="seen"))
    assert [row.status for row in state.deadlines if row.kind == "visit"] == [DeadlineStatus.MET, DeadlineStatus.OPEN]
    assert state.deadline("visit").due == england.add_working_days(date(2027, 1, 20), 10)
    assert effect.notices == []


def test_no_access_tells_the_line_manager_and_leaves_the_visit_owed() -> None:
    state, profile = on_plan("darlington")
    effect = plan.apply(state, profile, VisitMade(event_id="v", visited_on=date(2027, 1, 20), outcome="no_access"))
    assert [notice.role for notice in effect.notices] == ["line_manager"]
    assert state.deadline("visit").status is DeadlineStatus.OPEN


def test_a_significant_event_names_the_day_the_chair_must_know_by() -> None:
    state, profile = on_plan("local-guide")
    effect = plan.apply(state, profile, SignificantEvent(event_id="s", occurred_on=date(2027, 1, 22), kind="other"))
    assert effect.details["chair_told_by"] == "2027-01-25"  # Friday's event, Monday's deadline


def test_a_review_that_continues_the_plan_marks_a_review_boundary() -> None:
    state, profile = on_plan("sefton", category="physical_abuse")
    effect = plan.apply(state, profile, ReviewHeld(event_id="r", held_on=date(2027, 4, 1), outcome="continue"))
    assert effect.review_boundary
    assert state.deadline("review").due == date(2027, 10, 1)


def test_the_first_review_rules_are_checked_before_anything_changes() -> None:
    state, profile = on_plan("staffordshire", category="neglect")
    before = state.model_copy(deep=True)
    with pytest.raises(plan.InvalidEvent, match="neglect"):
        plan.check(state, profile, ReviewHeld(event_id="r", held_on=date(2027, 4, 1), outcome="end_plan",
                                              chair_endorsed_ending=True))
    assert state == before


def test_continuing_as_new_carries_only_live_deadlines() -> None:
    state, profile = on_plan("darlington")
    plan.apply(state, profile, VisitMade(event_id="v", visited_on=date(2027, 1, 20), outcome="seen"))
    carried = plan.carry_forward(state)
    assert carried.run == state.run + 1
    assert all(row.status is DeadlineStatus.OPEN for row in carried.deadlines)
    assert len(carried.deadlines) == len(state.deadlines) - 1


def test_a_journey_whose_plan_began_before_plan_tracking_takes_no_plan_events() -> None:
    state = JourneyState(case_ref="CASE-0001", policy="darlington@2026.1", stage=Stage.ON_PLAN)
    with pytest.raises(plan.InvalidEvent, match="before plan events were tracked"):
        plan.check(state, load_profile("darlington"),
                   VisitMade(event_id="v", visited_on=date(2027, 1, 20), outcome="seen"))
