"""``cpj`` answers scripts plainly: an ISO date, a table, or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from domain.policy import KNOWN_RULES
from shipped.profiles import load_profile
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
    assert out.rstrip().endswith("(Darlington procedures, Initial Child Protection Conference)")
    assert ".txt" not in out


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
    assert "first_core_group" in shown and "Staffordshire procedures (Part 6), Core Group Processes, paragraph 8" in shown
    assert ".txt" not in shown
    # Scripts and developers still find the text by its file name.
    sefton = json.loads(cpj("policy", "show", "sefton", "--json"))
    assert sefton["id"] == "sefton"
    assert sefton["rules"]["first_review"]["citation"]["source"] == "003_c63ac49730346b0c.txt"


def test_a_procedures_officer_can_check_darlington_readings_line_by_line() -> None:
    lines = cpj("policy", "readings", "darlington").splitlines()
    assert lines[0].startswith("darlington@") and "Darlington" in lines[0]
    icpc = next(line for line in lines if line.startswith(KNOWN_RULES["icpc_within"]))
    assert icpc.startswith(f"{KNOWN_RULES['icpc_within']}: 15 working days after | "
                           "Darlington procedures, Initial Child Protection Conference | \"The ICPC should take place "
                           "within 15 working days of the strategy discussion")
    assert icpc.endswith("| as written")
    transfer = next(line for line in lines if line.startswith(KNOWN_RULES["transfer_in_conference_within"]))
    assert transfer.endswith("| Anchor is the agreement between the two authorities, not the date of the move.")
    profile = load_profile("darlington")
    assert len(lines) == 1 + len(profile.rules) + len(profile.options)
    assert ".txt" not in "\n".join(lines)


def test_the_readings_as_a_markdown_table_and_as_json() -> None:
    table = cpj("policy", "readings", "darlington", "--markdown").splitlines()
    assert table[0] == "| What it measures | Timescale | Where | What it says | Our reading |"
    assert table[1] == "|---|---|---|---|---|"
    assert all(row.startswith("| ") and row.endswith(" |") and row.count(" | ") == 4 for row in table[2:])
    payload = json.loads(cpj("policy", "readings", "birmingham", "--json"))
    icpc = next(row for row in payload["readings"] if row["rule"] == "icpc_within")
    assert (icpc["document"], icpc["section"], icpc["source"]) == (
        "Birmingham procedures (Section 6)", "3.2", "001_44af8c5cc8068718.txt")
    traced = next(row for row in payload["readings"] if row["rule"] == "missing_child_traced")
    assert traced["inherited_from"] == "working-together-2023"
    assert traced["reading"].startswith("not from this authority's procedure")


def test_the_readme_shows_darlington_readings_as_the_command_prints_them() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    copy = readme.split("<!-- readings: darlington -->\n", 1)[1].split("<!-- /readings -->", 1)[0]
    assert copy == cpj("policy", "readings", "darlington", "--markdown"), (
        "regenerate the README's table: .venv/bin/cpj policy readings darlington --markdown")


def test_the_readme_lists_every_reading_other_than_as_written_in_one_table() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    copy = readme.split("<!-- noted-readings -->\n", 1)[1].split("<!-- /noted-readings -->", 1)[0]
    assert copy == cpj("policy", "noted-readings", "--markdown"), (
        "regenerate the README's table: .venv/bin/cpj policy noted-readings --markdown")
    # Birmingham 8.6's "14 days" is read as calendar days: an officer finds the sentence and the reading.
    assert "informally within 14 days" in copy and "calendar days" in copy
    assert "as written" not in copy and "seed 0" not in copy.lower()


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
    out = cpj("journey", "list", "--stage", "on_plan", "--overdue", "--policy", "darlington", "--page-size", "1",
              "--team", "Locality North", "--lead-social-worker", "SW-1042", "--case-ref", "DAR-2026")
    assert "DAR-2026-0101" in out
    assert out.splitlines()[-1] == "more: --page-token -tok_2"
    assert journeys.asked == {"stage": "on_plan", "overdue": True, "policy": "darlington", "page_size": 1,
                              "page_token": None, "team": "Locality North", "lead_social_worker": "SW-1042",
                              "case_ref": "DAR-2026"}

    cpj("journey", "list", "--page-size", "1", "--page-token", "-tok_2")
    assert journeys.asked["page_token"] == "-tok_2"
    assert json.loads(cpj("journey", "list", "--json"))["next_page_token"] == "-tok_2"

    assert "the journeys worker is not answering" in refused("journey", "show", "DAR-2026-0101")


def test_a_script_can_learn_every_event_and_send_its_example_as_it_is() -> None:
    from pydantic import TypeAdapter

    from domain.events import EVENT_TYPES, JourneyEvent

    rows = json.loads(cpj("journey", "event-types", "--json"))
    assert [row["type"] for row in rows] == list(EVENT_TYPES)
    visit = next(row for row in rows if row["type"] == "visit_made")
    assert (visit["title"], visit["date_field"]) == ("Visit", "visited_on")
    for row in rows:  # each example is an event the API and `cpj journey event` accept as it stands
        TypeAdapter(JourneyEvent).validate_python(row["example"])


def test_a_complaint_with_a_name_for_its_reference_or_complainant_is_refused_before_temporal() -> None:
    said = refused("complaint", "start", "CASE-0042", "Jane Smith", "--received-on", "2026-11-20", "--by", "parent",
                   "--about", "plan_decision")
    assert "'Jane Smith' is not a complaint reference" in said
    said = refused("complaint", "start", "CASE-0042", "CMP-0001", "--received-on", "2026-11-20", "--by", "Jane Smith",
                   "--about", "plan_decision")
    assert said.startswith("error: complainant: Input should be 'child', 'parent'")
    said = refused("complaint", "disagree", "CASE-0042", "DIS-0001", "--received-on", "2026-11-20",
                   "--about", "conference_outcome", "--raised-by", "neighbour")
    assert "raised_by: Input should be 'agency', 'professional' or 'conference_chair'" in said
    said = refused("complaint", "event", "CMP-0001", '{"type": "visit_made", "event_id": "v-1"}')
    assert "does not match any of the expected tags" in said and "service_manager_responded" in said


def test_a_script_can_learn_every_complaint_event_and_send_its_example_as_it_is() -> None:
    from pydantic import TypeAdapter

    from domain.complaints import COMPLAINT_EVENT_TYPES, ComplaintEvent

    rows = json.loads(cpj("complaint", "event-types", "--json"))
    assert [row["type"] for row in rows] == list(COMPLAINT_EVENT_TYPES)
    for row in rows:
        TypeAdapter(ComplaintEvent).validate_python(row["example"])
