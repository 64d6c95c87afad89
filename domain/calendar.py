"""Working days in England, and every other way a procedure counts time.

Pure and deterministic, so workflows may use it: bank holidays come from the
versioned tables registered in ``domain.calendars`` (by ``shipped.calendars``, which
reads the shipped files; never from the ``holidays`` library at run time), so a
journey's working days change only when a new calendar version is published to it.

Convention for "within N working days of D": the deadline is the Nth working day
after D. D itself is day 0, whether or not it is a working day.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.calendars import FIRST_YEAR, LAST_YEAR, bank_holidays, latest_version
from domain.policy import Rule, Unit

__all__ = ["FIRST_YEAR", "LAST_YEAR", "DueDate", "WorkingDayCalendar", "add_months", "bank_holiday", "short"]

# A holiday on its own date needs no explanation in a reason ("25 Dec"); any other
# (Easter, substitute days, one-off holidays) is named, so a reader sees why.
_SELF_EXPLAINING = {(12, 25): "Christmas Day", (12, 26): "Boxing Day", (1, 1): "New Year's Day"}


def _check_year(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day} is outside the calendar's years {FIRST_YEAR}-{LAST_YEAR}")


def bank_holiday(day: date, version: str | None = None) -> str | None:
    """The bank holiday in England on ``day``, if any, by calendar ``version`` (the newest if None)."""
    _check_year(day)
    return bank_holidays(version or latest_version()).get(day)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def short(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"


@dataclass(frozen=True)
class DueDate:
    """A computed deadline and the sentence that explains it."""

    due: date
    reason: str


class WorkingDayCalendar:
    """England's working days by one calendar version, less an authority's own closure days."""

    def __init__(self, version: str | None = None, closure_days: Iterable[date] = ()) -> None:
        if version is not None and not isinstance(version, str):
            raise TypeError("WorkingDayCalendar(version, closure_days): the version comes first")
        self.version = version or latest_version()
        self._holidays = bank_holidays(self.version)
        self._closures = frozenset(closure_days)

    def non_working_reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day, or None if it is one."""
        if day.weekday() >= 5:
            return _WEEKDAYS[day.weekday()]
        _check_year(day)
        holiday = self._holidays.get(day)
        if holiday:
            return holiday
        if day in self._closures:
            return "local closure day"
        return None

    def is_working_day(self, day: date) -> bool:
        return self.non_working_reason(day) is None

    def add_working_days(self, start: date, count: int) -> date:
        return self.working_days_from(start, count).due

    def working_days_from(self, start: date, count: int) -> DueDate:
        """The ``count``th working day after ``start`` (or before, if negative)."""
        step = timedelta(days=1 if count >= 0 else -1)
        day, remaining, skipped = start, abs(count), []
        while remaining:
            day += step
            reason = self.non_working_reason(day)
            if reason is None:
                remaining -= 1
            elif day.weekday() < 5:
                skipped.append(_describe_skip(day, reason))
        direction = "after" if count >= 0 else "before"
        reason = f"{abs(count)} working day{'s' if abs(count) != 1 else ''} {direction} {start.isoformat()}"
        if skipped:
            reason += ", skipping " + ", ".join(skipped)
        return DueDate(day, reason)

    def due(self, anchor: date, rule: Rule) -> DueDate:
        """The deadline ``rule`` sets from ``anchor``, with its reason and citation."""
        sign = 1 if rule.direction == "after" else -1
        if rule.unit is Unit.WORKING_DAYS:
            result = self.working_days_from(anchor, sign * rule.amount)
        else:
            result = self._calendar_due(anchor, sign * rule.amount, rule.unit)
        if rule.or_days is not None:
            result = self._stricter(anchor, rule, result)
        return DueDate(result.due, f"{result.reason} ({rule.citation})")

    @staticmethod
    def _stricter(anchor: date, rule: Rule, by_count: DueDate) -> DueDate:
        """A count given both ways, "3 months (91 days)": the earlier of the two dates.

        Every rule's date is one to act by: "within 3 months (91 days) after" is met by the
        nearer date, "at least 3 months (91 days) before" by the farther one, so in both
        directions the stricter reading is the earlier date.
        """
        sign = 1 if rule.direction == "after" else -1
        by_days = anchor + timedelta(days=sign * rule.or_days)
        label = rule.unit.value if rule.amount != 1 else rule.unit.value.removesuffix("s")
        days = f"{rule.or_days} day{'s' if rule.or_days != 1 else ''}"
        counted = f"{rule.amount} {label} ({days}) {rule.direction} {anchor.isoformat()}"
        if by_days == by_count.due:
            return DueDate(by_days, f"{counted}: {by_days.isoformat()} either way")
        due, other, by, not_by = ((by_days, by_count.due, days, f"{rule.amount} {label}") if by_days < by_count.due
                                  else (by_count.due, by_days, f"{rule.amount} {label}", days))
        return DueDate(due, f"{counted}: the earlier, {due.isoformat()} by {by}, not {other.isoformat()} by {not_by}")

    @staticmethod
    def _calendar_due(anchor: date, amount: int, unit: Unit) -> DueDate:
        direction = "after" if amount >= 0 else "before"
        size = abs(amount)
        if unit is Unit.MONTHS:
            due = add_months(anchor, amount)
        elif unit is Unit.WEEKS:
            due = anchor + timedelta(weeks=amount)
        elif unit is Unit.DAYS:
            due = anchor + timedelta(days=amount)
        elif unit is Unit.HOURS:
            # Journeys count in dates: "within 24 hours" of a meeting on D is due on D+1.
            days = -(-size // 24)
            due = anchor + timedelta(days=days if amount >= 0 else -days)
        else:  # pragma: no cover - Unit is closed
            raise ValueError(unit)
        label = unit.value if size != 1 else unit.value.removesuffix("s")
        return DueDate(due, f"{size} {label} {direction} {anchor.isoformat()}")


def _describe_skip(day: date, reason: str) -> str:
    if _SELF_EXPLAINING.get((day.month, day.day)) == reason:
        return short(day)
    return f"{short(day)} ({reason})"


def add_months(start: date, months: int) -> date:
    """Calendar months, held to the month's last day (30 Nov + 3 months = 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last_day = _stdlib_calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))
