"""A council moving to this system imports its open cases: a CSV file, one journey per row, on its plan.

Operations staff upload the file (or run ``cpj import``); every row is checked before anything
starts; the progress page shows how far it has got and which rows were refused and why. Running it
again starts nothing twice. The journeys' deadlines are counted from the rows' dates (worked by hand).
"""

from __future__ import annotations

import asyncio
import csv
from datetime import date
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from activities.db import AuditEntry
from domain.events import StrategyDiscussion
from starter.identity import Actor
from starter.imports import ImportStore, new_run_id, run_import
from starter.roles import Role
from tests.conftest import JourneyWorld, eventually, quiet

HEADER = "case_ref,policy,on_plan_since,category,last_review,last_visit,last_core_group,lead_social_worker,team"
#: Dates long past, so the deadlines are the same whatever day the test runs (and are overdue by now).
THREE_ROWS = "\n".join([
    HEADER,
    "CASE-0101,darlington,2026-03-02,neglect,2026-05-28,14/09/2026,2026-09-07,SW-1042,North locality",
    "CASE-0102,darlington,01/09/2026,Physical abuse,,,,sw-2077,",
    "14/03/2019,darlington,2026-03-02,neglect,,,,SW-1042,North locality",
    "",
])
OPS = Actor(kind="person", ref="OPS-0001", roles=frozenset({Role.OPERATIONS_STAFF}))


async def import_file(world: JourneyWorld, text: str, dry_run: bool = False):
    store = ImportStore(world.engine)
    run_id = new_run_id()
    store.begin(run_id, OPS.recorded_as, "cli", dry_run)
    run = await run_import(text, world.journeys, store, OPS, run_id, via="cli", dry_run=dry_run)
    for case_ref in ("CASE-0101", "CASE-0102"):
        await quiet(world.env.client, f"cpj-{case_ref}")
    return run, {row.row: row for row in store.rows(run_id)}


def due(state, kind: str) -> date | None:
    row = state.deadline(kind)
    return row.due if row is not None else None


async def test_three_rows_one_refused_for_a_date_of_birth_as_a_case_reference(world: JourneyWorld) -> None:
    run, rows = await import_file(world, THREE_ROWS)
    assert (run.status, run.total, run.done, run.started, run.already_imported, run.refused) == (
        "finished", 3, 3, 2, 0, 1)
    assert rows[2].outcome == rows[3].outcome == "started"
    # The date of birth is refused, and never written down again: not in the report, not as the case.
    assert rows[4].outcome == "refused" and rows[4].case_ref is None
    assert "date of birth" in rows[4].reason and "2019" not in rows[4].reason

    first = await world.journeys.state("CASE-0101")
    assert (first.stage.value, first.lead_social_worker, first.team) == ("on_plan", "SW-1042", "North locality")
    second = await world.journeys.state("CASE-0102")
    assert (second.category.value, second.lead_social_worker, second.team) == ("physical_abuse", "SW-2077", None)
    # The timeline says the case was imported, with the row's facts and who imported it.
    [imported] = [record for record in world.records("CASE-0101") if record.kind == "case_imported"]
    assert imported.summary.startswith("Case imported ") and "on a child protection plan since 2026-03-02" in imported.summary
    assert imported.details["recorded_by"] == "OPS-0001" and imported.details["import_run"] == run.run_id
    assert (imported.details["last_visit_on"], imported.details["row"]) == ("2026-09-14", 2)


async def test_the_journeys_deadlines_after_import_are_counted_from_the_rows_dates(world: JourneyWorld) -> None:
    await import_file(world, THREE_ROWS)
    state = await world.journeys.state("CASE-0101")
    # Darlington: seen every 10 working days; from Monday 14 September, Monday 28 September.
    assert due(state, "visit") == date(2026, 9, 28)
    # Core groups every 20 working days: from Monday 7 September, Monday 5 October.
    assert due(state, "core_group") == date(2026, 10, 5)
    # Reviews within 6 months or 182 days of the last, the earlier: 28 May + 182 days is 26 November.
    assert due(state, "review") == date(2026, 11, 26)
    fresh = await world.journeys.state("CASE-0102")
    # No review, visit or core group yet: the first of each counted from the plan's start, Tuesday 1 September:
    # ten working days is Tuesday 15 September; the first review within 3 months or 91 days, both 1 December.
    assert (due(fresh, "visit"), due(fresh, "core_group")) == (date(2026, 9, 15), date(2026, 9, 15))
    assert due(fresh, "review") == date(2026, 12, 1)
    assert fresh.reviews_held == 0 and state.reviews_held == 1


