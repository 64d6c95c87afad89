"""How fast is the working-day calendar, and what does its holiday table cost in memory?

Prints figures and ratios against a baseline measured in the same run: counting
working days by asking ``holidays`` directly for each day (what a first version
would do). Run: .venv/bin/python bench/calendar_bench.py
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import holidays  # noqa: E402

CASES = 20_000
rng = random.Random(2026)
STARTS = [date(2020, 1, 1) + timedelta(days=rng.randrange(365 * 10)) for _ in range(CASES)]


def baseline_add_working_days(table, start: date, count: int) -> date:
    day = start
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in table:
            count -= 1
    return day


def timed(label: str, work) -> float:
    began = time.perf_counter()
    work()
    elapsed = time.perf_counter() - began
    print(f"{label:<52} {elapsed * 1000:9.1f} ms  ({CASES / elapsed:,.0f} deadlines/s)")
    return elapsed


def main() -> None:
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    import shipped  # noqa: F401  (loads the shipped 2000-2100 tables once)
    from domain.calendar import WorkingDayCalendar

    after = tracemalloc.take_snapshot()
    table_kib = sum(stat.size_diff for stat in after.compare_to(before, "filename")) / 1024
    tracemalloc.stop()

    england = WorkingDayCalendar()
    table = holidays.country_holidays("GB", subdiv="ENG", years=range(2019, 2032))

    base = timed("baseline: holidays lookup per day, 15 working days", lambda: [
        baseline_add_working_days(table, start, 15) for start in STARTS])
    ours = timed("domain.calendar.add_working_days, 15 working days", lambda: [
        england.add_working_days(start, 15) for start in STARTS])
    explained = timed("domain.calendar.working_days_from (with reason)", lambda: [
        england.working_days_from(start, 15) for start in STARTS])
    print(f"ratio ours/baseline: {ours / base:.2f}   with reason/baseline: {explained / base:.2f}")
    print(f"memory of importing the calendar (pydantic) and its shipped 2000-2100 tables: {table_kib:,.0f} KiB")


if __name__ == "__main__":
    main()
