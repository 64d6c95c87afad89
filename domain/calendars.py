"""The bank holidays of England as versioned data: the versions, and how they are named and ordered.

A journey counts working days with the calendar version it names
(``Profile.calendar_version``), so a library upgrade cannot move its dates; a new
version (a one-off bank holiday announced, a correction) reaches running journeys
only when it is published to them (``cpj calendar publish``), which is recorded
in their history.

Pure: the tables themselves are files that ``shipped.calendars`` reads when it is
first imported and registers here. Code outside ``domain`` imports ``shipped``
before it counts a day (the worker, the starter, the scripts, the tests); a
version nobody registered is refused with that hint, never read from a file here.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date

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


#: version -> {bank holiday: its name}, as ``shipped.calendars`` registers them. Tests may add a version
#: (the worker runs in their process); they then clear ``domain.deadlines.calendar_for``'s cache, which
#: trusts a version never to change.
SHIPPED: dict[str, dict[date, str]] = {}

_NOTHING_REGISTERED = "no calendar version is registered: import shipped (it registers the shipped versions) first"


def register(version: str, table: dict[date, str]) -> None:
    """Make a version countable; registering a version again with another table is refused."""
    version_key(version)
    known = SHIPPED.get(version)
    if known is not None and known != table:
        raise ValueError(f"calendar version {version} is already registered with another table; "
                         "a version never changes, ship a new one")
    SHIPPED[version] = table


def latest_version() -> str:
    if not SHIPPED:
        raise UnknownCalendar(_NOTHING_REGISTERED)
    return max(SHIPPED, key=version_key)


def is_shipped(version: str) -> bool:
    return version in SHIPPED


def bank_holidays(version: str) -> dict[date, str]:
    try:
        return SHIPPED[version]
    except KeyError:
        if not SHIPPED:
            raise UnknownCalendar(f"no calendar version {version!r}: {_NOTHING_REGISTERED}") from None
        raise UnknownCalendar(f"no calendar version {version!r}; shipped: {', '.join(sorted(SHIPPED, key=version_key))}") from None
