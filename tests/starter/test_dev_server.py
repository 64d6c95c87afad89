"""A journey started from the CLI on the real Temporal dev server, as a supervisor would see it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment

from starter.codec import data_converter
from starter.web.labels import day_words
from activities.db import make_engine
from activities.notify import FileSender
from domain.deadlines import london_date
from domain.events import IcpcHeld, ReviewHeld, StrategyDiscussion, workflow_id_for
from starter.client import Journeys
from tests.conftest import TEMPORAL_CLI, eventually
from tests.starter.signing_in import signed_in_client
from workflows import search_attributes as sa
from worker import build_worker

CPJ = str(Path(sys.executable).parent / "cpj")


@pytest.fixture
async def dev_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    # The commands below act as a named staff number, and their audit rows go to this test's records database.
    monkeypatch.setenv("CPJ_STAFF_REF", "OPS-0001")
    monkeypatch.setenv("CPJ_DATABASE_URL", f"sqlite:///{tmp_path / 'records.db'}")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI),
        search_attributes=sa.ALL,
        data_converter=data_converter(),
        dev_server_log_level="error",
    )
    task_queue = f"dev-{uuid.uuid4().hex[:8]}"
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    async with build_worker(env.client, task_queue=task_queue, engine=engine, sender=FileSender(tmp_path / "n.jsonl")):
        yield env, task_queue
    await env.shutdown()


async def cpj(env: WorkflowEnvironment, task_queue: str, *args: str) -> str:
    code, out, err = await cpj_exit(env, task_queue, *args)
    assert code == 0, err
    return out


async def cpj_exit(env: WorkflowEnvironment, task_queue: str, *args: str, **settings: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        CPJ, *args,
        env={**os.environ, "CPJ_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
             "CPJ_TASK_QUEUE": task_queue, **settings},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def test_journey_started_from_the_cli_waits_on_a_named_icpc_timer(dev_server) -> None:
    env, task_queue = dev_server
    today = london_date(await env.get_current_time()).isoformat()

    started = await cpj(env, task_queue, "journey", "start", "DAR-2026-0042", "--policy", "darlington",
                        "--strategy-discussion", today)
    assert "cpj-DAR-2026-0042" in started

    shown = json.loads(await cpj(env, task_queue, "journey", "show", "DAR-2026-0042", "--json"))
    assert shown["stage"] == "awaiting_icpc"
    [icpc] = shown["deadlines"]
    assert icpc["reason"].startswith(f"15 working days after {today}")

    handle = env.client.get_workflow_handle(workflow_id_for("DAR-2026-0042"))
    async def timer_is_named() -> bool:
        history = await handle.fetch_history()
        timers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
        # A timer's summary is a payload like any other: encrypted in the history, read through the codec.
        summaries = await env.client.data_converter.decode([t.user_metadata.summary for t in timers], [str] * len(timers))
        return any(f"Initial child protection conference due {icpc['due']}" in summary for summary in summaries)
    await eventually(timer_is_named)

    described = await handle.describe()
    assert await described.static_summary() == "Child protection journey for case DAR-2026-0042"
    assert "darlington@" in await described.static_details()
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    due = date.fromisoformat(icpc["due"])
    assert f"- Initial child protection conference: due {day_words(due)}. 15 working days after" in metadata.current_details
    attrs = described.typed_search_attributes
    assert attrs.get(sa.STAGE) == "awaiting_icpc"
    assert attrs.get(sa.NEXT_DEADLINE_KIND) == "icpc"
    assert attrs.get(sa.NEXT_DEADLINE).date() == london_date(attrs.get(sa.NEXT_DEADLINE)) == due  # the UI shows the due day
    assert attrs.get(sa.AUTHORITY) == "Darlington"

    async def listed() -> bool:
        return "DAR-2026-0042" in await cpj(env, task_queue, "journey", "list")
    await eventually(listed)


async def test_a_production_cluster_gets_its_search_attributes_once() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI), dev_server_log_level="error"
    )
    try:
        first = await cpj(env, "unused", "temporal", "register-search-attributes")
        assert first.startswith("added ") and "CpjNextDeadline" in first
        assert "already registered" in await cpj(env, "unused", "temporal", "register-search-attributes")
    finally:
        await env.shutdown()


async def test_scripts_send_any_event_as_json_and_hear_why_a_bad_one_is_refused(dev_server) -> None:
    env, task_queue = dev_server
    today = london_date(await env.get_current_time()).isoformat()
    await cpj(env, task_queue, "journey", "start", "SEF-2026-0001", "--policy", "sefton", "--strategy-discussion", today)

    code, _, err = await cpj_exit(env, task_queue, "journey", "event", "SEF-2026-0001",
                                  '{"type": "icpc_held", "event_id": "i-1", "held_on": "%s", "decision": "plan"}' % today)
    assert code == 2 and "category" in err

    code, _, err = await cpj_exit(env, task_queue, "journey", "event", "SEF-2026-0001",
                                  '{"type": "visit_made", "event_id": "v-1", "visited_on": "%s", "outcome": "seen"}' % today)
    assert code == 2 and "accepted while the child is on a child protection plan" in err

    shown = await cpj(env, task_queue, "journey", "event", "SEF-2026-0001",
                      '{"type": "icpc_held", "event_id": "i-1", "held_on": "%s", "decision": "plan", '
                      '"category": "neglect"}' % today)
    assert "stage on_plan" in shown


def api(journeys: Journeys) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The app on ``journeys``, with someone who records casework signed in (tests/starter/signing_in.py)."""
    return signed_in_client(journeys)


