"""Timeliness figures a manager is judged on, counted by hand from records a journey writes.

Every expected figure below was worked out on paper with England's bank holidays: 25 December 2026 is
a Friday, Boxing Day a Saturday (so Monday 28 December is the holiday), 1 January 2027 a Friday.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

import shipped  # noqa: F401  (registers the shipped calendars and released profiles)
from domain.calendar import WorkingDayCalendar
from domain.case_facts import Occurrence, fold_case, from_json, to_json
from domain.reports import Figure, by_month, by_team, counted, lasted_two_years, rows, total


@dataclass
class Record:
    """A journey_record row as the record writer stores it."""

    key: str
    case_ref: str
    workflow_id: str
    kind: str
    occurred_on: date
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def journey(case_ref: str, *steps: tuple, run: str = "run-1", policy: str = "darlington@2026.1") -> list[Record]:
    """A journey's records: each step is (kind, day, details[, summary])."""
    wid = f"cpj-{case_ref}"
    return [Record(f"{wid}/{run}/e{n}/{step[0]}", case_ref, wid, step[0], step[1], step[3] if len(step) > 3 else "",
                   {"policy": policy, **step[2]}) for n, step in enumerate(steps)]


def icpc_after(discussions: list[tuple[date, bool]], held: date, case_ref: str = "CASE-0001", **more) -> list[Record]:
    steps = [("strategy_discussion", day, {"initiated_section_47": initiated}) for day, initiated in discussions]
    steps.append(("icpc_held", held, {"decision": "plan", "category": "neglect", "due": "2027-01-04"}))
    return journey(case_ref, *steps, **more)


def facts_of(*records: list[Record]):
    by_case: dict[str, list[Record]] = {}
    for one in records:
        for record in one:
            by_case.setdefault(record.case_ref, []).append(record)
    return [facts for case in by_case.values() for facts in fold_case(case, lambda pin: pin.split("@")[0].title())]


def figures(year: int, *records: list[Record], **kwargs) -> dict[str, Figure]:
    months = by_month(counted(facts_of(*records), year, **kwargs))
    return {measure: total(twelve) for measure, twelve in months.items()}


# -- ICPCs within 15 working days ------------------------------------------------------------------------


def test_an_icpc_on_the_15th_working_day_across_christmas_is_within_and_on_the_16th_is_not() -> None:
    # Wednesday 9 December 2026 + 15 working days, skipping 25 and 28 December and 1 January: Monday 4 January.
    on_the_15th = icpc_after([(date(2026, 12, 9), True)], date(2027, 1, 4), "CASE-0001")
    on_the_16th = icpc_after([(date(2026, 12, 9), True)], date(2027, 1, 5), "CASE-0002")

    year = figures(2027, on_the_15th, on_the_16th)

    assert year["icpc_from_section_47_start"] == Figure(1, 2)
    assert year["icpc_from_strategy_discussion"] == Figure(1, 2)
    assert year["icpc_from_section_47_start"].percentage == 50.0
    assert figures(2026, on_the_15th, on_the_16th)["icpc_from_section_47_start"] == Figure(0, 0)


def test_the_national_figure_counts_from_the_discussion_that_started_the_enquiry_the_other_from_the_first() -> None:
    # First discussion Tuesday 1 December (no enquiry): its 15th working day is 22 December.
    # The enquiry began at the second, Thursday 10 December: its 15th working day is Tuesday 5 January.
    records = icpc_after([(date(2026, 12, 1), False), (date(2026, 12, 10), True)], date(2027, 1, 5))

    year = figures(2027, records)

    assert year["icpc_from_section_47_start"] == Figure(1, 1)
    assert year["icpc_from_strategy_discussion"] == Figure(0, 1)


def test_an_authority_s_closure_day_is_not_a_working_day() -> None:
    # Monday 2 March 2026 + 15 working days is Monday 23 March; with 10 March closed, Tuesday 24 March.
    records = icpc_after([(date(2026, 3, 2), True)], date(2026, 3, 24))

    assert figures(2026, records)["icpc_from_section_47_start"] == Figure(0, 1)
    closed = figures(2026, records, calendar_for=lambda facts: WorkingDayCalendar(None, [date(2026, 3, 10)]))
    assert closed["icpc_from_section_47_start"] == Figure(1, 1)


