"""The bank holidays of England as versioned data: every version ever shipped, immutable.

A journey counts working days with the calendar version it names
(``Profile.calendar_version``), so a library upgrade cannot move its dates; a new
version (a one-off bank holiday announced, a correction) reaches running journeys
only when it is published to them (``cpj calendar publish``), which is recorded
in their history. ``scripts/build_calendar.py`` writes a new version from the
installed ``holidays``.

The files are read once, when this module is first imported (it is passed
through the workflow sandbox, so no workflow ever reads them).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

DIRECTORY = Path(__file__).parent
#: The version every journey started before calendars were versioned counts with; never changes.
FIRST_VERSION = "england-2026.11"
#: The years every version covers; a journey's dates fall well inside them.
FIRST_YEAR, LAST_YEAR = 2000, 2100

_VERSION = re.compile(r"^england-(\d{4})\.(\d{1,2})(?:\.(\d+))?$")


class UnknownCalendar(LookupError):
    pass


def version_key(version: str) -> tuple[int, int, int]:
    """Order of versions: ``england-2026.11`` < ``england-2026.11.1`` < ``england-2027.1``."""
    match = _VERSION.match(version)
    if not match:
        raise ValueError(f"calendar version {version!r} is not of the form england-YYYY.MM[.N]")
    year, month, patch = match.groups()
    return int(year), int(month), int(patch or 0)


def digest(table: dict[date, str]) -> str:
    canonical = json.dumps({day.isoformat(): name for day, name in sorted(table.items())},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


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


def _load(path: Path) -> tuple[str, dict[date, str]]:
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


#: version -> {bank holiday: its name}. Tests may add a version (the worker runs in their process); they
#: then clear ``domain.deadlines.calendar_for``'s cache, which trusts a version never to change.
SHIPPED: dict[str, dict[date, str]] = dict(_load(path) for path in sorted(DIRECTORY.glob("england-*.json")))


def latest_version() -> str:
    return max(SHIPPED, key=version_key)


def is_shipped(version: str) -> bool:
    return version in SHIPPED


def bank_holidays(version: str) -> dict[date, str]:
    try:
        return SHIPPED[version]
    except KeyError:
        raise UnknownCalendar(f"no calendar version {version!r}; shipped: {', '.join(sorted(SHIPPED, key=version_key))}") from None
