"""``cpj import FILE.csv``: bring in open cases already on a plan, one journey per row, with a progress bar.

Every row is checked before anything starts; the summary says how many were started, how many were
imported already (running the same file again starts nothing twice) and how many were refused, and
lists the refused rows with the reason. ``--report out.csv`` writes every row's outcome to a file.
The run is kept in the records database like one from the admin tool, under the staff number the
command line acts as (``cpj --as`` or ``CPJ_STAFF_REF``).

Exit code 0 when no row was refused, 1 when some were (the report says which and why), 2 when the
file could not be read at all.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer


def import_command(
    file: Annotated[Path, typer.Argument(help="the CSV file: a header row, then one case a row (see the README, "
                                              "\"Importing open cases\")", exists=True, dir_okay=False,
                                         readable=True)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check every row and start nothing")] = False,
    report: Annotated[Optional[Path], typer.Option("--report", help="write every row's outcome (row, case "
                                                                    "reference, outcome, reason) to this CSV file",
                                                   dir_okay=False)] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="journeys started at once")] = 8,
) -> None:
    """Import open cases already on a plan from a CSV file: one journey per row, started on its plan.

    Columns: case_ref, policy, on_plan_since, category, last_review, last_visit, last_core_group,
    lead_social_worker, team. Dates as 2026-03-14 or 14/03/2026.
    """
    from activities.db import make_engine
    from starter.audit import AuditLog, NoActor, cli_actor
    from starter.cli import _fail, _journeys, _run
    from starter.imports import ImportStore, new_run_id, run_import

    try:
        actor = cli_actor()
    except NoActor as err:
        raise _fail(str(err)) from None
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(f"{file.name} is not a UTF-8 text file: save it from the spreadsheet as \"CSV UTF-8\"") from None
    engine = make_engine()
    store = ImportStore(engine)
    run_id = new_run_id()
    store.begin(run_id, actor.recorded_as, "cli", dry_run)
    bar_holder: dict = {}

    def on_total(total: int) -> None:
        label = f"{'Checking' if dry_run else 'Importing'} {total} row{'s' if total != 1 else ''}"
        bar = typer.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
        bar_holder["bar"] = bar.__enter__()

    def on_row(_outcome) -> None:
        bar_holder["bar"].update(1)

    async def go():
        journeys = await _journeys()
        try:
            return await run_import(text, journeys, store, actor, run_id, via="cli", dry_run=dry_run,
                                    concurrency=concurrency, audit=AuditLog(engine), on_total=on_total, on_row=on_row)
        finally:
            if "bar" in bar_holder:
                bar_holder["bar"].__exit__(None, None, None)

    try:
        run = _run(go())
        rows = store.rows(run_id)
    finally:
        engine.dispose()
    if run.status == "refused":
        raise _fail(run.problem or "the file was not imported")
    if dry_run:
        would = sum(1 for row in rows if row.outcome == "would_start")
        typer.echo(f"dry run {run_id}: {would} would start, {run.refused} refused (nothing was started)")
    else:
        typer.echo(f"import {run_id}: {run.started} started, {run.already_imported} already imported, "
                   f"{run.refused} refused")
    for row in rows:
        if row.outcome == "refused":
            typer.echo(f"  row {row.row}, case {row.case_ref or '(not shown: not a case reference)'}: {row.reason}")
    if report is not None:
        with report.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "case_ref", "outcome", "reason"])
            for row in rows:
                writer.writerow([row.row, row.case_ref or "", row.outcome, row.reason or ""])
        typer.echo(f"report written to {report}")
    if run.refused:
        raise typer.Exit(code=1)

