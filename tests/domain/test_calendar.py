"""Working days in England: bank holidays, substitute days, local closures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import WorkingDayCalendar, add_months
from domain.policy import Citation, Rule, Unit

england = WorkingDayCalendar()
days = st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 6, 30))
counts = st.integers(min_value=0, max_value=200)


def rule(amount: int, unit: Unit, direction: str = "after") -> Rule:
    citation = Citation(source="000_7f04eaf80fcc0ebe.txt", section="test", quote="a quote for the test")
    return Rule(amount=amount, unit=unit, direction=direction, citation=citation)


def test_icpc_deadline_over_christmas_skips_three_bank_holidays() -> None:
    result = england.working_days_from(date(2026, 12, 17), 15)
    assert result.due == date(2027, 1, 12)
    assert result.reason == "15 working days after 2026-12-17, skipping 25 Dec, 28 Dec (Boxing Day observed), 1 Jan"


def test_christmas_on_a_saturday_moves_both_holidays_to_the_next_week() -> None:
    # 2021: Christmas Day Saturday, Boxing Day Sunday; substitutes on Monday 27 and Tuesday 28.
    assert not england.is_working_day(date(2021, 12, 27))
    assert not england.is_working_day(date(2021, 12, 28))
    assert england.add_working_days(date(2021, 12, 24), 1) == date(2021, 12, 29)


def test_easter_weekend_is_four_days_off() -> None:
    # Good Friday 3 April 2026, Easter Monday 6 April 2026.
    result = england.working_days_from(date(2026, 4, 2), 1)
    assert result.due == date(2026, 4, 7)
    assert result.reason == "1 working day after 2026-04-02, skipping 3 Apr (Good Friday), 6 Apr (Easter Monday)"


def test_one_off_bank_holidays_count() -> None:
    assert england.non_working_reason(date(2022, 9, 19)) == "State Funeral of Queen Elizabeth II"
    assert england.non_working_reason(date(2023, 5, 8)) == "Coronation of Charles III"


def test_day_zero_is_the_event_day_even_at_a_weekend() -> None:
    # A discussion on a Saturday: counting starts after it, Monday is working day 1.
    assert england.add_working_days(date(2026, 11, 28), 1) == date(2026, 11, 30)


def test_local_closure_days_are_skipped_and_named() -> None:
    closed = WorkingDayCalendar(closure_days=[date(2026, 12, 24)])
    result = closed.working_days_from(date(2026, 12, 23), 1)
    assert result.due == date(2026, 12, 29)
    assert "24 Dec (local closure day)" in result.reason


def test_rules_in_months_weeks_days_and_hours() -> None:
    icpc = date(2026, 11, 30)
    assert england.due(icpc, rule(3, Unit.MONTHS)).due == date(2027, 2, 28)
    assert england.due(icpc, rule(6, Unit.WEEKS)).due == date(2027, 1, 11)
    assert england.due(icpc, rule(91, Unit.DAYS)).due == date(2027, 3, 1)
    assert england.due(icpc, rule(24, Unit.HOURS)).due == date(2026, 12, 1)
    assert england.due(icpc, rule(2, Unit.WEEKS, "before")).due == date(2026, 11, 16)


def test_a_rule_due_date_cites_its_source() -> None:
    due = england.due(date(2026, 12, 17), rule(15, Unit.WORKING_DAYS))
    assert due.reason.endswith("(Darlington procedures, test)")


def test_months_hold_to_the_end_of_short_months() -> None:
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 1, 15), -2) == date(2025, 11, 15)


def test_dates_outside_the_calendar_are_refused() -> None:
    with pytest.raises(ValueError, match="outside the calendar"):
        england.is_working_day(date(2150, 1, 1))


@given(days, counts)
def test_the_deadline_is_a_working_day_after_the_start(start: date, count: int) -> None:
    due = england.add_working_days(start, count)
    if count == 0:
        assert due == start
    else:
        assert due > start and england.is_working_day(due)


@given(days, counts)
def test_exactly_n_working_days_lie_between_start_and_deadline(start: date, count: int) -> None:
    due = england.add_working_days(start, count)
    between = [start + timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert sum(england.is_working_day(day) for day in between) == count


@given(days, st.integers(min_value=1, max_value=60))
def test_counting_back_undoes_counting_forward_from_a_working_day(start: date, count: int) -> None:
    if england.is_working_day(start):
        assert england.add_working_days(england.add_working_days(start, count), -count) == start


@given(days, st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=50))
def test_working_days_add_up(start: date, first: int, second: int) -> None:
    assert england.add_working_days(england.add_working_days(start, first), second) == england.add_working_days(
        start, first + second
    )


@given(days)
def test_a_weekend_is_never_a_working_day(day: date) -> None:
    if day.weekday() >= 5:
        assert not england.is_working_day(day)
