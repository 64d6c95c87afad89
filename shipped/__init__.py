"""What we ship: bank holiday calendars and released profiles, read once at import.

Every file the journeys count with is read here, never in ``domain`` (pure, so
workflows may use it): importing this package reads the calendar tables
(``shipped.calendars``) and the released profiles (``shipped.released``) and
registers them with ``domain.calendars`` and ``domain.released``. Whatever runs
journeys or counts a date imports it first: the worker, the starter, the scripts,
the tests, and the workflow modules (passed through the sandbox, so a workflow
never reads a file). Profiles a new journey starts on are ``shipped.profiles``.
"""

from shipped import calendars, profiles, released

__all__ = ["calendars", "profiles", "released"]
