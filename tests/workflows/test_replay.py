"""Recorded journeys replay on today's code: a change that would break a running journey fails here.

Beside each journey, the conferences it booked and the complaints about it (<name>.conference-<ref>.json,
<name>.complaint-<ref>.json) replay too.

Histories come from scripts/record_histories.py. Never edit or delete one to make
this pass: guard the change with ``workflow.patched`` instead.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from domain.state import JourneyStart
from workflows.complaint import ComplaintWorkflow
from workflows.conference import ConferenceWorkflow
from workflows.journey import ChildProtectionJourney
from workflows.sandbox import workflow_runner

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))
#: The journeys' own histories (not the conferences' or complaints' recorded beside them).
JOURNEY_HISTORIES = [path for path in HISTORIES if ".conference-" not in path.name and ".complaint-" not in path.name]


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"cpj-{path.stem}", path.read_text())


def replayer(*workflows) -> Replayer:
    # Imported here, not at the top: this module defines a workflow, so the sandbox imports it again,
    # and the codec's cryptography must not be imported inside the sandbox.
    from starter.codec import data_converter
    from tests.codec_keys import ring_of

    # The project's converter: histories recorded before encryption are read as they are, the ones
    # recorded since (*.codec.json) with the test-only key they were encrypted with.
    return Replayer(workflows=list(workflows), data_converter=data_converter(ring_of()),
                    workflow_runner=workflow_runner())


def test_there_are_recorded_journeys_to_replay() -> None:
    assert len(JOURNEY_HISTORIES) >= 4
    assert any(".complaint-" in path.name for path in HISTORIES)


def test_histories_recorded_from_before_and_since_encryption_are_both_replayed() -> None:
    from starter.codec import ENCODING

    encrypted = [path for path in JOURNEY_HISTORIES if ENCODING.decode() in _encodings(path)]
    assert {path.name for path in encrypted} >= {"icpc_delay_agreed_after_second_discussion.codec.json",
                                                 "plan_missing_child_then_ended.codec.json"}
    assert any(ENCODING.decode() not in _encodings(path) for path in JOURNEY_HISTORIES)


def _encodings(path: Path) -> set[str]:
    import base64
    import json

    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "encoding" in node.get("metadata", {}):
                found.add(base64.b64decode(node["metadata"]["encoding"]).decode())
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text()))
    return found


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_recorded_journey_replays_on_current_code(path: Path) -> None:
    await replayer(ChildProtectionJourney, ConferenceWorkflow, ComplaintWorkflow).replay_workflow(load(path))


@workflow.defn(name="ChildProtectionJourney")
class JourneyThatForgotItsRecords:
    """A careless rewrite: it waits where the real journey wrote a record."""

    @workflow.run
    async def run(self, start: JourneyStart) -> None:
        await workflow.sleep(timedelta(days=1))


async def test_a_change_that_breaks_running_journeys_is_caught() -> None:
    with pytest.raises(workflow.NondeterminismError):
        await replayer(JourneyThatForgotItsRecords).replay_workflow(load(JOURNEY_HISTORIES[0]))
