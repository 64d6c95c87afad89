"""A council moving to this system brings its children already on plans: a CSV file, one case a row.

Each row is checked before anything starts, and refused with a reason staff can act on; an accepted
row starts its journey on its plan, with the next review, visit and core group counted by the
authority's rules from the last ones the row gives (worked by hand below).
"""

from __future__ import annotations

from datetime import date

import pytest

import shipped  # noqa: F401  (the released profiles and calendars, registered)
from domain import icpc
from domain.imports import (
    Accepted,
    FileRefused,
    ImportedPlan,
    Refusal,
    Row,
    check_row,
    check_rows,
    differences,
    read_rows,
)
from domain.state import JourneyState, Stage
from shipped.profiles import load_profile, profile_ids

TODAY = date(2026, 11, 26)  # a Thursday
HEADER = "case_ref,policy,on_plan_since,category,last_review,last_visit,last_core_group,lead_social_worker,team"


def row(**cells: str) -> Row:
    base = {"case_ref": "CASE-0101", "policy": "darlington", "on_plan_since": "2026-03-02", "category": "neglect",
            "last_review": "2026-05-28", "last_visit": "2026-11-16", "last_core_group": "2026-11-09",
            "lead_social_worker": "SW-1042", "team": "North locality"}
    return Row(2, {**base, **cells})


def checked(**cells: str) -> Accepted | Refusal:
    return check_row(row(**cells), profile_ids(), TODAY, import_run="imp-1", recorded_by="OPS-0001")


def refused(**cells: str) -> str:
    outcome = checked(**cells)
    assert isinstance(outcome, Refusal), outcome
    return outcome.reason


def started(outcome: Accepted) -> JourneyState:
    """The journey's state once the imported row has opened it, as the workflow does."""
    state = JourneyState(case_ref=outcome.case_ref, policy=outcome.policy, stage=Stage.AWAITING_SECTION_47)
    icpc.opening(state, load_profile(outcome.policy), outcome.plan)
    return state


def due(state: JourneyState, kind: str) -> date | None:
    row = state.open_deadline(kind)
    return row.due if row is not None else None


# -- The deadlines a case brings with it ----------------------------------------------------------


def test_a_darlington_case_has_its_next_review_visit_and_core_group_counted_from_its_last_ones() -> None:
    outcome = checked()
    assert isinstance(outcome, Accepted)
    state = started(outcome)
    assert state.stage is Stage.ON_PLAN
    assert (state.plan_started_on, state.category.value) == (date(2026, 3, 2), "neglect")
    assert (state.lead_social_worker, state.team) == ("SW-1042", "North locality")
    assert state.last_conference_on == date(2026, 5, 28) and state.reviews_held == 1
    # Seen every 10 working days: from Monday 16 November, ten working days is Monday 30 November.
    assert due(state, "visit") == date(2026, 11, 30)
    # Core groups every 20 working days: from Monday 9 November, 7 December.
    assert due(state, "core_group") == date(2026, 12, 7)
    # Reviews within 6 months or 182 days, the earlier: 28 May + 182 days is 26 November (6 months: the 28th).
    assert due(state, "review") == date(2026, 11, 26)
    # Where the child sleeps: every six weeks, and the file gives no day it was seen: six weeks from the import.
    bedroom = state.open_deadline("bedroom_seen")
    assert bedroom.due == date(2027, 1, 7) and "counted from the import" in bedroom.reason
    assert "Darlington procedures" in state.open_deadline("review").reason


def test_a_plan_with_no_review_visit_or_core_group_yet_counts_the_first_ones_from_its_start() -> None:
    outcome = checked(on_plan_since="02/11/2026", last_review="", last_visit="", last_core_group="", team="")
    state = started(outcome)
    assert state.reviews_held == 0 and state.last_conference_on == date(2026, 11, 2) and state.team is None
    # The first review within 3 months or 91 days of the conference, the earlier: 2 November + 91 days is 1 February.
    assert due(state, "review") == date(2027, 2, 1)
    assert state.open_deadline("review").label == "First review conference"
    # Ten working days from Monday 2 November is Monday 16 November: the first core group, and a visit, are overdue
    # already, and the journey says so at once rather than pretend they were done.
    assert due(state, "core_group") == date(2026, 11, 16) and due(state, "visit") == date(2026, 11, 16)


def test_work_due_once_after_the_plan_began_is_kept_only_if_its_day_is_still_to_come() -> None:
    # Staffordshire: the core assessment within 35 days, the plan lodged with the chair within six weeks.
    recent = started(checked(policy="staffordshire", on_plan_since="2026-10-26", last_review="", last_visit="",
                             last_core_group=""))
    assert due(recent, "core_assessment") == date(2026, 11, 30)  # 26 October + 35 days
    assert due(recent, "plan_lodged_with_chair") == date(2026, 12, 7)  # + 6 weeks
    # A plan since 1 October: both fell in November, before the import, which cannot know whether they were done.
    older = started(checked(policy="staffordshire", on_plan_since="2026-10-01", last_review="", last_visit="",
                            last_core_group=""))
    assert due(older, "core_assessment") is None and due(older, "plan_lodged_with_chair") is None
    # Staffordshire sees the child every three weeks: from the plan's start, 22 October, overdue now.
    assert due(older, "visit") == date(2026, 10, 22)


def test_the_core_group_owed_after_a_review_comes_first_when_none_has_met_since() -> None:
    # The local guide wants a core group within 10 working days of a review; none since the review of 16 November.
    state = started(checked(policy="local-guide", last_review="2026-11-16", last_core_group="2026-11-02"))
    assert due(state, "core_group") == date(2026, 11, 30)  # ten working days after Monday 16 November
    # With a core group since the review, it runs from that meeting instead.
    later = started(checked(policy="local-guide", last_review="2026-11-16", last_core_group="2026-11-20"))
    assert due(later, "core_group") != date(2026, 11, 30)
    assert later.open_deadline("core_group").anchor == date(2026, 11, 20)


