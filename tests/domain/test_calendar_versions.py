"""The calendar as versioned data: a journey's working days move only when a new version is published to it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from domain.calendar import WorkingDayCalendar
from domain.calendars import FIRST_VERSION, SHIPPED, latest_version, version_key
from domain.deadlines import DeadlineStatus, DeadlineTable, calendar_for, deadline, icpc_deadline, recount
from domain.policy import Profile
from shipped import calendars
from shipped.profiles import load_profile
from scripts.build_calendar import england_bank_holidays

ROOT = Path(__file__).resolve().parents[2]
#: A one-off bank holiday announced after a journey started (a test-only version).
ANNOUNCED = "england-9998.1"
JUBILEE = date(2026, 12, 7)


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    table = {**SHIPPED[latest_version()], JUBILEE: "Royal Jubilee"}
    monkeypatch.setitem(SHIPPED, ANNOUNCED, table)
    calendar_for.cache_clear()  # a shipped version never changes, so calendars are cached by name
    yield ANNOUNCED
    calendar_for.cache_clear()


def test_the_newest_shipped_calendar_is_what_the_installed_holidays_library_says() -> None:
    installed, shipped = england_bank_holidays(), SHIPPED[latest_version()]
    differences = sorted(set(installed.items()) ^ set(shipped.items()))
    assert not differences, (
        f"the installed holidays library disagrees with calendar {latest_version()} on {differences[:6]}: "
        "ship a new calendar version with scripts/build_calendar.py (never edit a shipped one)"
    )


def test_the_calendar_counts_without_the_holidays_library() -> None:
    # The library made unimportable: the worker's modules still load and count Christmas right.
    script = (
        "import sys; sys.modules['holidays'] = None\n"
        "import worker, workflows.journey, workflows.conference\n"
        "from datetime import date\n"
        "from domain.calendar import WorkingDayCalendar\n"
        "print(WorkingDayCalendar().add_working_days(date(2026, 12, 17), 15))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2027-01-12"


def test_a_journey_started_on_a_version_keeps_its_dates_when_a_newer_one_ships(announced: str) -> None:
    darlington = load_profile("darlington").model_copy(update={"calendar_version": FIRST_VERSION})
    assert icpc_deadline(darlington, date(2026, 11, 20)).due == date(2026, 12, 11)
    assert WorkingDayCalendar(FIRST_VERSION).is_working_day(JUBILEE)
    assert not WorkingDayCalendar(announced).is_working_day(JUBILEE)
    assert latest_version() == announced


def test_inputs_recorded_before_versions_count_with_the_first_version() -> None:
    recorded = load_profile("sefton").model_dump(mode="json", exclude={"calendar_version"})
    assert Profile.model_validate(recorded).calendar_version == FIRST_VERSION
    assert min(SHIPPED, key=version_key) == FIRST_VERSION


def test_a_new_version_must_come_after_every_shipped_one() -> None:
    with pytest.raises(ValueError, match="must be new and later than"):
        calendars.dump(FIRST_VERSION, SHIPPED[FIRST_VERSION], source="test")
    with pytest.raises(ValueError, match="england-YYYY.MM"):
        calendars.dump("2027", SHIPPED[FIRST_VERSION], source="test")


def test_a_shipped_version_edited_afterwards_is_refused(tmp_path: Path) -> None:
    shipped = json.loads((calendars.DIRECTORY / f"{FIRST_VERSION}.json").read_text())
    shipped["bank_holidays"]["2026-12-24"] = "Christmas Eve"
    edited = tmp_path / f"{FIRST_VERSION}.json"
    edited.write_text(json.dumps(shipped))
    with pytest.raises(ValueError, match="edited after it shipped"):
        calendars.load(edited)


def test_an_unknown_version_is_refused_clearly() -> None:
    with pytest.raises(LookupError, match="no calendar version 'england-1999.1'"):
        WorkingDayCalendar("england-1999.1")


# -- Counting again with a newer version -----------------------------------------------------------


def icpc_table(strategy_discussion: date) -> tuple[Profile, DeadlineTable]:
    profile = load_profile("darlington").model_copy(update={"calendar_version": FIRST_VERSION})
    return profile, DeadlineTable(deadlines=[icpc_deadline(profile, strategy_discussion)])


def test_a_bank_holiday_announced_moves_an_open_deadline_by_a_day(announced: str) -> None:
    profile, table = icpc_table(date(2026, 11, 20))
    moved = recount(table, profile.model_copy(update={"calendar_version": announced}), date(2026, 11, 25),
                    counted_with=FIRST_VERSION)
    icpc = table.deadline("icpc")
    assert [(m.kind, m.was, m.now) for m in moved] == [("icpc", date(2026, 12, 11), date(2026, 12, 14))]
    assert icpc.due == date(2026, 12, 14)
    assert "7 Dec (Royal Jubilee)" in icpc.reason


def test_a_deadline_already_passed_or_met_stays_where_it_was(announced: str) -> None:
    profile, table = icpc_table(date(2026, 11, 20))
    new = profile.model_copy(update={"calendar_version": announced})
    assert recount(table, new, date(2026, 12, 12), counted_with=FIRST_VERSION) == []
    table.deadline("icpc").status = DeadlineStatus.MET
    assert recount(table, new, date(2026, 11, 25), counted_with=FIRST_VERSION) == []
    assert table.deadline("icpc").due == date(2026, 12, 11)


def test_a_date_not_set_by_its_rule_is_not_counted_again(announced: str) -> None:
    profile, table = icpc_table(date(2026, 11, 20))
    # Set by hand (like the first core group of an unborn child, put before the birth), and one
    # opened before rows kept their anchor: both would move a day if counted again.
    by_hand = deadline(profile, "core_group", "icpc_within", date(2026, 11, 19))
    by_hand.due = date(2026, 12, 9)
    unanchored = table.deadline("icpc").model_copy(update={"kind": "visit", "anchor": None})
    table.deadlines += [by_hand, unanchored]
    new = profile.model_copy(update={"calendar_version": announced})
    assert [m.kind for m in recount(table, new, date(2026, 11, 25), counted_with=FIRST_VERSION)] == ["icpc"]
    assert (by_hand.due, unanchored.due) == (date(2026, 12, 9), date(2026, 12, 11))
