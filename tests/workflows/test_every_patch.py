"""One marker answers for the patches made before it in a run begun with it (``workflows.keeping.STANDS_FOR``).

A new journey records one instead of a marker and a ``TemporalChangeVersion`` upsert for each patch. A
marker must never answer for a patch made after it: a run begun with it ran without that change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.legacy import RULES_FROM_PROFILE_PATCH
from workflows.journey import CHALLENGES_PATCH, PLAN_STAGE_PATCH
from workflows.keeping import (
    BEFORE_EVERY_PATCH,
    EVERY_PATCH,
    EVERY_PATCH_B,
    RECORDS_AFTER_STATE_PATCH,
    STANDS_FOR,
    DeadlineKeeping,
)

HISTORIES = Path(__file__).parents[1] / "histories"


def test_every_patch_stands_only_for_the_patches_made_before_it() -> None:
    assert {RULES_FROM_PROFILE_PATCH, PLAN_STAGE_PATCH, CHALLENGES_PATCH} <= BEFORE_EVERY_PATCH
    assert STANDS_FOR[EVERY_PATCH] == BEFORE_EVERY_PATCH  # it was recorded before records-after-state existed
    assert STANDS_FOR[EVERY_PATCH_B] == BEFORE_EVERY_PATCH | {RECORDS_AFTER_STATE_PATCH}
    assert list(STANDS_FOR) == [EVERY_PATCH_B, EVERY_PATCH]  # the newest asked first
    with pytest.raises(ValueError, match="newer than every-patch"):
        DeadlineKeeping()._patched("a-change-made-later")


@pytest.mark.parametrize(("recorded", "patch_markers"), [
    ("icpc_not_required.lean.json", 5),  # recorded before it: a marker (and an upsert) for each patch
    ("icpc_not_required.every.json", 1),
    ("icpc_not_required.durable.json", 1),
])
def test_a_journey_begun_with_every_patch_records_one_marker_and_one_upsert_for_them(recorded: str,
                                                                                      patch_markers: int) -> None:
    events = json.loads((HISTORIES / recorded).read_text())["events"]
    markers = [event for event in events if event.get("markerRecordedEventAttributes", {}).get("markerName")
               == "core_patch"]
    change_versions = [event for event in events if "TemporalChangeVersion" in json.dumps(
        event.get("upsertWorkflowSearchAttributesEventAttributes", {}))]
    assert (len(markers), len(change_versions)) == (patch_markers, patch_markers)