def test_the_timeline_line_says_what_the_row_said() -> None:
    from domain.plan import imported_summary

    plan = checked().plan
    assert imported_summary(plan) == (
        "Case imported 2026-11-26: on a child protection plan since 2026-03-02 (neglect); review 2026-05-28, "
        "visit 2026-11-16, core group 2026-11-09; lead social worker SW-1042, team North locality")
    assert plan.recorded_by == "OPS-0001" and plan.import_run == "imp-1" and plan.row == 2
    assert plan.event_id == "import-CASE-0101"


# -- What is refused, and why ------------------------------------------------------------------------


def test_a_date_of_birth_as_a_case_reference_is_refused_and_never_repeated() -> None:
    for dob in ("14/03/2019", "2019-03-14", "14.03.2019"):
        outcome = checked(case_ref=dob)
        assert isinstance(outcome, Refusal) and outcome.case_ref is None
        assert "date of birth" in outcome.reason and dob not in outcome.reason


def test_a_name_as_a_case_reference_is_refused_and_never_repeated() -> None:
    outcome = checked(case_ref="Jane Smith")
    assert isinstance(outcome, Refusal) and outcome.case_ref is None
    assert "Jane" not in outcome.reason and "never a name" in outcome.reason


@pytest.mark.parametrize(("cells", "reason"), [
    ({"policy": "atlantis"}, "there is no policy profile 'atlantis'; known: birmingham, darlington"),
    ({"on_plan_since": "03/14/2026"}, "on a plan since '03/14/2026' is not a day of the calendar"),
    ({"on_plan_since": "14 March 2026"}, "is not a date: write 2026-03-14 or 14/03/2026"),
    ({"on_plan_since": ""}, "on a plan since is empty"),
    ({"last_visit": "2026-11-27"}, "the last visit (2026-11-27) is in the future (today is 2026-11-26)"),
    ({"last_visit": "2026-02-27"}, "the last visit (2026-02-27) is before the plan began (2026-03-02)"),
    ({"last_review": "2026-03-02"}, "the last review (2026-03-02) is not after the plan began"),
    ({"on_plan_since": "2008-11-25", "last_review": ""}, "more than 18 years ago: a plan ends when the child turns 18"),
    ({"category": "poverty"}, "category 'poverty' is not one of: physical abuse, emotional abuse"),
    ({"lead_social_worker": "Sam Jones"}, "not a staff number such as SW-1042 (never a name)"),
    ({"on_plan_since": "1999-12-31"}, "outside the days the calendar can count from"),
])
def test_a_row_that_cannot_be_so_is_refused_with_the_reason(cells: dict, reason: str) -> None:
    assert reason in refused(**cells)


def test_dates_come_iso_or_day_first_and_categories_in_words() -> None:
    outcome = checked(on_plan_since="2/3/2026", last_review="28/05/2026", category="Physical abuse",
                      lead_social_worker="sw-1042")
    assert isinstance(outcome, Accepted)
    assert outcome.plan.plan_started_on == date(2026, 3, 2) and outcome.plan.last_review_on == date(2026, 5, 28)
    assert outcome.plan.category.value == "physical_abuse" and outcome.plan.lead_social_worker == "SW-1042"


def test_a_case_on_two_rows_is_refused_on_the_second() -> None:
    text = "\n".join([HEADER, "CASE-0101,darlington,2026-03-02,neglect,,,,SW-1042,",
                      "case-0101,darlington,2026-04-02,neglect,,,,SW-1042,", ""])
    first, second = check_rows(read_rows(text), profile_ids(), TODAY)
    assert isinstance(first, Accepted)
    assert second == Refusal(3, "CASE-0101", "case CASE-0101 is on row 2 already: one row per case")


def test_a_column_the_import_does_not_take_stops_the_whole_file() -> None:
    with pytest.raises(FileRefused, match=r"columns the import does not take \(Child name\).*no name, date of birth"):
        read_rows(HEADER + ",Child name\nCASE-0101,darlington,2026-03-02,neglect,,,,SW-1042,,Jane\n")
    with pytest.raises(FileRefused, match="no column lead_social_worker"):
        read_rows("case_ref,policy,on_plan_since,category\nCASE-0101,darlington,2026-03-02,neglect\n")
    with pytest.raises(FileRefused, match="the file is empty"):
        read_rows("")


def test_headers_as_people_write_them_and_a_spreadsheets_leftovers_are_read() -> None:
    text = ("\ufeffCase ref,Policy,On plan since,Category,Lead social worker\r\n"
            "CASE-0101,darlington,02/03/2026,Neglect,SW-1042\r\n,,,,\r\n\r\n")
    [only] = read_rows(text)
    assert only.number == 2 and only.cells["on_plan_since"] == "02/03/2026"
    assert isinstance(check_row(only, profile_ids(), TODAY), Accepted)


def test_a_second_import_of_a_case_says_what_it_says_differently() -> None:
    first, again = checked().plan, checked(last_visit="2026-11-23", team="").plan
    assert differences(first, first) == []
    assert differences(first, again) == ["last visit 2026-11-23, not 2026-11-16", "team empty, not North locality"]


def test_the_imported_plan_refuses_dates_out_of_order_even_when_built_directly() -> None:
    with pytest.raises(ValueError, match="is in the future"):
        ImportedPlan(event_id="import-CASE-0101", imported_on=TODAY, plan_started_on=date(2026, 12, 1),
                     category="neglect", lead_social_worker="SW-1042")
