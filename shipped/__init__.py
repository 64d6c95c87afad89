"""What we ship: bank holiday calendars, released profiles and names, read once at import.

Every file the journeys count with is read here, never in ``domain`` (pure, so
workflows may use it): importing this package reads the calendar tables
(``shipped.calendars``) and the released profiles (``shipped.released``) and
registers them with ``domain.calendars`` and ``domain.released``, and the names a case reference
may not carry (``shipped.names``, registered with ``domain.case_refs``). Whatever runs
journeys or counts a date imports it first: the worker, the starter, the scripts,
the tests, and the workflow modules (passed through the sandbox, so a workflow
never reads a file). Profiles a new journey starts on are ``shipped.profiles``.
"""

from shipped import calendars, names, profiles, released

__all__ = ["calendars", "names", "profiles", "released"]
