"""The shipped bank holiday tables: ``england-*.json`` here, one immutable file per version.

Read once, when this module is first imported, and registered with the pure
``domain.calendars`` that working-day arithmetic counts with (``shipped`` is passed
through the workflow sandbox, so no workflow ever reads them).
``scripts/build_calendar.py`` writes a new version from the installed ``holidays``
with ``dump``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from domain.calendars import (
    FIRST_VERSION,
    FIRST_YEAR,
    LAST_YEAR,
    SHIPPED,
    bank_holidays,
    digest,
    is_shipped,
    latest_version,
    register,
    version_key,
)

__all__ = ["DIRECTORY", "FIRST_VERSION", "FIRST_YEAR", "LAST_YEAR", "SHIPPED", "bank_holidays", "dump",
           "is_shipped", "latest_version", "load", "version_key"]

DIRECTORY = Path(__file__).parent


def dump(version: str, table: dict[date, str], source: str) -> str:
    """A new version's file, refused if it is not newer than every version shipped."""
    newest = latest_version()
    if version in SHIPPED or version_key(version) <= version_key(newest):
        raise ValueError(f"calendar version {version} must be new and later than {newest}")
    outside = sorted(day for day in table if not FIRST_YEAR <= day.year <= LAST_YEAR)
    if outside:
        raise ValueError(f"{outside[0]} is outside the calendar's years {FIRST_YEAR}-{LAST_YEAR}")
    document = {
        "version": version,
        "source": source,
        "years": [FIRST_YEAR, LAST_YEAR],
        "digest": digest(table),
        "bank_holidays": {day.isoformat(): name for day, name in sorted(table.items())},
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def load(path: Path) -> tuple[str, dict[date, str]]:
    """One version's file, refused if it was edited after it shipped."""
    document = json.loads(path.read_text(encoding="utf-8"))
    version = document["version"]
    if path.stem != version:
        raise ValueError(f"{path.name} holds calendar version {version}; the file must be named after it")
    table = {date.fromisoformat(day): name for day, name in document["bank_holidays"].items()}
    if digest(table) != document["digest"]:
        # A shipped version is what running journeys counted with: it is never edited, only superseded.
        raise ValueError(f"calendar {version} was edited after it shipped; restore it and ship a new version "
                         "with scripts/build_calendar.py")
    return version, table


for _path in sorted(DIRECTORY.glob("england-*.json")):
    register(*load(_path))
if FIRST_VERSION not in SHIPPED:
    raise RuntimeError(f"{FIRST_VERSION}.json is missing from {DIRECTORY}: journeys started before "
                       "calendars were versioned count with it")
