"""The policy pin: a journey's input names a released profile, id@version#digest, not the profile itself."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.calendars import FIRST_VERSION, SHIPPED, latest_version
from domain.conference import ConferenceKind, ConferenceStart
from domain.events import StrategyDiscussion
from domain.released import PolicyPinError, canonical, pinned, release_of, resolve
from domain.state import JourneyStart
from shipped.profiles import load_profile, profile_ids
from shipped.released import RELEASED, load, snapshot_path

OPENING = StrategyDiscussion(event_id="sd-1", held_on=date(2026, 11, 20), initiated_section_47=True)


@pytest.mark.parametrize("profile_id", profile_ids())
def test_every_profile_is_released_as_it_reads_now(profile_id: str) -> None:
    profile = load_profile(profile_id)
    released = RELEASED.get(profile.pin)
    assert released is not None, (
        f"{profile.pin} has never been released: run .venv/bin/python scripts/release_profiles.py and commit "
        f"{snapshot_path(profile).name}")
    assert canonical(released.profile) == canonical(profile), (
        f"{profile_id} (or the profile it extends) was edited but {profile.pin} was released with other "
        "content: raise its version, then run .venv/bin/python scripts/release_profiles.py "
        "(a released snapshot is never overwritten)")


def test_an_edited_profile_is_not_the_release_of_its_version() -> None:
    sefton = load_profile("sefton")
    icpc = sefton.rules["icpc_within"].model_copy(update={"amount": 10})
    edited = sefton.model_copy(update={"rules": {**sefton.rules, "icpc_within": icpc}})
    assert release_of(sefton) is not None
    assert release_of(edited) is None
    assert pinned(edited) == {"profile": edited}  # passed on whole, never swapped for the release


def test_a_journey_input_carries_the_pin_not_the_profile() -> None:
    darlington = load_profile("darlington")
    start = JourneyStart(case_ref="DAR-2026-0042", strategy_discussion=OPENING, **pinned(darlington))
    assert start.profile is None
    assert start.policy == f"darlington@{darlington.version}#{RELEASED[darlington.pin].digest}"
    assert start.calendar_version == latest_version()
    assert start.resolve_profile() == darlington
    assert len(start.model_dump_json()) < len(darlington.model_dump_json()) / 10


def test_the_calendar_version_is_not_part_of_the_pin() -> None:
    darlington = load_profile("darlington")
    first = darlington.model_copy(update={"calendar_version": FIRST_VERSION})
    assert pinned(first)["policy"] == pinned(darlington)["policy"]
    assert resolve(pinned(first)["policy"]).calendar_version == FIRST_VERSION


def test_an_input_recorded_before_pins_still_parses_and_runs_on_its_own_profile() -> None:
    history = Path(__file__).parents[1] / "histories" / "icpc_plan_on_time.json"
    started = json.loads(history.read_text())["events"][0]["workflowExecutionStartedEventAttributes"]
    recorded = json.loads(base64.b64decode(started["input"]["payloads"][0]["data"]))
    start = JourneyStart.model_validate(recorded)
    assert start.policy is None and start.resolve_profile() == start.profile
    assert start.resolve_profile().calendar_version == FIRST_VERSION


def test_an_input_names_its_policy_exactly_once() -> None:
    darlington = load_profile("darlington")
    with pytest.raises(ValidationError, match="exactly one"):
        JourneyStart(case_ref="DAR-2026-0042", strategy_discussion=OPENING)
    with pytest.raises(ValidationError, match="exactly one"):
        JourneyStart(case_ref="DAR-2026-0042", strategy_discussion=OPENING, profile=darlington,
                     policy=pinned(darlington)["policy"])


def test_a_pin_that_does_not_match_its_release_is_refused_clearly() -> None:
    pin = pinned(load_profile("darlington"))["policy"]
    tampered = pin[:-4] + ("0000" if not pin.endswith("0000") else "1111")
    with pytest.raises(PolicyPinError, match="does not match the released snapshot of darlington@"):
        resolve(tampered)
    with pytest.raises(PolicyPinError, match="no released profile darlington@1999.9"):
        resolve("darlington@1999.9#0123456789abcdef")
    with pytest.raises(ValidationError, match="does not match the released snapshot"):
        ConferenceStart(conference_ref="ICPC-0001", kind=ConferenceKind.INITIAL, case_refs=["DAR-2026-0042"],
                        policy=tampered, requested_on=date(2026, 11, 20), meeting_on=date(2026, 12, 10),
                        chair_ref="S1234", booked_by_event="cb-1")


def test_a_snapshot_changed_after_its_release_is_refused(tmp_path: Path) -> None:
    darlington = load_profile("darlington")
    document = json.loads(snapshot_path(darlington).read_text())
    document["profile"]["rules"]["icpc_within"]["amount"] = 10
    changed = tmp_path / snapshot_path(darlington).name
    changed.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="changed after its release"):
        load(changed)


def test_a_journey_continuing_as_new_keeps_the_calendar_it_was_moved_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SHIPPED, "england-9999.21", SHIPPED[latest_version()])
    moved = load_profile("darlington").model_copy(update={"calendar_version": "england-9999.21"})
    next_run = JourneyStart(case_ref="DAR-2026-0042", strategy_discussion=OPENING, **pinned(moved))
    assert next_run.resolve_profile() == moved

    # A journey started before pins, on a profile its version was later released with other content.
    older = moved.model_copy(update={"description": "as it read when the journey started"})
    next_run = JourneyStart(case_ref="DAR-2026-0042", strategy_discussion=OPENING, **pinned(older))
    assert next_run.profile == older and next_run.resolve_profile() == older