def test_no_conference_and_a_transfer_in_are_not_icpcs_after_an_enquiry() -> None:
    not_needed = journey("CASE-0003", ("strategy_discussion", date(2026, 5, 1), {"initiated_section_47": True}),
                         ("conference_not_required", date(2026, 5, 8), {"reasons": "..."}))
    transfer = journey("CASE-0004", ("transfer_in", date(2026, 5, 1), {"category": "neglect"}),
                       ("icpc_held", date(2026, 5, 20), {"decision": "plan", "category": "neglect"}))

    year = figures(2026, not_needed, transfer)

    assert year["icpc_from_section_47_start"] == Figure(0, 0)
    assert year["second_or_later_plans"] == Figure(0, 1)  # the transfer-in conference's plan is a plan started
    [facts] = facts_of(not_needed)
    assert facts.icpc_not_required_on == date(2026, 5, 8) and facts.plan is None


# -- Reviews, visits and core groups ----------------------------------------------------------------------


def on_a_plan(*steps: tuple, case_ref: str = "CASE-0005") -> list[Record]:
    return journey(case_ref, ("strategy_discussion", date(2026, 1, 5), {"initiated_section_47": True}),
                   ("icpc_held", date(2026, 1, 20), {"decision": "plan", "category": "emotional_abuse"}), *steps)


def test_a_late_visit_counts_once_in_the_month_its_due_day_passed_and_no_access_is_not_a_visit() -> None:
    records = on_a_plan(
        ("visit_made", date(2026, 2, 3), {"outcome": "seen", "late": False}),
        ("visit_made", date(2026, 2, 17), {"outcome": "no_access"}),
        ("visit_overdue", date(2026, 2, 17), {"reason": "10 working days"}),
        ("visit_made", date(2026, 3, 2), {"outcome": "seen", "late": True}, "Child seen on 2026-03-02 (late: due 2026-02-17)"),
        ("visit_made", date(2026, 3, 16), {"outcome": "seen", "late": False}),
    )

    months = by_month(counted(facts_of(records), 2026))

    assert months["visits_on_time"][1] == Figure(1, 2)  # February: one on time, one that fell due and was missed
    assert months["visits_on_time"][2] == Figure(1, 1)  # March: the late one is not counted again
    [facts] = facts_of(records)
    assert facts.plan.visits[1] == Occurrence(done=date(2026, 3, 2), due=date(2026, 2, 17), on_time=False)


def test_a_late_one_without_its_overdue_record_takes_its_due_day_from_what_the_journey_wrote() -> None:
    records = on_a_plan(("core_group_held", date(2026, 3, 5), {"late": True},
                         "Core group held 2026-03-05 (late: due 2026-02-27)"))

    months = by_month(counted(facts_of(records), 2026))

    assert months["core_groups_on_time"][1] == Figure(0, 1)  # counted in February, when it fell due
    assert total(months["core_groups_on_time"]) == Figure(0, 1)


def test_reviews_within_timescale_count_one_held_on_time_one_held_late_and_one_never_held() -> None:
    records = on_a_plan(
        ("review_held", date(2026, 4, 14), {"outcome": "continue", "late": False}),
        ("review_overdue", date(2026, 10, 14), {"reason": "6 months"}),
        ("review_held", date(2026, 10, 21), {"outcome": "continue", "late": True}),
    )
    never_held = on_a_plan(("review_overdue", date(2026, 4, 20), {}), case_ref="CASE-0006")

    months = by_month(counted(facts_of(records, never_held), 2026))

    assert months["reviews_on_time"][3] == Figure(1, 2)
    assert months["reviews_on_time"][9] == Figure(0, 1)
    assert total(months["reviews_on_time"]).percentage_words == "33%"


# -- Plans ----------------------------------------------------------------------------------------------


def imported_plan(case_ref: str, began: date, ended: date) -> list[Record]:
    return journey(case_ref, ("case_imported", date(2026, 1, 2), {"plan_started_on": began.isoformat(),
                                                                  "category": "neglect", "team": "Locality North"}),
                   ("plan_ended", ended, {"reason": "turned_18"}))


def test_a_plan_of_two_years_and_a_day_ended_in_the_year_counts_and_one_a_day_short_does_not() -> None:
    year = figures(2026, imported_plan("CASE-0007", date(2024, 3, 2), date(2026, 3, 3)),
                   imported_plan("CASE-0008", date(2024, 3, 4), date(2026, 3, 3)),
                   imported_plan("CASE-0009", date(2024, 3, 3), date(2026, 3, 3)))

    assert year["plans_two_years_or_more"] == Figure(2, 3)  # two years and a day, and exactly two years
    assert lasted_two_years(date(2024, 2, 29), date(2026, 2, 28))


