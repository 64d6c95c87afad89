"""``cpj`` answers scripts plainly: an ISO date, a table, or JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from starter.cli import app

runner = CliRunner()


def cpj(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_add_working_days_prints_the_iso_date_only() -> None:
    assert cpj("calendar", "add-working-days", "2026-12-17", "15") == "2027-01-12\n"


def test_deadlines_explain_the_icpc_date_over_christmas() -> None:
    out = cpj("deadlines", "--policy", "darlington", "--strategy-discussion", "2026-12-17")
    assert out.startswith("ICPC due by 2027-01-12: 15 working days after 2026-12-17, skipping 25 Dec, "
                          "28 Dec (Boxing Day observed), 1 Jan")
    assert "000_7f04eaf80fcc0ebe.txt" in out


def test_deadlines_as_json_for_machines() -> None:
    payload = json.loads(cpj("deadlines", "--policy", "birmingham", "--strategy-discussion", "2026-12-17", "--json"))
    assert payload["due"] == "2027-01-12"
    assert payload["rule"] == "icpc_within"
    assert payload["policy"].startswith("birmingham@")


def test_policy_list_and_show() -> None:
    listing = cpj("policy", "list")
    assert "darlington" in listing and "working-together-2023" in listing
    ids = {row["id"] for row in json.loads(cpj("policy", "list", "--json"))}
    assert {"darlington", "birmingham", "staffordshire", "sefton", "local-guide"} <= ids
    shown = cpj("policy", "show", "staffordshire")
    assert "icpc_within" in shown and "002_a2ea61cae8fecd8a.txt" in shown
    assert json.loads(cpj("policy", "show", "sefton", "--json"))["id"] == "sefton"


def test_an_unknown_policy_is_a_clear_error() -> None:
    result = runner.invoke(app, ["deadlines", "--policy", "atlantis", "--strategy-discussion", "2026-12-17"])
    assert result.exit_code == 2
    assert "no policy profile 'atlantis'" in result.output


def refused(*args: str) -> str:
    """What ``cpj`` says when it refuses: one line on stderr, exit code 2, no traceback."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: "), result.stderr
    return result.stderr


def test_a_name_for_a_case_reference_is_refused_before_any_journey_starts() -> None:
    said = refused("journey", "start", "Jane Smith", "--policy", "darlington", "--strategy-discussion", "2026-11-20")
    assert "'Jane Smith' is not a case reference" in said


def test_a_conferences_id_is_not_a_case_reference() -> None:
    said = refused("journey", "event", "conf-CONF-1234",
                   '{"type": "child_missing", "event_id": "m-1", "reported_on": "2026-11-20"}')
    assert "'conf-CONF-1234' is not a case reference" in said
    assert "is not a conference reference" in refused("conference", "show", "conf-ICPC-0200")


def test_a_journey_on_a_policy_that_does_not_exist_is_refused() -> None:
    said = refused("journey", "start", "CASE-0042", "--policy", "leeds", "--strategy-discussion", "2026-11-20")
    assert "no policy profile 'leeds'" in said
    said = refused("journey", "transfer-in", "CASE-0042", "--policy", "leeds", "--agreed-on", "2026-11-20",
                   "--from", "Leeds City Council", "--category", "neglect")
    assert "no policy profile 'leeds'" in said


def test_a_strategy_discussion_outside_the_calendar_is_refused() -> None:
    said = refused("journey", "start", "CASE-0042", "--policy", "darlington", "--strategy-discussion", "1899-12-31")
    assert said == "error: held_on: 1899-12-31 is outside the days the calendar can count from (2001-01-01 to 2099-12-31)\n"


def test_counting_past_the_calendars_last_year_is_refused() -> None:
    assert "outside the calendar's years" in refused("calendar", "add-working-days", "2100-12-31", "3")
    assert "outside the calendar's years" in refused("deadlines", "--policy", "darlington",
                                                     "--strategy-discussion", "2100-12-31")


def test_an_event_with_a_nul_or_from_a_missing_file_is_refused() -> None:
    said = refused("journey", "event", "CASE-0042", '{"type": "transfer_out_notified", "event_id": "t-1", '
                   '"notified_on": "2026-11-20", "receiving_authority": "Leeds\\u0000"}')
    assert "transfer_out_notified.receiving_authority: control characters are not allowed (found U+0000)" in said
    assert "cannot read the event from @/no/such/file.json" in refused("journey", "event", "CASE-0042",
                                                                      "@/no/such/file.json")


class OnePageOfMany:
    """Journeys as the CLI sees them: a first page with more after it, and a worker that is away."""

    def __init__(self) -> None:
        self.asked: dict = {}

    async def list(self, **filters):
        from starter.client import JourneyPage, JourneySummary

        self.asked = filters
        row = JourneySummary(case_ref="DAR-2026-0101", workflow_id="cpj-DAR-2026-0101", status="running",
                             stage="on_plan", policy="darlington@1", next_deadline=None, next_deadline_kind=None,
                             overdue=True)
        return JourneyPage([row], next_page_token="-tok_2")

    async def state(self, case_ref: str):
        from starter.client import WorkerUnavailable

        raise WorkerUnavailable("the journeys worker is not answering (...); nothing was lost, try again")


def test_a_listing_says_how_to_get_the_next_page_and_an_absent_worker_is_a_clear_error(monkeypatch) -> None:
    journeys = OnePageOfMany()

    async def fake_journeys():
        return journeys

    monkeypatch.setattr("starter.cli._journeys", fake_journeys)
    out = cpj("journey", "list", "--stage", "on_plan", "--overdue", "--policy", "darlington", "--page-size", "1")
    assert "DAR-2026-0101" in out
    assert out.splitlines()[-1] == "more: --page-token -tok_2"
    assert journeys.asked == {"stage": "on_plan", "overdue": True, "policy": "darlington", "page_size": 1,
                              "page_token": None}

    cpj("journey", "list", "--page-size", "1", "--page-token", "-tok_2")
    assert journeys.asked["page_token"] == "-tok_2"
    assert json.loads(cpj("journey", "list", "--json"))["next_page_token"] == "-tok_2"

    assert "the journeys worker is not answering" in refused("journey", "show", "DAR-2026-0101")
