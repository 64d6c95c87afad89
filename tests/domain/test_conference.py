"""A conference's rules, without Temporal: quoracy, majorities, what each event opens."""

from __future__ import annotations

from datetime import date

import pytest

from domain import conference
from domain.conference import ChildDecision, ConferenceHeld, ConferenceKind, ConferenceStart, ConferenceState
from domain.plan import InvalidEvent
from domain.policy import load_profile

MEETING = date(2027, 1, 20)


def convening(policy: str = "birmingham", case_refs=("CASE-0001",)):
    profile = load_profile(policy)
    start = ConferenceStart(conference_ref="ICPC-0001", kind=ConferenceKind.INITIAL, case_refs=list(case_refs),
                            profile=profile, requested_on=date(2027, 1, 6), meeting_on=MEETING,
                            chair_ref="CPC-0042", booked_by_event="book-1")
    state = ConferenceState(conference_ref="ICPC-0001", kind=start.kind, case_refs=list(case_refs),
                            policy=profile.pin, meeting_on=MEETING)
    conference.open_convening(state, profile, start)
    return state, profile, start


def meeting(agencies: list[str], **kwargs) -> ConferenceHeld:
    return ConferenceHeld(event_id="h", held_on=MEETING, childrens_social_care_present=True,
                          other_agencies_present=agencies, parents_present=True, **kwargs)


def test_quorate_means_childrens_social_care_and_two_other_agencies() -> None:
    assert meeting(["school", "GP"]).quorate
    assert not meeting(["school", "school"]).quorate
    assert not meeting(["school"]).quorate


def test_birmingham_invites_five_working_days_ahead_and_reports_reach_the_chair_a_day_before() -> None:
    state, _, _ = convening("birmingham")
    due = {row.kind: row.due for row in state.deadlines}
    assert due["invitations"] == date(2027, 1, 13)
    assert due["report_to_chair"] == date(2027, 1, 19)  # 24 hours, counted as a day


def test_the_decision_must_follow_the_majority_of_agencies() -> None:
    state, profile, start = convening()
    wrong = ChildDecision(case_ref="CASE-0001", plan=False, agencies_for_plan=3, agencies_against_plan=1)
    with pytest.raises(InvalidEvent, match="majority"):
        conference.check(state, profile, meeting(["school", "GP"], decisions=[wrong]), start)


def test_a_held_conference_opens_the_record_deadlines_and_tells_the_service_manager_of_a_low_grading() -> None:
    state, profile, start = convening("local-guide")
    plan = ChildDecision(case_ref="CASE-0001", plan=True, category="neglect", agencies_for_plan=4,
                         agencies_against_plan=0)
    effect = conference.apply(state, profile, meeting(["school", "GP"], decisions=[plan], grading=1), start)
    assert {"record_completed", "record_shared"} <= {row.kind for row in state.deadlines}
    assert [notice.role for notice in effect.notices] == ["service_manager"]