def test_a_child_back_on_a_plan_is_a_second_plan_in_the_month_it_started() -> None:
    first = journey("CASE-0010", ("strategy_discussion", date(2025, 1, 6), {"initiated_section_47": True}),
                    ("icpc_held", date(2025, 1, 20), {"decision": "plan", "category": "neglect"}),
                    ("review_held", date(2025, 9, 1), {"outcome": "end_plan", "late": False}), run="run-a")
    again = journey("CASE-0010", ("strategy_discussion", date(2026, 6, 1), {"initiated_section_47": True}),
                    ("icpc_held", date(2026, 6, 15), {"decision": "plan", "category": "physical_abuse"}), run="run-b")

    months = by_month(counted(facts_of(first + again), 2026))

    assert months["second_or_later_plans"][5] == Figure(1, 1)
    assert total(by_month(counted(facts_of(first + again), 2025))["second_or_later_plans"]) == Figure(0, 1)
    earlier, later = facts_of(first + again)
    assert (earlier.plan.ended_on, earlier.plan.end_reason, later.plan.previous_plans) == (date(2025, 9, 1), "review", 1)


# -- Per authority, team and month -----------------------------------------------------------------------


def test_figures_are_kept_apart_per_authority_and_team_and_listed_per_month() -> None:
    north = journey("CASE-0011", ("strategy_discussion", date(2026, 2, 2), {"initiated_section_47": True}),
                    ("icpc_held", date(2026, 2, 16), {"decision": "plan", "category": "neglect"}),
                    ("lead_social_worker_named", date(2026, 2, 16), {"staff_ref": "SW-1", "team": "North"}))
    sefton = icpc_after([(date(2026, 2, 2), True)], date(2026, 3, 2), "CASE-0012", policy="sefton@2026.1")

    entries = counted(facts_of(north, sefton), 2026)
    teams = by_team(entries)

    assert [(authority, team) for authority, team, _ in teams] == [("Darlington", "North"),
                                                                   ("Sefton", "No team named")]
    assert teams[0][2]["icpc_from_section_47_start"] == Figure(1, 1)
    assert teams[1][2]["icpc_from_section_47_start"] == Figure(0, 1)
    lines = [(row.authority, row.team, row.month, row.measure, row.figure) for row in rows(entries)
             if row.measure == "icpc_from_section_47_start"]
    assert lines == [("Darlington", "North", date(2026, 2, 1), "icpc_from_section_47_start", Figure(1, 1)),
                     ("Sefton", "No team named", date(2026, 3, 1), "icpc_from_section_47_start", Figure(0, 1))]


def test_a_figure_with_nothing_to_count_has_no_percentage() -> None:
    assert Figure(0, 0).percentage is None and Figure(0, 0).percentage_words == "none"
    assert Figure(13, 16).percentage_words == "81%"


# -- The facts themselves -------------------------------------------------------------------------------


def test_facts_keep_what_the_census_needs_and_survive_being_stored() -> None:
    records = on_a_plan(("review_held", date(2026, 4, 14), {"outcome": "change_category", "category": "neglect",
                                                            "late": False}),
                        ("review_scheduled", date(2026, 4, 14), {"review_date": "2026-10-13"}))
    conference = Record("cpj-conf-RCPC-1/x/conference_held", "CASE-0005", "cpj-conf-RCPC-1", "conference_held",
                        date(2026, 4, 14))

    [facts] = facts_of(records + [conference])

    assert (facts.authority, facts.profile_id, facts.section_47_started_on) == ("Darlington", "darlington",
                                                                                date(2026, 1, 5))
    assert (facts.plan.initial_category, facts.plan.latest_category) == ("emotional_abuse", "neglect")
    assert facts.plan.review_dates == (date(2026, 4, 14),)
    assert facts.plan.reviews_booked_for == (date(2026, 10, 13),)
    assert from_json(to_json(facts)) == facts


@pytest.mark.parametrize("key, expected", [("cpj-CASE-0001/sd-1/strategy_discussion", "cpj-CASE-0001"),
                                           ("cpj-CASE-0001/5772eb55/sd-1/strategy_discussion", "cpj-CASE-0001/5772eb55")])
def test_a_journey_is_known_by_its_first_run_in_its_records_keys(key: str, expected: str) -> None:
    from domain.case_facts import journey_key

    assert journey_key(Record(key, "CASE-0001", "cpj-CASE-0001", "strategy_discussion", date(2026, 1, 1))) == expected