CASES = {"DAR-2026-0101": "darlington", "DAR-2026-0102": "darlington", "SEF-2026-0103": "sefton",
         "STA-2026-0104": "staffordshire", "BIR-2026-0105": "birmingham"}
REVIEWED = "DAR-2026-0101"


async def test_a_reviewed_case_is_listed_once_and_listings_filter_and_page(dev_server) -> None:
    env, task_queue = dev_server
    journeys = Journeys(env.client, task_queue)
    today = london_date(await env.get_current_time())
    for case_ref, policy in CASES.items():
        await journeys.start(case_ref, policy, StrategyDiscussion(event_id="sd-1", held_on=today, initiated_section_47=True))
    await journeys.send(REVIEWED, IcpcHeld(event_id="icpc-1", held_on=today, decision="plan", category="neglect"))
    await journeys.send(REVIEWED, ReviewHeld(event_id="review-1", held_on=today, outcome="continue"))

    async def continued_as_new() -> bool:
        return (await journeys.state(REVIEWED)).run == 1
    await eventually(continued_as_new)
    runs = [run async for run in env.client.list_workflows(f'WorkflowId = "{workflow_id_for(REVIEWED)}"')]
    assert len(runs) == 2  # the review left a closed run behind

    async def each_case_listed_once() -> bool:  # visibility catches up with the new run
        rows = (await journeys.list()).journeys
        return sorted(row.case_ref for row in rows) == sorted(CASES) and all(
            row.stage == "on_plan" for row in rows if row.case_ref == REVIEWED)
    await eventually(each_case_listed_once)

    page = await journeys.list()
    assert page.next_page_token is None
    [reviewed] = [row for row in page.journeys if row.case_ref == REVIEWED]
    assert reviewed.status == "running"

    assert [row.case_ref for row in (await journeys.list(stage="on_plan")).journeys] == [REVIEWED]
    darlington = sorted(ref for ref, policy in CASES.items() if policy == "darlington")
    assert sorted(row.case_ref for row in (await journeys.list(policy="darlington")).journeys) == darlington
    assert sorted(row.case_ref for row in (await journeys.list(policy=reviewed.policy)).journeys) == darlington
    assert (await journeys.list(overdue=True)).journeys == []
    assert len((await journeys.list(overdue=False)).journeys) == len(CASES)

    async with api(journeys) as web:
        pages, token = [], None
        while True:
            answer = (await web.get("/api/journeys", params={"page_size": 2, **({"page_token": token} if token else {})})).json()
            pages.append([row["case_ref"] for row in answer["journeys"]])
            token = answer["next_page_token"]
            if token is None:
                break
        assert [len(p) for p in pages] == [2, 2, 1]
        assert sorted(ref for p in pages for ref in p) == sorted(CASES)

        on_plan = (await web.get("/api/journeys", params={"stage": "on_plan", "policy": "darlington"})).json()
        assert [row["case_ref"] for row in on_plan["journeys"]] == [REVIEWED]
        refused = await web.get("/api/journeys", params={"policy": "atlantis"})
        assert refused.status_code == 400 and "no policy profile 'atlantis'" in refused.json()["detail"]

    listed, args = [], ["journey", "list", "--page-size", "2"]
    while True:
        out = await cpj(env, task_queue, *args)
        listed += re.findall(r"^([A-Z]{3}-2026-\d{4}) ", out, flags=re.MULTILINE)
        more = re.search(r"^more: --page-token (\S+)$", out, flags=re.MULTILINE)
        if not more:
            break
        args = ["journey", "list", "--page-size", "2", "--page-token", more.group(1)]
    assert sorted(listed) == sorted(CASES)
    out = json.loads(await cpj(env, task_queue, "journey", "list", "--stage", "on_plan", "--json"))
    assert [row["case_ref"] for row in out["journeys"]] == [REVIEWED] and out["next_page_token"] is None


