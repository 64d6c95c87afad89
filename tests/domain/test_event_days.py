"""An event's dates stay where the calendar can count from them, so no deadline falls off its end."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.calendar import FIRST_YEAR, LAST_YEAR, WorkingDayCalendar
from domain.events import DAY_PATTERN, FIRST_DAY, LAST_DAY, JourneyEvent
from shipped.profiles import load_profile, profile_ids

EVENT = TypeAdapter(JourneyEvent)


def test_event_days_keep_a_year_inside_the_calendar_at_each_end() -> None:
    assert (FIRST_DAY, LAST_DAY) == (date(FIRST_YEAR + 1, 1, 1), date(LAST_YEAR - 1, 12, 31))


def test_the_openapi_pattern_for_a_day_matches_exactly_the_days_an_event_may_carry() -> None:
    day = date(FIRST_YEAR - 1, 1, 1)
    while day <= date(LAST_YEAR + 1, 12, 31):
        assert bool(re.match(DAY_PATTERN, day.isoformat())) == (FIRST_DAY <= day <= LAST_DAY), day
        day += timedelta(days=1)


@pytest.mark.parametrize("policy", profile_ids())
def test_every_deadline_two_rules_away_from_an_events_day_is_inside_the_calendar(policy: str) -> None:
    # A deadline is a rule from an event's day, or from another deadline (a review's invitations
    # before the review due six months on); a reminder is a working day before either.
    profile = load_profile(policy)
    calendar = WorkingDayCalendar(closure_days=profile.closure_days)
    rules = list(profile.rules.values())
    for day in (FIRST_DAY, LAST_DAY):
        for first in rules:
            due = calendar.due(day, first).due
            for second in rules:
                then = calendar.due(due, second).due
                calendar.add_working_days(then, -1)
                calendar.add_working_days(then, 1)


def test_a_day_outside_the_calendar_still_fails_loudly_in_the_calendar() -> None:
    with pytest.raises(ValueError, match="outside the calendar"):
        WorkingDayCalendar().add_working_days(date(LAST_YEAR, 12, 31), 1)


@pytest.mark.parametrize("held_on", ["0001-01-01", "1899-12-31", "2000-12-31", "2100-01-01", "9999-12-31"])
def test_a_visit_dated_outside_the_calendar_is_refused_with_the_days_it_may_carry(held_on: str) -> None:
    with pytest.raises(ValidationError, match="outside the days the calendar can count from"):
        EVENT.validate_json(f'{{"type": "visit_made", "event_id": "v-1", "visited_on": "{held_on}", "outcome": "seen"}}')


@pytest.mark.parametrize("written", ["0", "1767225600", "1.5", "true", '"2026-01-05T00:00:00"', '"20260105"',
                                     '"5/1/2026"', '"2026-02-30"'])
def test_a_date_is_only_ever_a_day_written_yyyy_mm_dd(written: str) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM-DD|not a day of the calendar"):
        EVENT.validate_json(f'{{"type": "child_missing", "event_id": "m-1", "reported_on": {written}}}')
    EVENT.validate_json('{"type": "child_missing", "event_id": "m-1", "reported_on": "2026-01-05"}')
    assert EVENT.validate_python(
        {"type": "child_missing", "event_id": "m-1", "reported_on": date(2026, 1, 5)}
    ).reported_on == date(2026, 1, 5)


@pytest.mark.parametrize("text", ["Leeds\x00", "Le\x1beds", "Leeds\x7f", "Leeds\nCity", "Le\x85eds", "Leeds\ud800"])
def test_an_authority_with_a_control_character_is_refused(text: str) -> None:
    # Pydantic itself refuses a lone surrogate, which no record could be written with either.
    with pytest.raises(ValidationError, match="control characters are not allowed|valid string"):
        EVENT.validate_python({"type": "transfer_out_notified", "event_id": "t-1", "notified_on": "2026-01-05",
                               "receiving_authority": text})


def test_a_delays_reasons_may_run_over_lines_but_hold_no_other_control_character() -> None:
    base = {"type": "icpc_delay_agreed", "event_id": "d-1", "agreed_on": "2026-01-05", "agreed_by": "team_manager",
            "new_target": "2026-02-05"}
    written = "Police interviews first.\r\n\tThen the conference."
    assert EVENT.validate_python({**base, "reasons": written}).reasons == written
    with pytest.raises(ValidationError, match="control characters are not allowed"):
        EVENT.validate_python({**base, "reasons": "Police interviews\x00 first."})


def test_core_group_decisions_refuse_a_nul() -> None:
    with pytest.raises(ValidationError, match=r"control characters are not allowed \(found U\+0000\)"):
        EVENT.validate_python({"type": "core_group_held", "event_id": "c-1", "held_on": "2026-01-05",
                               "attended": ["school"], "decisions": ["keep the plan\x00"]})
