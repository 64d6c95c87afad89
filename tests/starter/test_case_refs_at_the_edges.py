"""A case reference that could carry a child's identity is refused at every door, before Temporal hears of it.

``SMITH-01011985`` (a surname and a date of birth) would become a workflow id, a search attribute and a
line in every log: the API, the admin tool's form, the command line, the import and the client itself
refuse it, and a reference of another shape than the authority's case system issues, in words that
never repeat what was typed. No journey is started.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.case_refs import CaseRefRefused
from domain.complaints import ComplaintMade
from domain.events import StrategyDiscussion
from starter.cli import app
from starter.client import JourneyNotFound
from starter.identity import Actor
from starter.imports import ImportStore, new_run_id, run_import
from starter.roles import Role
from tests.conftest import JourneyWorld

DATE_OF_BIRTH = "SMITH-01011985"
NAME = "JSMITH-0042"
#: Eight digits: more than Darlington's case system issues (4 to 7), though a harmless reference.
NOT_DARLINGTONS = "DAR-12345678"
OPS = Actor(kind="person", ref="OPS-0001", roles=frozenset({Role.OPERATIONS_STAFF}))


async def no_journey_for(world: JourneyWorld, *case_refs: str) -> None:
    for case_ref in case_refs:
        with pytest.raises(JourneyNotFound):
            await world.journeys.state(case_ref)


async def test_the_api_refuses_a_date_of_birth_and_another_authoritys_shape_with_422_in_words(
    signed_in_as, world: JourneyWorld
) -> None:
    web = await signed_in_as(Role.OPERATIONS_STAFF)
    today = (await world.today()).isoformat()
    answers = {}
    for case_ref in (DATE_OF_BIRTH, NOT_DARLINGTONS):
        answers[case_ref] = await web.post("/api/journeys", json={
            "case_ref": case_ref, "policy": "darlington",
            "strategy_discussion": {"event_id": "sd-1", "held_on": today, "initiated_section_47": True}})

    refused = answers[DATE_OF_BIRTH]
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("the case reference looks like a date of birth")
    assert "01011985" not in refused.text and "SMITH" not in refused.text
    other = answers[NOT_DARLINGTONS]
    assert other.status_code == 422
    assert "is not one Darlington's case system issues: 2 to 4 capital letters" in other.json()["detail"]
    assert "for example DAR-2026-0042" in other.json()["detail"]
    await no_journey_for(world, DATE_OF_BIRTH, NOT_DARLINGTONS)


async def test_the_start_form_refuses_a_name_beside_the_question_under_the_chosen_authority(
    signed_in_as, world: JourneyWorld
) -> None:
    web = await signed_in_as(Role.OPERATIONS_STAFF)
    held = await world.today()
    form = {"type": "strategy_discussion", "policy": "darlington", "initiated_section_47": "yes",
            "strategy_discussion-day": str(held.day), "strategy_discussion-month": str(held.month),
            "strategy_discussion-year": str(held.year)}

    named = await web.post("/journeys", data={**form, "case_ref": NAME})
    assert named.status_code == 422
    assert '<p id="case_ref-error" class="govuk-error-message">' in named.text
    assert "The case reference looks like a name: a case reference is the case system&#39;s number" in named.text
    shaped = await web.post("/journeys", data={**form, "case_ref": NOT_DARLINGTONS})
    assert shaped.status_code == 422 and "is not one Darlington&#39;s case system issues" in shaped.text
    await no_journey_for(world, NAME, NOT_DARLINGTONS)


async def test_the_client_refuses_before_any_workflow_id_is_made(world: JourneyWorld) -> None:
    today = await world.today()
    opening = StrategyDiscussion(event_id="sd-1", held_on=today, initiated_section_47=True)
    with pytest.raises(CaseRefRefused, match="looks like a date of birth"):
        await world.journeys.start(DATE_OF_BIRTH, "staffordshire", opening)
    complaint = ComplaintMade(event_id="cmp-1", received_on=today - timedelta(days=1), complainant="parent",
                              about=["conference_process"])
    with pytest.raises(CaseRefRefused, match="looks like a name"):
        await world.journeys.start_complaint("CMP-0001", NAME, complaint)
    await no_journey_for(world, DATE_OF_BIRTH)


async def test_an_import_refuses_rows_whose_reference_is_a_name_or_not_the_authoritys_shape(
    world: JourneyWorld
) -> None:
    text = "\n".join([
        "case_ref,policy,on_plan_since,category,last_review,last_visit,last_core_group,lead_social_worker,team",
        f"{NAME},darlington,2026-03-02,neglect,,,,SW-1042,",
        f"{NOT_DARLINGTONS},darlington,2026-03-02,neglect,,,,SW-1042,",
        "DAR-2026-0042,darlington,2026-03-02,neglect,,,,SW-1042,",
        "",
    ])
    store = ImportStore(world.engine)
    run_id = new_run_id()
    store.begin(run_id, OPS.recorded_as, "cli", True)
    run = await run_import(text, world.journeys, store, OPS, run_id, via="cli", dry_run=True)
    rows = {row.row: row for row in store.rows(run_id)}

    assert (run.total, run.refused) == (3, 2)
    assert rows[2].outcome == "refused" and rows[2].case_ref is None
    assert "looks like a name" in rows[2].reason and "SMITH" not in rows[2].reason
    assert rows[3].outcome == "refused" and "is not one Darlington's case system issues" in rows[3].reason
    assert rows[4].outcome == "would_start"


def test_the_command_line_refuses_before_connecting_to_temporal() -> None:
    runner = CliRunner()
    started = runner.invoke(app, ["journey", "start", DATE_OF_BIRTH, "--policy", "darlington",
                                  "--strategy-discussion", "2026-11-20"])
    assert started.exit_code == 2
    assert "error: the case reference looks like a date of birth" in started.output
    assert "01011985" not in started.output
    shaped = runner.invoke(app, ["journey", "start", NOT_DARLINGTONS, "--policy", "darlington",
                                 "--strategy-discussion", "2026-11-20"])
    assert shaped.exit_code == 2 and "is not one Darlington's case system issues" in shaped.output
    complained = runner.invoke(app, ["complaint", "start", NAME, "CMP-0001", "--received-on", "2026-11-20",
                                     "--by", "parent", "--about", "conference_process"])
    assert complained.exit_code == 2 and "looks like a name" in complained.output


def test_the_readme_shows_each_authoritys_case_reference_as_the_profiles_state_it() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    copy = readme.split("<!-- case-references -->\n", 1)[1].split("<!-- /case-references -->", 1)[0]
    printed = CliRunner().invoke(app, ["policy", "case-references", "--markdown"])
    assert printed.exit_code == 0, printed.output
    assert copy == printed.stdout, (
        "regenerate the README's table: .venv/bin/cpj policy case-references --markdown")
    assert "| Darlington | 2 to 4 capital letters" in copy and "DAR-2026-0042" in copy