async def test_a_retried_start_from_a_script_is_told_the_journey_is_running(dev_server) -> None:
    env, task_queue = dev_server
    today = london_date(await env.get_current_time()).isoformat()
    start = ["journey", "start", "SEF-2026-0007", "--policy", "sefton", "--strategy-discussion", today]

    assert (await cpj(env, task_queue, *start, "--event-id", "sd-7")).startswith("started cpj-SEF-2026-0007")
    assert (await cpj(env, task_queue, *start, "--event-id", "sd-7")).startswith("already started cpj-SEF-2026-0007")
    code, _, err = await cpj_exit(env, task_queue, *start, "--event-id", "sd-8")
    assert code == 2 and "already running" in err


async def test_with_no_worker_running_a_call_is_answered_within_its_bound(dev_server) -> None:
    env, _ = dev_server
    journeys = Journeys(env.client, "no-worker-polls-this", timeout=2)
    body = {"case_ref": "STA-2026-0009", "policy": "staffordshire",
            "strategy_discussion": {"event_id": "sd-1", "held_on": london_date(await env.get_current_time()).isoformat(),
                                    "initiated_section_47": True}}
    async with api(journeys) as web:
        began = time.monotonic()
        started = await web.post("/api/journeys", json=body)
        assert started.status_code == 202, started.text  # Temporal holds it; no worker has picked it up
        assert started.headers["location"] == "/api/journeys/STA-2026-0009"
        assert started.json()["state"] is None

        shown = await web.get("/api/journeys/STA-2026-0009")
        assert shown.status_code == 503
        assert shown.json()["detail"].startswith("the journeys worker is not answering")
        assert "nothing was lost, try again" in shown.json()["detail"]

        retried = await web.post("/api/journeys", json=body)  # read from the history: no worker needed
        assert retried.status_code == 202 and retried.json()["resend"] is True
        assert time.monotonic() - began < 3 * (2 + 1) + 2

    began = time.monotonic()
    code, _, err = await cpj_exit(env, "no-worker-polls-this", "journey", "show", "STA-2026-0009",
                                  CPJ_TEMPORAL_TIMEOUT="2")
    assert code == 2 and "the journeys worker is not answering" in err
    assert time.monotonic() - began < 10  # the bound, plus starting the command