async def test_running_the_import_again_starts_nothing_twice(world: JourneyWorld) -> None:
    await import_file(world, THREE_ROWS)
    # A case already kept here, started from its strategy discussion, is not imported over.
    await world.journeys.start("CASE-0103", "darlington", StrategyDiscussion(
        event_id="sd-1", held_on=await world.today(), initiated_section_47=True))
    again = THREE_ROWS.replace("14/09/2026", "21/09/2026") + "CASE-0103,darlington,2026-03-02,neglect,,,,SW-1042,\n"
    run, rows = await import_file(world, again)
    assert (run.started, run.already_imported, run.refused) == (0, 2, 2)
    assert rows[3].outcome == "already_imported" and rows[3].reason.startswith("imported on ")
    # The journey keeps what it was imported with; the report says where this row differs.
    assert rows[2].outcome == "already_imported"
    assert "last visit 2026-09-21, not 2026-09-14" in rows[2].reason
    assert rows[5].outcome == "refused" and "is already running and was not imported" in rows[5].reason
    assert (await world.journeys.state("CASE-0101")).imported.last_visit_on == date(2026, 9, 14)
    assert len([r for r in world.records("CASE-0101") if r.kind == "case_imported"]) == 1


async def test_a_dry_run_checks_every_row_and_starts_nothing(world: JourneyWorld) -> None:
    store = ImportStore(world.engine)
    run_id = new_run_id()
    store.begin(run_id, OPS.recorded_as, "cli", True)
    run = await run_import(THREE_ROWS, world.journeys, store, OPS, run_id, via="cli", dry_run=True)
    assert (run.done, run.started, run.refused) == (3, 0, 1)
    assert [row.outcome for row in store.rows(run_id)] == ["would_start", "would_start", "refused"]
    assert world.records("CASE-0101") == []


async def test_the_web_import_shows_progress_and_the_refused_rows(world: JourneyWorld, signed_in_as) -> None:
    ops = await signed_in_as(Role.OPERATIONS_STAFF, staff_ref="OPS-0002")
    form = await ops.get("/import")
    assert form.status_code == 200
    assert 'type="file"' in form.text and 'enctype="multipart/form-data"' in form.text
    assert "lead_social_worker" in form.text and "14/03/2026" in form.text
    assert '<a class="govuk-service-navigation__link" href="/import"' in form.text

    sent = await ops.post("/import", files={"file": ("open-cases.csv", THREE_ROWS.encode(), "text/csv")})
    assert sent.status_code == 303
    page_path = sent.headers["location"]
    assert page_path.startswith("/import/imp-")

    async def finished() -> bool:
        return "Import finished" in (await ops.get(page_path)).text

    await eventually(finished)
    page = (await ops.get(page_path)).text
    assert "3 of 3 rows done" in page and "data-cpj-poll" not in page
    assert "Rows refused" in page and "Not shown: not a case reference" in page and "date of birth" in page
    assert "14/03/2019" not in page
    assert (await world.journeys.state("CASE-0101")).imported.recorded_by == "OPS-0002"
    report = list(csv.reader((await ops.get(page_path + "/report.csv")).text.splitlines()))
    assert report[0] == ["row", "case_ref", "outcome", "reason"]
    assert [line[:3] for line in report[1:]] == [["2", "CASE-0101", "Started"], ["3", "CASE-0102", "Started"],
                                                 ["4", "", "Refused"]]
    # Each case started is in the audit log under who imported it.
    with Session(world.engine) as session:
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "import_cases",
                                                        AuditEntry.what == "case_imported")).all()
    assert {row.case_ref for row in audited} == {"CASE-0101", "CASE-0102"}
    assert {row.actor for row in audited} == {"OPS-0002"}


