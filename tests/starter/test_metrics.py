"""What Prometheus sees of a journey: events accepted and refused, letters sent and undelivered, deadlines overdue.

And nothing of the child: every label is a type, a kind, a template or an outcome, never a case.
"""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from temporalio.exceptions import ApplicationError

from activities.metrics import serve_our_metrics, temporal_runtime
from domain.events import IcpcHeld, StrategyDiscussion
from starter.client import EventRejected, connect
from tests.conftest import JourneyWorld, SettledJourneys, eventually
from worker import build_worker

ON_TIME = "CASE-0301"
NO_ADDRESS = "CASE-0302"


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(f"{name}_total", labels) or 0.0


class NoAddressForTeamManagers:
    """A sender configured without the team managers' address: every escalation to them is refused for good."""

    def send(self, request) -> None:
        raise ApplicationError("no address for role team_manager", non_retryable=True, type="NotifyConfigError")

    def already_sent(self, reference: str) -> bool:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_journeys_events_letters_and_overdue_deadlines_are_counted_without_naming_the_case(
    world: JourneyWorld, anonymous, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {
        "accepted": count("cpj_events", type="strategy_discussion", outcome="accepted"),
        "refused": count("cpj_events", type="icpc_held", outcome="refused"),
        "sent": count("cpj_letters", template="overdue_escalation", outcome="sent"),
        "undelivered": count("cpj_letters", template="overdue_escalation", outcome="undelivered"),
        "icpc overdue": count("cpj_deadlines_overdue", kind="icpc"),
    }
    today = await world.today()
    # One case on the ordinary worker; another on a worker whose sender has no team managers' address.
    await world.journeys.start(ON_TIME, "darlington", StrategyDiscussion(
        event_id="sd-1", held_on=today, initiated_section_47=True))
    with pytest.raises(EventRejected, match="in the future"):
        await world.journeys.send(ON_TIME, IcpcHeld(event_id="icpc-1", held_on=today + timedelta(days=1),
                                                    decision="no_plan"))
    no_address = SettledJourneys(world.env.client, "no-address", clock=world.env.get_current_time)
    async with build_worker(world.env.client, task_queue="no-address", engine=world.engine,
                            sender=NoAddressForTeamManagers()):
        await no_address.start(NO_ADDRESS, "darlington", StrategyDiscussion(
            event_id="sd-1", held_on=today, initiated_section_47=True))
        # Neither conference is held in time: both are escalated to the team manager.
        await world.days_pass(30)

        async def both_escalated() -> bool:
            return bool((await no_address.state(NO_ADDRESS)).undelivered) and any(
                row.kind == "icpc_overdue" for row in world.records(ON_TIME)) and bool(world.letters())
        await eventually(both_escalated)

    assert count("cpj_events", type="strategy_discussion", outcome="accepted") - before["accepted"] == 2
    assert count("cpj_events", type="icpc_held", outcome="refused") - before["refused"] == 1
    assert count("cpj_letters", template="overdue_escalation", outcome="sent") - before["sent"] >= 1
    assert count("cpj_letters", template="overdue_escalation", outcome="undelivered") - before["undelivered"] >= 1
    assert count("cpj_deadlines_overdue", kind="icpc") - before["icpc overdue"] == 2  # once per journey

    # The admin tool serves them to Prometheus with its token, and to nobody without it.
    token = "t" * 40
    (tmp_path / "metrics-token").write_text(token + "\n")
    monkeypatch.setenv("CPJ_METRICS_TOKEN_FILE", str(tmp_path / "metrics-token"))
    web = anonymous()
    scraped = await web.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert scraped.status_code == 200, scraped.text
    assert 'cpj_events_total{outcome="refused",type="icpc_held"}' in scraped.text
    assert 'cpj_deadlines_overdue_total{kind="icpc"}' in scraped.text
    assert ON_TIME not in scraped.text and NO_ADDRESS not in scraped.text
    assert (await web.get("/metrics")).status_code in (303, 401)
    assert (await web.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})).status_code in (303, 401)


async def test_the_worker_serves_our_counts_on_its_metrics_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CPJ_METRICS_ADDRESS", raising=False)
    assert serve_our_metrics() is None  # off unless configured
    port = free_port()
    monkeypatch.setenv("CPJ_METRICS_ADDRESS", f"127.0.0.1:{port}")
    server = serve_our_metrics()
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert answer.status_code == 200
        assert "# TYPE cpj_letters_total counter" in answer.text
        assert "# TYPE cpj_deadlines_overdue_total counter" in answer.text
    finally:
        server.shutdown()
        server.server_close()


async def test_the_sdks_runtime_serves_temporals_metrics_when_configured(
    world: JourneyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CPJ_TEMPORAL_METRICS_ADDRESS", raising=False)
    assert temporal_runtime() is None  # off unless configured
    port = free_port()
    monkeypatch.setenv("CPJ_TEMPORAL_METRICS_ADDRESS", f"127.0.0.1:{port}")
    client = await connect(world.env.client.service_client.config.target_host, runtime=temporal_runtime())
    journeys = SettledJourneys(client, "sdk-metrics", clock=world.env.get_current_time)
    async with build_worker(client, task_queue="sdk-metrics", engine=world.engine,
                            sender=NoAddressForTeamManagers()), httpx.AsyncClient() as web:
        await journeys.start(ON_TIME, "darlington", StrategyDiscussion(
            event_id="sd-1", held_on=await world.today(), initiated_section_47=True))

        async def temporals_own() -> bool:
            text = (await web.get(f"http://127.0.0.1:{port}/metrics")).text
            return "temporal_workflow_task_execution_latency" in text and "temporal_request" in text
        await eventually(temporals_own, seconds=30)


def test_a_metrics_address_that_is_not_host_and_port_is_refused_with_a_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CPJ_METRICS_ADDRESS", "9465")
    with pytest.raises(ValueError, match="host:port"):
        serve_our_metrics()