async def test_a_darlington_complaint_from_the_cli_is_refused_started_moved_on_shown_and_listed(dev_server) -> None:
    env, task_queue = dev_server
    today = london_date(await env.get_current_time()).isoformat()
    case = "DAR-2026-0301"
    await cpj(env, task_queue, "journey", "start", case, "--policy", "darlington", "--strategy-discussion", today)
    start = ["complaint", "start", case, "CMP-0301", "--received-on", today, "--by", "parent",
             "--conference", "ICPC-0301", "--chair", "CPC-0042", "--event-id", "cmp-1"]

    code, out, err = await cpj_exit(env, task_queue, *start, "--about", "agency_service")
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith("error: this complaint cannot be taken under Darlington's procedure: a complaint about an "
                          "individual agency, its performance or provision of services goes to that agency's own "
                          "complaints process")

    started = await cpj(env, task_queue, *start, "--about", "plan_decision")
    assert started.startswith("started cpj-complaint-CMP-0301")
    assert "stage: With the Service Manager" in started
    assert (await cpj(env, task_queue, *start, "--about", "plan_decision")).startswith(
        "already started cpj-complaint-CMP-0301 (this opening was sent before)")

    code, _, err = await cpj_exit(env, task_queue, "complaint", "event", "CMP-0301",
                                  '{"type": "appeal_outcome_sent", "event_id": "a-1", "sent_on": "%s", "upheld": false}'
                                  % today)
    assert code == 2 and err.startswith("error: appeal_outcome_sent does not follow now: the complaint is at stage "
                                        "with_service_manager, which waits for service_manager_responded")
    code, _, err = await cpj_exit(env, task_queue, "complaint", "event", "CMP-0301",
                                  '{"type": "service_manager_responded", "event_id": "r-1", "responded_on": "2099-01-05"}')
    assert code == 2 and "is in the future" in err

    responded = await cpj(env, task_queue, "complaint", "event", "CMP-0301",
                          '{"type": "service_manager_responded", "event_id": "r-1", "responded_on": "%s"}' % today)
    assert "stage: The Service Manager has responded" in responded
    assert "next: Referred to scrutineer (referred_to_scrutineer), Complaint closed (complaint_closed)" in responded

    shown = await cpj(env, task_queue, "complaint", "show", "CMP-0301")
    assert shown.startswith(f"Complaint CMP-0301 about case {case}, received {today}, policy darlington@")
    assert f"because 10 working days after {today}" in shown and "[met]" in shown
    assert "Darlington procedures, Child Protection Conference Complaints" in shown
    assert f"  {today} to the complainant: Your complaint about case {case}" in shown
    assert f"  {today} to the safeguarding service manager: Complaint about a conference on case {case}" in shown
    as_json = json.loads(await cpj(env, task_queue, "complaint", "show", "CMP-0301", "--json"))
    assert as_json["stage"] == "service_manager_responded" and len(as_json["letters"]) >= 3

    async def listed() -> bool:
        return "CMP-0301" in await cpj(env, task_queue, "complaint", "list", case)
    await eventually(listed)
    [row] = json.loads(await cpj(env, task_queue, "complaint", "list", case, "--json"))
    assert row["complaint_ref"] == "CMP-0301" and row["open"] is True
    assert (await cpj(env, task_queue, "complaint", "list", "DAR-2026-0399")) == (
        "no complaints or disagreements about case DAR-2026-0399\n")

    # A supervisor finds the open complaints of a case in the Temporal UI by its search attributes.
    async def indexed() -> bool:
        found = [w async for w in env.client.list_workflows(
            f'WorkflowType = "ComplaintWorkflow" AND CpjCase = "{case}" AND ExecutionStatus = "Running"')]
        return [w.id for w in found] == ["cpj-complaint-CMP-0301"]
    await eventually(indexed)
    listed_by_visibility = await Journeys(env.client, task_queue).list_complaints(case)
    assert [(row.complaint_ref, row.stage) for row in listed_by_visibility] == [("CMP-0301", "service_manager_responded")]
