"""The census extract, from the command line and the admin tool.

A year's journeys recorded through the service (a time-skipping Temporal with a worker, which keeps each
journey's facts beside its records) make a return that passes the DfE's rules and downloads as XML. A
return built on facts that break a rule lists every failure per child, and neither the command line nor
the admin tool lets the file out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from activities.case_facts import read_facts
from activities.db import CaseFactsRow, make_engine
from domain.case_facts import JourneyFacts, PlanFacts, to_json
from domain.events import ConferenceNotRequired, IcpcHeld, StrategyDiscussion
from starter.cli import app
from starter.client import Journeys
from starter.roles import Role
from starter.web.census import latest_census_year
from tests.conftest import JourneyWorld, eventually

MANAGER = Role.SERVICE_MANAGER


async def no_temporal() -> Journeys:
    raise AssertionError("the census reads the records database, never Temporal")


def cpj(*args: str) -> object:
    return CliRunner().invoke(app, ["--as", "SM-0001", *args])


# -- A year's journeys, recorded through the service ------------------------------------------------------


async def test_a_years_journeys_recorded_through_the_service_make_a_return_that_passes_its_rules(
    world: JourneyWorld, signed_in_as: Callable[..., Awaitable[httpx.AsyncClient]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    began = await world.today()
    await world.journeys.start("DAR-0101", "darlington", StrategyDiscussion(event_id="sd-1", held_on=began,
                                                                            initiated_section_47=True))
    await world.journeys.start("DAR-0102", "darlington", StrategyDiscussion(event_id="sd-1", held_on=began,
                                                                            initiated_section_47=True))
    await world.days_pass(1)
    while (await world.today()).weekday() >= 5:  # conferences are held on working days (the DfE's rule 8875)
        await world.days_pass(1)
    conference = await world.today()
    await world.journeys.send("DAR-0101", IcpcHeld(event_id="icpc-1", held_on=conference, decision="plan",
                                                   category="neglect"))
    await world.journeys.send("DAR-0102", ConferenceNotRequired(
        event_id="nr-1", decided_on=conference, decided_by="team_manager",
        reasons="The enquiry found the injury was accidental; family support offered"))

    async def facts_kept() -> bool:
        facts = {one.case_ref: one for one in read_facts(world.engine, profile_id="darlington")}
        return (facts.get("DAR-0101") is not None and facts["DAR-0101"].plan is not None
                and facts.get("DAR-0102") is not None and facts["DAR-0102"].icpc_not_required_on is not None)
    await eventually(facts_kept)
    year = conference.year + (1 if conference.month >= 4 else 0)  # the census year the conference is in

    monkeypatch.setenv("CPJ_DATABASE_URL", str(world.engine.url))
    out = tmp_path / "census.xml"
    result = await asyncio.to_thread(cpj, "census", "--year", str(year), "--authority", "darlington", "--out", str(out))
    assert result.exit_code == 0, result.output
    message = ElementTree.parse(out).getroot()
    assert message.findtext("Header/Source/LEA") == "841"
    assert message.findtext("Header/CollectionDetails/ReferenceDate") == f"{year}-03-31"
    children = {child.findtext("ChildIdentifiers/LAchildID"): child for child in message.findall("Children/Child")}
    assert set(children) == {"DAR-0101", "DAR-0102"}
    on_plan = children["DAR-0101"].find("CINdetails")
    assert on_plan.findtext("Section47/S47ActualStartDate") == began.isoformat()
    assert on_plan.findtext("Section47/DateOfInitialCPC") == conference.isoformat()
    assert on_plan.findtext("ChildProtectionPlans/CPPstartDate") == conference.isoformat()
    assert on_plan.findtext("ChildProtectionPlans/InitialCategoryOfAbuse") == "NEG"
    assert on_plan.findtext("ChildProtectionPlans/NumberOfPreviousCPP") == "0"
    assert children["DAR-0102"].findtext("CINdetails/Section47/ICPCnotRequired") == "true"

    web = await signed_in_as(MANAGER, journeys=no_temporal)
    page = await web.get("/census", params={"year": year, "authority": "darlington"})
    assert page.status_code == 200
    assert "The return passes its rules" in page.text and "2 children" in page.text
    download = await web.get("/census.xml", params={"year": year, "authority": "darlington"})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/xml")
    assert download.headers["content-disposition"] == f'attachment; filename="cin-census-{year}-841.xml"'
    downloaded = ElementTree.fromstring(download.content)
    downloaded_children = downloaded.findall("Children/Child")
    assert {child.findtext("ChildIdentifiers/LAchildID") for child in downloaded_children} == set(children)


# -- A return that fails -----------------------------------------------------------------------------------


def keep_facts(engine, *journeys: JourneyFacts) -> None:
    with Session(engine) as session:
        for facts in journeys:
            session.add(CaseFactsRow(journey=facts.journey, case_ref=facts.case_ref, profile_id=facts.profile_id,
                                     team=facts.team, facts=to_json(facts), updated_at=datetime.now(UTC)))
        session.commit()


def journey(case_ref: str, *, profile_id: str = "darlington", s47: date | None, icpc: date | None,
            plan: PlanFacts | None = None) -> JourneyFacts:
    return JourneyFacts(journey=f"cpj-{case_ref}", case_ref=case_ref, workflow_id=f"cpj-{case_ref}",
                        profile_id=profile_id, authority=profile_id.title(), policy=f"{profile_id}@2026.1",
                        calendar_version=None, team=None, lead_social_worker=None, opened_by="strategy_discussion",
                        opened_on=s47, section_47_started_on=s47, icpc_on=icpc, plan=plan)


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The records database the app and the command line read (the one the signed-in clients use)."""
    url = f"sqlite:///{tmp_path / 'records.db'}"
    monkeypatch.setenv("CPJ_DATABASE_URL", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def a_late_plan(records) -> None:
    """DAR-0201's plan starts the day after its conference and has no latest category; DAR-0202's is right."""
    keep_facts(records,
               journey("DAR-0201", s47=date(2025, 6, 2), icpc=date(2025, 6, 23),
                       plan=PlanFacts(started_on=date(2025, 6, 24), started_by="icpc", initial_category="neglect",
                                      latest_category=None)),
               journey("DAR-0202", s47=date(2025, 6, 2), icpc=date(2025, 6, 23),
                       plan=PlanFacts(started_on=date(2025, 6, 23), started_by="icpc",
                                      initial_category="sexual_abuse", latest_category="sexual_abuse")))


def test_the_command_line_lists_every_failure_per_child_and_writes_nothing(a_late_plan, tmp_path: Path) -> None:
    out = tmp_path / "census.xml"
    result = cpj("census", "--year", "2026", "--authority", "darlington", "--out", str(out))
    assert result.exit_code == 1
    assert not out.exists()
    lines = result.stderr.splitlines()
    assert "DAR-0201" in lines and "DAR-0202" not in lines
    assert ("  2885 (fails): The plan starts on 24 June 2025, not on the day of an initial conference "
            "(held: 23 June 2025)") in lines
    assert "  8910 (fails): The plan starting 24 June 2025 has no latest category of abuse" in lines
    assert "Not written: 2 failures" in result.stderr


def test_a_return_is_one_authority_s_so_with_several_recorded_one_is_chosen(records, tmp_path: Path) -> None:
    keep_facts(records, journey("DAR-0301", s47=date(2025, 6, 2), icpc=None),
               journey("STA-0301", profile_id="staffordshire", s47=date(2025, 6, 2), icpc=None))
    refused = cpj("census", "--year", "2026")
    assert refused.exit_code == 2
    assert "a return is one authority's: choose one (darlington, staffordshire)" in refused.stderr
    chosen = cpj("census", "--year", "2026", "--authority", "staffordshire")
    assert chosen.exit_code == 0, chosen.stderr
    assert "<LAchildID>STA-0301</LAchildID>" in chosen.stdout and "DAR-0301" not in chosen.stdout


async def test_the_admin_tool_shows_the_failures_per_child_and_keeps_the_file_back(
    a_late_plan, signed_in_as: Callable[..., Awaitable[httpx.AsyncClient]],
) -> None:
    web = await signed_in_as(MANAGER, journeys=no_temporal)
    page = await web.get("/census", params={"year": "2026", "authority": "darlington"})
    assert page.status_code == 200
    assert "2 failures of the rules" in page.text
    assert 'href="/journeys/DAR-0201"' in page.text and "/journeys/DAR-0202" not in page.text
    assert "The plan starts on 24 June 2025, not on the day of an initial conference" in page.text
    assert "/census.xml" not in page.text
    kept_back = await web.get("/census.xml", params={"year": "2026", "authority": "darlington"})
    assert kept_back.status_code == 409
    assert "2 failures of the rules" in kept_back.text


async def test_the_form_says_what_is_wrong_with_a_year_or_an_authority(
    records, signed_in_as: Callable[..., Awaitable[httpx.AsyncClient]],
) -> None:
    web = await signed_in_as(MANAGER, journeys=no_temporal)
    blank = await web.get("/census")
    assert blank.status_code == 200 and 'name="year"' in blank.text
    wrong = await web.get("/census", params={"year": "26", "authority": "nowhere"})
    assert wrong.status_code == 422
    assert "Enter the census year as 4 digits" in wrong.text
    assert "Choose the authority whose return this is" in wrong.text


@pytest.mark.parametrize("role", [Role.TEAM_MANAGER, Role.LEAD_SOCIAL_WORKER, Role.SUPERVISOR])
async def test_only_service_managers_and_administrators_make_the_return(
    records, role: Role, signed_in_as: Callable[..., Awaitable[httpx.AsyncClient]],
) -> None:
    web = await signed_in_as(role, journeys=no_temporal)
    assert (await web.get("/census", params={"year": "2026", "authority": "darlington"})).status_code == 403
    assert (await web.get("/census.xml", params={"year": "2026", "authority": "darlington"})).status_code == 403


def test_the_latest_census_year_is_the_one_whose_31_march_has_passed() -> None:
    assert latest_census_year(date(2026, 3, 31)) == 2025
    assert latest_census_year(date(2026, 4, 1)) == 2026
    assert latest_census_year(date(2026, 11, 26)) == 2026
