"""Staff, parents and letters read the procedure's name, never the file it is kept in.

Every timescale cites a source file (``Citation.source``) so a developer can find the sentence; what
people read (a deadline's reason, a letter, a refusal) names the document and section instead:
"Darlington procedures, Initial Child Protection Conference", not "000_7f04eaf80fcc0ebe.txt".
"""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from domain import conference, plan
from domain.conference import ConferenceKind, ConferenceStart, ConferenceState
from domain.deadlines import KINDS, icpc_deadline, plan_deadlines, transfer_in_deadline
from domain.events import IcpcHeld
from domain.policy import DOCUMENT_NAMES, SEED_FILE_PATTERN
from domain.state import JourneyState, Stage
from shipped.profiles import load_profile, profile_ids

ROOT = Path(__file__).resolve().parents[2]
#: A seed file's name anywhere in a text, or a developer's shorthand for one ("seed 000", "seeds 001, 003").
FILE_WORDS = re.compile(r"\d{3}_[0-9a-f]{16}\.txt|\bseeds? \d{3}\b", re.IGNORECASE)
DISCUSSION = date(2027, 1, 12)
MEETING = date(2027, 1, 27)


def reasons_a_journey_and_its_conferences_give(profile_id: str) -> list[str]:
    profile = load_profile(profile_id)
    rows = [icpc_deadline(profile, DISCUSSION), icpc_deadline(profile, DISCUSSION, date(2027, 3, 1)),
            *plan_deadlines(profile, MEETING)]
    if "transfer_in_conference_within" in profile.rules:
        rows.append(transfer_in_deadline(profile, DISCUSSION))
    unborn = JourneyState(case_ref="CASE-0001", policy=profile.pin, stage=Stage.AWAITING_ICPC,
                          expected_delivery=date(2027, 2, 1))
    plan.start_plan(unborn, profile, IcpcHeld(event_id="i", held_on=MEETING, decision="plan", category="neglect"))
    rows += unborn.deadlines
    for kind in ConferenceKind:
        start = ConferenceStart(conference_ref="ICPC-0001", kind=kind, case_refs=["CASE-0001"], profile=profile,
                                requested_on=DISCUSSION, meeting_on=MEETING, chair_ref="CPC-0042",
                                booked_by_event="book-1")
        state = ConferenceState(conference_ref="ICPC-0001", kind=kind, case_refs=["CASE-0001"], policy=profile.pin,
                                meeting_on=MEETING)
        conference.open_convening(state, profile, start)
        rows += state.deadlines
    return [row.reason for row in rows]


@pytest.mark.parametrize("profile_id", profile_ids())
def test_no_deadline_reason_names_a_file(profile_id: str) -> None:
    reasons = reasons_a_journey_and_its_conferences_give(profile_id)
    assert len(reasons) > 5
    assert [reason for reason in reasons if FILE_WORDS.search(reason)] == []


def test_the_darlington_icpc_reason_names_the_procedure_and_its_section() -> None:
    reason = icpc_deadline(load_profile("darlington"), DISCUSSION).reason
    assert reason.endswith("(Darlington procedures, Initial Child Protection Conference)")


def test_the_citation_keeps_the_file_for_whoever_checks_the_text() -> None:
    citation = load_profile("darlington").rule("icpc_within").citation
    assert citation.source == "000_7f04eaf80fcc0ebe.txt"
    assert citation.document == "Darlington procedures"


@pytest.mark.parametrize("profile_id", profile_ids())
def test_every_source_a_profile_cites_has_a_name_for_people(profile_id: str) -> None:
    profile = load_profile(profile_id)
    cited = {rule.citation.source for rule in profile.rules.values()}
    cited |= {option.citation.source for option in profile.options.values()}
    assert cited <= set(DOCUMENT_NAMES), cited - set(DOCUMENT_NAMES)


def test_what_escalations_and_reminders_advise_names_no_file() -> None:
    said = [text for kind in KINDS.values() for text in (kind.label, kind.advice)]
    assert [text for text in said if FILE_WORDS.search(text)] == []
    # Advice is the same for every authority; the reason beside it names the procedure that set the deadline.
    assert [kind.advice for kind in KINDS.values() if any(name in kind.advice for name in DOCUMENT_NAMES.values())] == []


def _strings_people_may_read(path: Path) -> list[tuple[int, str]]:
    """Every string literal in a module except docstrings (a bare string statement is for developers)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


CODE = sorted(path for folder in ("domain", "shipped", "workflows", "activities", "starter")
              for path in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", CODE, ids=[str(path.relative_to(ROOT)) for path in CODE])
def test_no_message_letter_or_label_in_the_code_names_a_seed_file(path: Path) -> None:
    # A bare file name is citation data (the mapping to a document's name); inside a sentence it reaches people.
    found = [(line, text) for line, text in _strings_people_may_read(path)
             if FILE_WORDS.search(text) and not SEED_FILE_PATTERN.fullmatch(text)]
    assert found == []


def test_the_code_scan_would_see_a_seed_number_in_a_message(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text('"""Seed 000 is fine here."""\n\nMESSAGE = f"{1}: Seed 000: inform the line manager"\n')
    assert [text for _, text in _strings_people_may_read(module) if FILE_WORDS.search(text)] == [
        ": Seed 000: inform the line manager"]
