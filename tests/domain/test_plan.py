"""The plan's rules, without Temporal: what each event opens, closes and refuses."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from domain import plan
from domain.calendar import WorkingDayCalendar, add_months
from domain.deadlines import KINDS, DeadlineStatus
from domain.events import (
    CoreGroupHeld,
    EndingReason,
    IcpcHeld,
    LeadSocialWorkerCover,
    PlanEnded,
    ReviewHeld,
    ReviewScheduled,
    SignificantEvent,
    TaskCompleted,
    VisitMade,
)
from domain.legacy import HARD_CODED, with_hard_coded_rules
from domain.policy import DOCUMENT_NAMES
from domain.state import JourneyState, Stage
from shipped.profiles import load_profile

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


# -- Rules one authority's document states apply on its profile only -------------------------------

FLAT_SEEDS = {path.name: " ".join(path.read_text(encoding="utf-8").split())
              for path in (Path(__file__).resolve().parents[3] / "shared" / "seeds").glob("*.txt")}


def cover(parents_informed: bool) -> LeadSocialWorkerCover:
    return LeadSocialWorkerCover(event_id="c", absent_from=date(2027, 2, 1), absent_to=date(2027, 2, 12),
                                 cover_staff_ref="SW-2001", parents_informed=parents_informed)


def test_darlington_parents_and_child_must_be_informed_of_the_lead_social_workers_planned_absence() -> None:
    # "Parents and child must be informed of planned absences of the Lead Social Worker, ..."
    state, profile = on_plan("darlington")
    with pytest.raises(plan.InvalidEvent, match="Darlington procedures, Absence of the Lead Social Worker"):
        plan.check(state, profile, cover(parents_informed=False))
    plan.check(state, profile, cover(parents_informed=True))


def test_an_authority_whose_document_is_silent_on_cover_records_it_whether_or_not_the_parents_were_told() -> None:
    state, profile = on_plan("staffordshire")
    plan.check(state, profile, cover(parents_informed=False))
    assert plan.apply(state, profile, cover(parents_informed=False)).details["parents_informed"] is False


def moved(confirmed: bool) -> PlanEnded:
    return PlanEnded(event_id="e", ended_on=date(2027, 2, 1), reason=EndingReason.MOVED_TO_ANOTHER_AUTHORITY,
                     receiving_conference_confirmed=confirmed)


def test_staffordshire_ends_a_plan_on_a_move_only_once_the_receiving_conference_is_confirmed() -> None:
    # Paragraph 41: "Only upon confirmation of this decision can the local child protection plan be discontinued."
    state, profile = on_plan("staffordshire")
    with pytest.raises(plan.InvalidEvent, match="paragraph 41"):
        plan.check(state, profile, moved(confirmed=False))
    plan.check(state, profile, moved(confirmed=True))
    sefton, sefton_profile = on_plan("sefton")
    plan.check(sefton, sefton_profile, moved(confirmed=False))


def test_staffordshire_tells_every_agency_health_and_education_when_a_plan_ends() -> None:
    # Paragraph 47: "All agencies that were represented in the original child protection conference, which led
    # to the plan, are notified of this change." and the PCT and education authority "specifically informed".
    state, profile = on_plan("staffordshire")
    effect = plan.apply(state, profile, PlanEnded(event_id="e", ended_on=date(2027, 2, 1), reason="turned_18"))
    assert [notice.role for notice in effect.notices] == ["all_agencies", "health", "education"]
    assert "Staffordshire procedures (Part 6), Following Discontinuing the Child Protection Plan, paragraph 47" in (
        effect.notices[0].body)
    sefton, sefton_profile = on_plan("sefton")
    effect = plan.apply(sefton, sefton_profile, PlanEnded(event_id="e", ended_on=date(2027, 2, 1), reason="turned_18"))
    assert effect.notices == [] and sefton.stage is Stage.CLOSED


def died() -> PlanEnded:
    return PlanEnded(event_id="d", ended_on=date(2027, 2, 1), reason=EndingReason.DIED)


def test_in_darlington_a_childs_death_goes_to_the_senior_child_protection_manager_and_a_review_is_considered() -> None:
    # "...the lead Social Worker must inform the senior child protection manager, who will notify Darlington
    # Safeguarding Partnership. Consideration will need to be given to the need for a Child Safeguarding
    # Practice Review (CSPR)."
    state, profile = on_plan("darlington")
    effect = plan.apply(state, profile, died())
    [notice] = effect.notices
    assert notice.role == "senior_child_protection_manager"
    assert "Darlington Safeguarding Partnership" in notice.body and "Practice Review" in notice.body
    assert effect.details["consider_practice_review"] is True


def test_in_staffordshire_a_childs_death_goes_to_the_safeguarding_children_board_manager() -> None:
    # Paragraph 42: "...has died (when a critical incident notification should be triggered by the Safeguarding
    # Children Board Manager to the Department for Education and Skills)..."
    state, profile = on_plan("staffordshire")
    effect = plan.apply(state, profile, died())
    assert [notice.role for notice in effect.notices if notice.template == "child_death"] == [
        "safeguarding_children_board_manager"]
    assert "consider_practice_review" not in effect.details


def test_an_authority_that_names_no_route_on_a_death_records_it_and_tells_nobody_it_did_not_name() -> None:
    state, profile = on_plan("sefton")
    effect = plan.apply(state, profile, died())
    assert effect.notices == [] and "consider_practice_review" not in effect.details


def no_access() -> VisitMade:
    return VisitMade(event_id="v", visited_on=date(2027, 1, 20), outcome="no_access")


def test_darlington_tells_the_line_manager_of_no_access_to_the_child() -> None:
    # "if the Lead Social Worker has difficulty obtaining direct access to the child at home, the Children's
    # Social Care line manager must be informed, as well as other Core Group members"
    state, profile = on_plan("darlington")
    [notice] = plan.apply(state, profile, no_access()).notices
    assert notice.role == "line_manager" and "Darlington procedures, Seeing the Child" in notice.body


def test_elsewhere_no_access_is_recorded_and_the_visit_stays_owed_without_a_darlington_letter() -> None:
    state, profile = on_plan("local-guide")
    effect = plan.apply(state, profile, no_access())
    assert effect.notices == []
    assert state.deadline("visit").status is DeadlineStatus.OPEN


def unborn_on_plan(policy: str, expected: date) -> tuple[JourneyState, object]:
    profile = load_profile(policy)
    state = JourneyState(case_ref="CASE-0001", policy=profile.pin, stage=Stage.AWAITING_ICPC,
                         expected_delivery=expected)
    plan.start_plan(state, profile, IcpcHeld(event_id="i", held_on=ICPC_DAY, decision="plan", category="neglect"))
    return state, profile


def test_darlington_expects_an_unborn_childs_core_group_to_meet_before_the_birth() -> None:
    # "The Core Group must be established and is expected to meet prior to the birth"
    state, _ = unborn_on_plan("darlington", expected=date(2027, 1, 20))
    core_group = state.deadline("core_group")
    assert core_group.due == date(2027, 1, 19)
    assert "Darlington procedures, Unborn Child Protection Conference" in core_group.reason
    elsewhere, _ = unborn_on_plan("staffordshire", expected=date(2027, 1, 20))
    assert elsewhere.deadline("core_group").due == england.add_working_days(ICPC_DAY, 10)


def core_group(held_on: date, next_meeting_on: date | None = None) -> CoreGroupHeld:
    return CoreGroupHeld(event_id=f"cg-{held_on}", held_on=held_on, attended=["social worker", "school"],
                         next_meeting_on=next_meeting_on)


def test_darlington_distributes_the_plan_within_five_days_of_every_core_group() -> None:
    # "...and that it is distributed within five days of the Core Group meeting and maintained on the child's
    # electronic record"
    state, profile = on_plan("darlington")
    plan.apply(state, profile, core_group(date(2027, 1, 22)))
    assert state.deadline("plan_distributed").due == date(2027, 1, 27)
    plan.apply(state, profile, TaskCompleted(event_id="t", task="plan_distributed", completed_on=date(2027, 1, 26)))
    plan.apply(state, profile, core_group(date(2027, 2, 19)))
    assert state.deadline("plan_distributed").due == date(2027, 2, 24)
    elsewhere, elsewhere_profile = on_plan("staffordshire")
    plan.apply(elsewhere, elsewhere_profile, core_group(date(2027, 1, 22)))
    assert elsewhere.deadline("plan_distributed") is None


def test_the_local_guide_shares_the_plan_with_the_family_at_or_before_the_first_core_group() -> None:
    # "The Social Worker must ensure that the Child Protection Plan is shared with the family and child at or
    # before the first Core Group meeting."
    state, profile = on_plan("local-guide")
    shared = state.deadline("plan_shared_with_family")
    assert shared.due == state.deadline("core_group").due == england.add_working_days(ICPC_DAY, 10)
    plan.apply(state, profile, core_group(date(2027, 1, 18)))  # the first core group met early
    assert state.deadline("plan_shared_with_family").due == date(2027, 1, 18)
    effect = plan.apply(state, profile, TaskCompleted(event_id="t", task="plan_shared_with_family",
                                                      completed_on=date(2027, 1, 19)))
    assert effect.details["late"] is True
    darlington, _ = on_plan("darlington")
    assert darlington.deadline("plan_shared_with_family") is None


# -- "Should" is a target: missed, it is accepted and marked late ------------------------------------------


def test_a_core_group_that_plans_its_next_meeting_later_than_the_interval_is_recorded_not_refused() -> None:
    # Staffordshire paragraph 11: "the core group should meet at least at six-weekly intervals"
    state, profile = on_plan("staffordshire")
    event = core_group(date(2027, 1, 20), next_meeting_on=date(2027, 3, 31))
    plan.check(state, profile, event)
    effect = plan.apply(state, profile, event)
    assert effect.details["next_meeting_after"] == "2027-03-03"
    assert state.deadline("core_group").due == date(2027, 3, 3)  # the deadline stays where the rule puts it


def test_a_review_booked_past_a_should_limit_is_accepted_and_said_to_be_late() -> None:
    # Sefton: "The first child protection review conference should be held within 3 months..."
    state, profile = on_plan("sefton", category="physical_abuse")
    limit = state.deadline("review").due
    event = ReviewScheduled(event_id="b", scheduled_on=date(2027, 3, 1), review_date=limit + timedelta(days=3))
    plan.check(state, profile, event)
    effect = plan.apply(state, profile, event)
    assert effect.details["after_limit"] == limit.isoformat() and "held late" in effect.summary


@pytest.mark.parametrize("policy, words", [
    ("darlington", "Darlington procedures, Child Protection Review Conference"),  # "must be held within 3 months"
    ("staffordshire", "paragraph 36"),  # "cannot be postponed beyond the absolute timescales"
])
def test_a_review_the_document_says_must_be_held_in_time_cannot_be_booked_past_its_limit(policy, words) -> None:
    state, profile = on_plan(policy, category="physical_abuse")
    limit = state.deadline("review").due
    with pytest.raises(plan.InvalidEvent, match=words):
        plan.check(state, profile, ReviewScheduled(event_id="b", scheduled_on=date(2027, 3, 1),
                                                   review_date=limit + timedelta(days=1)))


# -- Journeys that began before: what the code applied to every authority --------------------------


def test_a_journey_begun_before_rules_came_from_profiles_keeps_the_letters_it_always_sent() -> None:
    state, profile = on_plan("sefton")
    old = with_hard_coded_rules(profile)
    effect = plan.apply(state, old, died())
    assert sorted(notice.role for notice in effect.notices) == [
        "all_agencies", "education", "health", "senior_child_protection_manager"]
    assert effect.details["consider_practice_review"] is True


@pytest.mark.parametrize("key", sorted(HARD_CODED))
def test_each_formerly_hard_coded_rule_is_quoted_from_the_document_it_came_from(key: str) -> None:
    citation = HARD_CODED[key].citation
    assert " ".join(citation.quote.split()) in FLAT_SEEDS[citation.source]


def test_what_a_passed_deadline_advises_names_no_authoritys_document() -> None:
    # The escalation's reason names the rule that set the deadline; the advice is the same everywhere.
    for kind in KINDS.values():
        assert not any(name in kind.advice for name in DOCUMENT_NAMES.values()), kind
