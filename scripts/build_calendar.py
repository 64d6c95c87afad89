"""Ship a new version of the calendar: England's bank holidays as the installed ``holidays`` gives them.

Journeys count working days with a shipped, immutable table (``shipped/calendars/``),
never with the library itself, so upgrading ``holidays`` cannot move a running
journey's dates. When the library (or an announcement of a one-off bank holiday)
changes the table, run:

    .venv/bin/python scripts/build_calendar.py [england-YYYY.MM]

then commit the new file and tell running journeys: ``cpj calendar publish``.
An existing version is never overwritten; a table equal to the newest shipped one
is not shipped again.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import holidays  # noqa: E402

from shipped import calendars  # noqa: E402


def plain_name(name: str) -> str:
    # "Boxing Day (observed)" reads better in a sentence as "Boxing Day observed".
    return name.replace(" (observed)", " observed")


def england_bank_holidays() -> dict[date, str]:
    """What the installed ``holidays`` says: England (GB, ENG), substitute days included, named plainly."""
    source = holidays.country_holidays(
        "GB", subdiv="ENG", years=range(calendars.FIRST_YEAR, calendars.LAST_YEAR + 1)
    )
    return {day: plain_name(name) for day, name in sorted(source.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    today = date.today()
    parser.add_argument("version", nargs="?", default=f"england-{today.year}.{today.month}",
                        help="the new version's name (default england-<year>.<month>)")
    args = parser.parse_args(argv)
    table = england_bank_holidays()
    newest = calendars.latest_version()
    if table == calendars.bank_holidays(newest):
        print(f"the installed holidays {holidays.__version__} agrees with {newest}: nothing to ship")
        return 0
    try:
        text = calendars.dump(args.version, table, source=f"holidays {holidays.__version__}, GB subdiv ENG")
        path = calendars.DIRECTORY / f"{args.version}.json"
        with path.open("x", encoding="utf-8") as handle:  # "x": a shipped version is never overwritten
            handle.write(text)
    except (ValueError, FileExistsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"shipped {args.version} in {path.relative_to(ROOT)}; commit it, then run `cpj calendar publish`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
