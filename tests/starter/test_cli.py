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
