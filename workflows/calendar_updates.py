"""A new calendar version reaches a running workflow: the ``calendar_updated`` signal.

``cpj calendar publish`` sends it to every running journey and conference after a
new version ships (``scripts/build_calendar.py``), e.g. a one-off bank holiday
announced. The workflow then counts with that version: each open deadline not yet
passed is counted again from its anchor, and what moved is recorded. The version
arrives as a signal, so it is in the workflow's history and replays the same, while
the table itself is shipped, immutable, data (``domain.calendars``).

A workflow mixing this in supplies ``_profile``, ``_state`` (a deadline table),
``_changed`` and ``_record`` (``workflows.keeping``). Its next run must carry the
profile's calendar version on (``domain.released.pinned``).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.calendars import is_shipped, version_key
    from domain.deadlines import london_date, recount
    import shipped  # noqa: F401  (registers the calendar versions is_shipped knows; passed through)

CALENDAR_UPDATED = "calendar_updated"


class CalendarUpdates:
    @workflow.signal(name=CALENDAR_UPDATED)
    async def calendar_updated(self, version: str) -> None:
        """Count with calendar ``version`` from now on, if it is shipped and newer than the one in use."""
        counted_with = self._profile.calendar_version
        if not is_shipped(version) or version_key(version) <= version_key(counted_with):
            # A publish repeated, or older than one already applied: nothing to do, nothing recorded.
            workflow.logger.info("calendar update ignored", extra={"version": version, "in_use": counted_with})
            return
        self._profile = self._profile.model_copy(update={"calendar_version": version})
        today = london_date(workflow.now())
        moved = recount(self._state, self._profile, today, counted_with=counted_with)
        self._changed = True
        if moved:
            summary = f"Calendar {version} (was {counted_with}): " + "; ".join(
                f"{row.label} moved from {row.was} to {row.now}" for row in moved)
        else:
            summary = f"Calendar {version} (was {counted_with}): no open deadline moved"
        await self._record(f"calendar-{version}", "calendar_updated", today, summary, {
            "calendar_version": version,
            "was": counted_with,
            "moved": [{"kind": row.kind, "was": row.was.isoformat(), "now": row.now.isoformat()} for row in moved],
        })
