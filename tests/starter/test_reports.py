"""A manager reads this year's timeliness figures: in the admin tool as charts with their figures, as CSV, and at a terminal.

Journeys recorded through the service (a time-skipping Temporal with a worker, whose record writer keeps
each journey's facts) are counted; the pages and the command line read the records database, never Temporal.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete
from sqlmodel import Session
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from activities.case_facts import read_facts
from activities.db import CaseFactsRow, make_engine
from activities.records import RecordActivities
from domain.calendar import WorkingDayCalendar
from domain.effects import RecordRequest
from domain.events import IcpcHeld, LeadSocialWorkerNamed, StrategyDiscussion
from starter.cli import app
from starter.client import Journeys
from starter.roles import Role
from tests.conftest import JourneyWorld, eventually

MANAGER = Role.TEAM_MANAGER


async def no_temporal() -> Journeys:
    raise AssertionError("the reports read the records database, never Temporal")


def next_working_day(day: date) -> date:
    return WorkingDayCalendar().add_working_days(day, 1)


# -- Journeys recorded through the service ---------------------------------------------------------------


async def test_a_manager_reads_the_years_icpcs_as_a_chart_with_its_figures_and_downloads_them(
    world: JourneyWorld, signed_in_as: Callable[..., Awaitable[httpx.AsyncClient]],
) -> None:
    began = await world.today()
    for case_ref in ("DAR-0201", "DAR-0202"):
        await world.journeys.start(case_ref, "darlington", StrategyDiscussion(event_id="sd-1", held_on=began,
                                                                               initiated_section_47=True))
    in_time = next_working_day(began)
    await world.days_pass((in_time - began).days)
    await world.journeys.send("DAR-0201", IcpcHeld(event_id="icpc-1", held_on=in_time, decision="plan",
                                                   category="neglect"))
    await world.journeys.send("DAR-0201", LeadSocialWorkerNamed(event_id="lsw-1", named_on=in_time,
                                                                staff_ref="SW-1042", team="Locality North"))
    # The 16th working day after the discussion: a day late, by the national count.
    late = next_working_day(WorkingDayCalendar().add_working_days(began, 15))
    await world.days_pass((late - in_time).days)
    await world.journeys.send("DAR-0202", IcpcHeld(event_id="icpc-1", held_on=late, decision="plan",
                                                   category="physical_abuse"))
    assert late.year == in_time.year, "this story needs both conferences in one year"

    async def facts_kept() -> bool:
        facts = {one.case_ref: one for one in read_facts(world.engine)}
        return all(facts.get(ref) is not None and facts[ref].icpc_on is not None for ref in ("DAR-0201", "DAR-0202")) \
            and facts["DAR-0201"].team == "Locality North"
    await eventually(facts_kept)

    web = await signed_in_as(MANAGER, journeys=no_temporal)
    page = await web.get("/reports", params={"year": late.year, "authority": "darlington"})

    assert page.status_code == 200, page.text
    html = page.text
    assert '<svg class="cpj-chart"' in html and 'role="img"' in html and ' style=' not in html
    assert '<title id="icpc-from-section-47-start-title">' in html
    assert "The year: 1 of 2 ICPCs held, within 15 working days of the section 47 start" in " ".join(html.split())
    assert "(50%)" in html and "Locality North" in html and "No team named" in html

    north = await web.get("/reports", params={"year": late.year, "authority": "darlington", "team": "Locality North"})
    assert "The year: 1 of 1 ICPCs held, within 15 working days of the section 47 start" in " ".join(north.text.split())

    download = await web.get("/reports.csv", params={"year": late.year, "authority": "darlington"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == f'attachment; filename="timeliness-{late.year}-darlington.csv"'
    lines = [row for row in csv.DictReader(io.StringIO(download.text)) if row["measure"] == "icpc_from_section_47_start"]
    assert {(row["team"], row["numerator"], row["denominator"], row["percentage"]) for row in lines} == {
        ("Locality North", "1", "1", "100.0"), ("No team named", "0", "1", "0.0")}


# -- The form, and who may read it ------------------------------------------------------------------------


async def test_a_year_outside_the_calendar_or_an_unknown_authority_is_asked_again(
    signed_in_as: Callable[..., Awaitable[httpx.AsyncClient]],
) -> None:
    web = await signed_in_as(MANAGER, journeys=no_temporal)

    wrong = await web.get("/reports", params={"year": "26", "authority": "nowhere"})

    assert wrong.status_code == 422
    assert "Enter the year as 4 digits" in wrong.text and "Choose an authority from the list" in wrong.text
    assert (await web.get("/reports.csv", params={"year": "1900"})).status_code == 422
    empty = await web.get("/reports", params={"year": "2026"})
    assert empty.status_code == 200 and "Nothing was recorded in 2026 that these figures count" in empty.text


@pytest.mark.parametrize("role, may", [(Role.SUPERVISOR, True), (Role.SERVICE_MANAGER, True),
                                       (Role.LEAD_SOCIAL_WORKER, False), (Role.OPERATIONS_STAFF, False)])
async def test_managers_and_supervisors_read_the_reports_and_caseworkers_do_not(
    role: Role, may: bool, signed_in_as: Callable[..., Awaitable[httpx.AsyncClient]],
) -> None:
    web = await signed_in_as(role, journeys=no_temporal)

    answer = await web.get("/reports", params={"year": "2026"})

    assert answer.status_code == (200 if may else 403)
    assert ('href="/reports"' in answer.text) is may  # the navigation offers it to those who may read it


# -- At a terminal ----------------------------------------------------------------------------------------


def write(url: str, *records: RecordRequest) -> None:
    engine = make_engine(url)
    writer = RecordActivities(engine)
    for request in records:
        ActivityEnvironment().run(writer.write_record, request)
    engine.dispose()


def record(case_ref: str, what: str, kind: str, on: date, **details) -> RecordRequest:
    return RecordRequest(key=f"cpj-{case_ref}/run-1/{what}/{kind}", case_ref=case_ref, workflow_id=f"cpj-{case_ref}",
                         kind=kind, occurred_on=on, summary=kind, details={"policy": "darlington@2026.1", **details})


def test_the_command_line_prints_the_years_figures_and_rebuilds_the_facts_of_an_existing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    monkeypatch.setenv("CPJ_DATABASE_URL", url)
    # Across Christmas: 9 December 2026 + 15 working days is Monday 4 January 2027.
    write(url, record("DAR-0301", "sd-1", "strategy_discussion", date(2026, 12, 9), initiated_section_47=True),
          record("DAR-0301", "icpc-1", "icpc_held", date(2027, 1, 4), decision="plan", category="neglect"))
    engine = make_engine(url)
    with Session(engine) as session:  # a database from before the facts: records only
        session.execute(delete(CaseFactsRow))
        session.commit()

    rebuilt = CliRunner().invoke(app, ["report", "rebuild"])
    printed = CliRunner().invoke(app, ["report", "timeliness", "--year", "2027", "--authority", "darlington"])
    as_csv = CliRunner().invoke(app, ["report", "timeliness", "--year", "2027", "--csv"])
    unknown = CliRunner().invoke(app, ["report", "timeliness", "--year", "2027", "--authority", "nowhere"])

    assert rebuilt.exit_code == 0 and "1 journey's facts folded" in rebuilt.output, rebuilt.output
    assert printed.exit_code == 0, printed.output
    assert "ICPCs within 15 working days of the start of the section 47 enquiry" in printed.output
    assert "January       1 of 1     100%" in printed.output
    assert "Darlington,No team named,2027-01,icpc_from_section_47_start," in as_csv.output
    assert unknown.exit_code == 2 and "no authority's profile is called 'nowhere'" in unknown.output
    engine.dispose()