async def test_a_running_import_shows_how_far_it_has_got_and_follows_it_without_reloading(world: JourneyWorld, signed_in_as) -> None:
    store = ImportStore(world.engine)
    run_id = new_run_id()
    store.begin(run_id, "OPS-0001", "page")
    store.counted(run_id, 10)
    from starter.imports import RowOutcome

    store.add(run_id, [RowOutcome(2, "CASE-0201", "started"), RowOutcome(3, None, "refused", "the case reference is empty"),
                       RowOutcome(4, "CASE-0203", "started"), RowOutcome(5, "CASE-0204", "already_imported", "imported")])
    admin = await signed_in_as(Role.ADMINISTRATOR)
    page = (await admin.get(f"/import/{run_id}")).text
    assert "4 of 10 rows done" in page
    assert '<progress class="cpj-progress" max="10" value="4"' in page
    assert 'data-cpj-poll="3"' in page and f'href="/import/{run_id}">Refresh</a>' in page
    assert 'http-equiv="refresh"' not in page  # a page that reloads itself fails WCAG 2.2.1
    assert "The case reference is empty" in page


async def test_only_operations_staff_and_administrators_import(world: JourneyWorld, signed_in_as) -> None:
    worker = await signed_in_as(Role.LEAD_SOCIAL_WORKER)
    refused = await worker.post("/import", files={"file": ("open-cases.csv", THREE_ROWS.encode(), "text/csv")})
    assert refused.status_code == 403
    assert (await worker.get("/import")).status_code == 403
    assert 'href="/import"' not in (await worker.get("/")).text
    ops = await signed_in_as(Role.OPERATIONS_STAFF)
    nothing = await ops.post("/import", files={"file": ("open-cases.csv", b"", "text/csv")})
    assert nothing.status_code == 422 and "The file is empty" in nothing.text
    with_names = HEADER + ",child_name\nCASE-0301,darlington,2026-03-02,neglect,,,,SW-1042,,Jane\n"
    sent = await ops.post("/import", files={"file": ("open-cases.csv", with_names.encode(), "text/csv")})

    async def refused_whole() -> bool:
        return "The file was not imported" in (await ops.get(sent.headers["location"])).text

    await eventually(refused_whole)
    assert "child_name" in (await ops.get(sent.headers["location"])).text


async def test_cpj_import_shows_its_progress_and_the_refused_rows(world: JourneyWorld, tmp_path: Path,
                                                                  monkeypatch) -> None:
    from starter.cli import app
    from starter.client import Journeys, connect

    target = world.env.client.service_client.config.target_host

    async def journeys_of_the_world():
        return Journeys(await connect(target), world.journeys.task_queue)

    monkeypatch.setattr("starter.cli._journeys", journeys_of_the_world)
    monkeypatch.setenv("CPJ_DATABASE_URL", str(world.engine.url))
    file = tmp_path / "open-cases.csv"
    file.write_text(THREE_ROWS, encoding="utf-8")
    report = tmp_path / "report.csv"
    # The command runs its own event loop, as it does in a terminal: in a thread, beside the world's worker.
    result = await asyncio.to_thread(CliRunner().invoke, app, ["--as", "OPS-0003", "import", str(file),
                                                               "--report", str(report)])
    assert result.exit_code == 1, result.output  # a row was refused
    assert "Importing 3 rows" in result.stderr
    assert "2 started, 0 already imported, 1 refused" in result.stdout
    assert "row 4, case (not shown: not a case reference): the case reference is a date" in result.stdout
    assert [line[2] for line in csv.reader(report.read_text().splitlines())][1:] == ["started", "started", "refused"]
    await quiet(world.env.client, "cpj-CASE-0101")
    assert (await world.journeys.state("CASE-0101")).imported.recorded_by == "OPS-0003"

    again = await asyncio.to_thread(CliRunner().invoke, app, ["--as", "OPS-0003", "import", str(file)])
    assert "0 started, 2 already imported, 1 refused" in again.stdout
