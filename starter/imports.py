"""Importing open cases: every row of a CSV file checked, then one journey started per row, on its plan.

The command line (``cpj import``, ``starter.import_cli``) and the admin tool (``/import``,
``starter.web.imports``) both run :func:`run_import`. What a row means is the domain's
(``domain.imports`` reads and checks the rows, ``domain.plan.start_imported`` counts the deadlines);
starting a journey is :meth:`starter.client.Journeys.start_imported`, one journey per case, ever. Here:
the order (every row checked before anything starts), a few starts in flight at once, and each row's
outcome kept in the records database as it comes (:class:`ImportStore`), so the progress page and
the report outlive the process that ran the import.

Running the same file again starts nothing twice: a case imported before is "already imported".
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from activities.db import ImportRowOutcome, ImportRun
from domain.deadlines import london_date
from domain.imports import Accepted, FileRefused, check_rows, read_rows
from shipped.profiles import load_profile, profile_ids
from starter.audit import AuditLog
from starter.client import EventRejected, JourneyError, JourneyExists, NotAnswered
from starter.identity import Actor
from starter.permissions import Action

#: Starts in flight at once: enough to keep Temporal busy, few enough to leave the worker room for its journeys.
CONCURRENCY = 8
#: A start Temporal did not answer is asked again this many times (a retried start is harmless).
ATTEMPTS = 3
#: Each outcome in words, for the report and the progress page.
OUTCOME_WORDS = {"started": "Started", "already_imported": "Already imported", "refused": "Refused",
                 "would_start": "Would start"}


def new_run_id() -> str:
    return f"imp-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class RowOutcome:
    """What became of one row: its number, its case (None where the row's was not a case reference), why."""

    row: int
    case_ref: str | None
    outcome: str
    reason: str | None = None


class ImportStore:
    """Imports and their rows in the records database: one row per run, one per row of its file."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.clock = clock

    def begin(self, run_id: str, by: str, via: str, dry_run: bool = False) -> ImportRun:
        now = self.clock()
        run = ImportRun(run_id=run_id, started_at=now, started_by=by, via=via, dry_run=dry_run, status="running",
                        updated_at=now)
        with Session(self.engine) as session:
            session.add(run)
            session.commit()
            session.refresh(run)
        return run

    def counted(self, run_id: str, total: int) -> None:
        self._update(run_id, total=total)

    def add(self, run_id: str, outcomes: list[RowOutcome]) -> None:
        """Keep ``outcomes`` and count them into the run, in one transaction."""
        if not outcomes:
            return
        counts = {"started": 0, "already_imported": 0, "refused": 0}
        for outcome in outcomes:
            if outcome.outcome in counts:
                counts[outcome.outcome] += 1
        with Session(self.engine) as session:
            session.add_all(ImportRowOutcome(run_id=run_id, row=o.row, case_ref=o.case_ref, outcome=o.outcome,
                                             reason=o.reason) for o in outcomes)
            # Counted in the database, not read and written back: several starts finish at once.
            session.exec(update(ImportRun).where(col(ImportRun.run_id) == run_id).values(
                done=ImportRun.done + len(outcomes), started=ImportRun.started + counts["started"],
                already_imported=ImportRun.already_imported + counts["already_imported"],
                refused=ImportRun.refused + counts["refused"], updated_at=self.clock()))
            session.commit()

    def finish(self, run_id: str, problem: str | None = None, status: str = "finished") -> None:
        self._update(run_id, status=status, problem=problem, finished_at=self.clock())

    def _update(self, run_id: str, **values) -> None:
        with Session(self.engine) as session:
            session.exec(update(ImportRun).where(col(ImportRun.run_id) == run_id)
                         .values(updated_at=self.clock(), **values))
            session.commit()

    def run(self, run_id: str) -> ImportRun | None:
        with Session(self.engine) as session:
            return session.get(ImportRun, run_id)

    def rows(self, run_id: str, outcome: str | None = None) -> list[ImportRowOutcome]:
        """A run's rows in file order; only those with ``outcome`` if given."""
        query = select(ImportRowOutcome).where(ImportRowOutcome.run_id == run_id)
        if outcome:
            query = query.where(ImportRowOutcome.outcome == outcome)
        with Session(self.engine) as session:
            return list(session.exec(query.order_by(col(ImportRowOutcome.row))).all())


async def run_import(text: str, journeys, store: ImportStore, actor: Actor, run_id: str, *, via: str,
                     dry_run: bool = False, concurrency: int = CONCURRENCY, audit: AuditLog | None = None,
                     on_total: Callable[[int], None] | None = None,
                     on_row: Callable[[RowOutcome], None] | None = None) -> ImportRun:
    """Import ``text`` (a CSV file's) as run ``run_id`` (begun in ``store``): check every row, then start each.

    ``journeys`` is a :class:`starter.client.Journeys` (or the command line's recorded one); ``on_total``
    hears how many rows there are, ``on_row`` each row's outcome as it comes (a progress bar).
    A dry run checks the rows and starts nothing.
    """
    try:
        return await _run(text, journeys, store, actor, run_id, via=via, dry_run=dry_run, concurrency=concurrency,
                          audit=audit, on_total=on_total, on_row=on_row)
    except BaseException as err:
        # Whatever stopped it, the progress page says so (the rows done so far are kept; running again goes on).
        problem = ("the import was stopped before every row was done; run it again: rows already started "
                   f"are reported as already imported ({type(err).__name__})")
        await asyncio.to_thread(store.finish, run_id, problem, "stopped")
        raise


async def _run(text, journeys, store, actor, run_id, *, via, dry_run, concurrency, audit, on_total, on_row):
    try:
        rows = read_rows(text)
    except FileRefused as refused:
        await asyncio.to_thread(store.finish, run_id, f"The file was not imported: {refused}.", "refused")
        return await asyncio.to_thread(store.run, run_id)
    today = london_date(await journeys.clock())
    # The profiles themselves: each row's case reference is checked against its authority's shape.
    profiles = {profile_id: load_profile(profile_id) for profile_id in profile_ids()}
    checked = check_rows(rows, profiles, today, import_run=run_id, recorded_by=actor.recorded_as)
    await asyncio.to_thread(store.counted, run_id, len(checked))
    if on_total:
        on_total(len(checked))

    def heard(outcomes: list[RowOutcome]) -> None:
        for outcome in outcomes:
            if on_row:
                on_row(outcome)

    refusals = [RowOutcome(one.row, one.case_ref, "refused", one.reason) for one in checked
                if not isinstance(one, Accepted)]
    await asyncio.to_thread(store.add, run_id, refusals)
    heard(refusals)
    accepted = [one for one in checked if isinstance(one, Accepted)]
    if dry_run:
        would = [RowOutcome(one.row, one.case_ref, "would_start") for one in accepted]
        await asyncio.to_thread(store.add, run_id, would)
        heard(would)
    else:
        queue = iter(accepted)

        async def lane() -> None:
            for one in queue:
                outcome = await _start(journeys, one, actor)
                await asyncio.to_thread(store.add, run_id, [outcome])
                if audit is not None and outcome.outcome == "started":
                    await asyncio.to_thread(audit.write, actor, Action.IMPORT_CASES, "case_imported", via=via,
                                            case_ref=outcome.case_ref)
                heard([outcome])

        await asyncio.gather(*(lane() for _ in range(max(1, min(concurrency, len(accepted))))))
    await asyncio.to_thread(store.finish, run_id)
    return await asyncio.to_thread(store.run, run_id)


async def _start(journeys, one: Accepted, actor: Actor) -> RowOutcome:
    """Start one row's journey: started, already imported, or refused with the reason."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            started = await journeys.start_imported(one.case_ref, one.policy, one.plan, by=actor.recorded_as)
        except NotAnswered as err:
            if attempt == ATTEMPTS:
                return RowOutcome(one.row, one.case_ref, "refused",
                                  f"not started: {err} (running the import again starts it; nothing is started twice)")
            await asyncio.sleep(attempt)
            continue
        except (JourneyExists, EventRejected) as err:
            return RowOutcome(one.row, one.case_ref, "refused", str(err))
        except JourneyError as err:
            return RowOutcome(one.row, one.case_ref, "refused", f"not started: {err}")
        if not started.already:
            return RowOutcome(one.row, one.case_ref, "started")
        reason = f"imported on {started.imported_on}"
        if started.differs:
            reason += ("; this row says otherwise (" + "; ".join(started.differs) + "): the journey keeps what it "
                       "was imported with, so record what changed as events on it")
        return RowOutcome(one.row, one.case_ref, "already_imported", reason)
    raise AssertionError("unreachable")  # pragma: no cover

