"""Nothing lost, nothing twice, whatever breaks: the worker killed mid-send, the server restarted,
the records database locked or gone for a while.

Each test runs twenty journeys on the real dev server with the worker in its own process. A journey
opens with a strategy discussion six weeks ago, so its ICPC is already overdue: a record and a letter
to the team manager. Then its ICPC is held (late) with a plan, and the first visit finds no access: a
record and a letter to the line manager. The fault strikes during those bursts. Afterwards every
journey must have exactly its records and letters (none missing, none twice) and must still take its
next event.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from domain.deadlines import icpc_deadline
from domain.events import IcpcHeld, StrategyDiscussion, VisitMade
from shipped.profiles import load_profile
from starter.client import EventRejected, JourneyExists, NotAnswered
from tests.conftest import london_today
from tests.faults.conftest import (
    FaultWorld,
    caught_up,
    each_owed_once,
    letters_sent,
    records_written,
    wait_until,
)

pytestmark = pytest.mark.faults

JOURNEYS = 20
# Darlington: its procedure tells the line manager of no access to the child, a letter each journey owes once.
POLICY = "darlington"
CASES = [f"FLT-2026-{number:04d}" for number in range(1, JOURNEYS + 1)]
# Long enough for activities lost with a killed worker to time out (30 s) and run again.
SETTLE_SECONDS = 120


async def accepted(send: Callable[[], Awaitable[object]], what: str, seconds: float = SETTLE_SECONDS) -> None:
    """Send until Temporal takes it, as a careful caller does: the same event id every time.

    A resend is answered, or refused as already recorded: either way the event is in; any other
    refusal (an id used for a different event, a date in the future) is a failure.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while True:
        try:
            await send()
            return
        except EventRejected as refused:
            if "was already recorded" not in str(refused):  # a resend, in a release that refuses it
                raise
            return
        except JourneyExists:
            return  # our own earlier start got through before the answer was lost
        except (RPCError, NotAnswered, WorkflowUpdateRPCTimeoutOrCancelledError) as err:
            if loop.time() > end:
                raise AssertionError(f"{what}: not accepted within {seconds:g} s (last: {err!r})") from err
        await asyncio.sleep(0.5)


def opened_on() -> date:
    return london_today() - timedelta(weeks=6)


async def open_journeys(world: FaultWorld) -> None:
    await asyncio.gather(*(
        accepted(lambda case=case: world.journeys.start(
            case, POLICY, StrategyDiscussion(event_id="sd-1", held_on=opened_on(), initiated_section_47=True)),
            f"starting {case}")
        for case in CASES
    ))


async def all_escalated(world: FaultWorld) -> None:
    """Every journey has escalated its overdue ICPC before the ICPC is held: otherwise a journey whose
    opening was slowed by the fault would hear of the ICPC first and owe no escalation at all."""
    await wait_until(lambda: {case for case, kind, _ in world.records() if kind == "icpc_overdue"} == set(CASES),
                     "every overdue ICPC escalated", SETTLE_SECONDS, world)


async def hold_icpc_then_visit_without_access(world: FaultWorld, case: str) -> None:
    day = london_today()
    await accepted(lambda: world.journeys.send(
        case, IcpcHeld(event_id="icpc-1", held_on=day, decision="plan", category="neglect")), f"{case} icpc")
    await accepted(lambda: world.journeys.send(
        case, VisitMade(event_id="v-1", visited_on=day, outcome="no_access")), f"{case} visit v-1")


async def second_bursts(world: FaultWorld) -> None:
    await asyncio.gather(*(hold_icpc_then_visit_without_access(world, case) for case in CASES))


def expected_records() -> Counter[tuple[str, str, str]]:
    """(case, kind, event id) of every record the journeys owe, once each."""
    escalation = f"icpc-overdue-{icpc_deadline(load_profile(POLICY), opened_on()).due.isoformat()}"
    return Counter(
        (case, kind, event)
        for case in CASES
        for kind, event in [("strategy_discussion", "sd-1"), ("icpc_overdue", escalation), ("icpc_held", "icpc-1"),
                            ("visit_made", "v-1"), ("visit_made", "v-2")]
    )


def expected_letters() -> Counter[tuple[str, str, str]]:
    """(case, template, event id) of every letter the journeys owe, once each."""
    escalation = f"icpc-overdue-{icpc_deadline(load_profile(POLICY), opened_on()).due.isoformat()}"
    return Counter(
        (case, template, event)
        for case in CASES
        for template, event in [("overdue_escalation", escalation), ("no_access", "v-1")]
    )


async def take_the_next_visit_and_check(world: FaultWorld) -> None:
    """Each journey still takes its next event, and then has exactly what it owes: no loss, no repeat."""
    day = london_today()
    await asyncio.gather(*(
        accepted(lambda case=case: world.journeys.send(
            case, VisitMade(event_id="v-2", visited_on=day, outcome="seen")), f"{case} visit v-2")
        for case in CASES
    ))
    try:
        await wait_until(lambda: caught_up(world, expected_records(), expected_letters()),
                         "every journey's records and letters", SETTLE_SECONDS, world)
    except AssertionError as late:
        missing = (expected_records() - records_written(world)) + (expected_letters() - letters_sent(world))
        pending = [ref for ref, status in world.notification_status().items() if status == "pending"]
        raise AssertionError(f"still owed: {sorted(missing)}; letters half way: {pending}\n{late}") from None

    each_owed_once(world, records_written(world), expected_records(), letters_sent(world), expected_letters())
    for case in CASES:
        state = await world.journeys.state(case)
        assert state.stage.value == "on_plan", case


async def when(check: Callable[[], bool], seconds: float = 60) -> None:
    await wait_until(check, "the burst to get going", seconds)


async def test_a_worker_killed_mid_send_loses_no_letter_and_sends_none_twice(fault_world: FaultWorld) -> None:
    world = fault_world
    # The letters "file" is a pipe nobody reads yet: each letter is claimed, then its send waits.
    os.mkfifo(world.letters_file)
    world.worker.start()
    opening = world.in_background(open_journeys(world))
    await wait_until(lambda: list(world.notification_status().values()).count("pending") >= 2,
                     "escalation letters claimed", 60, world)

    # Let the waiting sends through while the records database is held, so none can be marked
    # sent; kill -9 the worker with its letters out of the door and not yet marked.
    delivered = b""
    with world.records_locked():
        pipe = os.open(world.letters_file, os.O_RDONLY | os.O_NONBLOCK)
        try:
            loop = asyncio.get_running_loop()
            end = loop.time() + 1.5
            while loop.time() < end:
                try:
                    delivered += os.read(pipe, 65536)
                except BlockingIOError:
                    pass
                await asyncio.sleep(0.02)
            world.worker.kill()
            while chunk := _read_ready(pipe):
                delivered += chunk
        finally:
            os.close(pipe)
    # The postman's copy becomes the letters file the restarted worker appends to.
    staged = world.letters_file.with_suffix(".staged")
    staged.write_bytes(delivered)
    os.replace(staged, world.letters_file)
    sent_not_marked = [letter["reference"] for letter in world.letters()
                       if world.notification_status().get(letter["reference"]) == "pending"]
    assert sent_not_marked, "the kill was meant to land between a letter's send and its mark as sent"

    world.worker.start()
    await opening
    await all_escalated(world)
    # Killed again in the middle of the second burst, and straight back.
    second = world.in_background(second_bursts(world))
    await when(lambda: sum(kind == "icpc_held" for _, kind, _ in world.records()) >= JOURNEYS // 2)
    world.worker.kill()
    world.worker.start()
    await second
    await take_the_next_visit_and_check(world)


def _read_ready(pipe: int) -> bytes:
    try:
        return os.read(pipe, 65536)
    except BlockingIOError:
        return b""


async def test_a_server_restarted_mid_burst_keeps_every_journey_and_effect(fault_world: FaultWorld) -> None:
    world = fault_world
    world.worker.start()
    opening = world.in_background(open_journeys(world))
    await when(lambda: sum(kind == "strategy_discussion" for _, kind, _ in world.records()) >= 3)
    world.server.stop()  # SIGTERM, as an operator restarting the machine would
    await world.restart_server()
    await opening
    await all_escalated(world)

    second = world.in_background(second_bursts(world))
    await when(lambda: sum(kind == "icpc_held" for _, kind, _ in world.records()) >= 3)
    world.server.stop()
    await asyncio.sleep(1)
    await world.restart_server()
    await second
    await take_the_next_visit_and_check(world)


async def test_a_records_database_locked_then_gone_for_a_while_loses_nothing(fault_world: FaultWorld) -> None:
    world = fault_world
    world.worker.start()
    opening = world.in_background(open_journeys(world))
    await when(lambda: len(world.records()) >= 3)
    with world.records_locked():  # a backup holding the database for ten seconds
        await asyncio.sleep(10)
    await opening
    await all_escalated(world)

    # The database goes away; a worker started meanwhile waits for it instead of giving up.
    second = world.in_background(second_bursts(world))
    await when(lambda: sum(kind == "icpc_held" for _, kind, _ in world.records()) >= 3)
    with world.records_away():
        world.worker.kill()
        world.worker.start()
        await asyncio.sleep(6)
        assert world.worker.running, f"the worker gave up on its database\n{world.diagnostics()}"
    await second
    await take_the_next_visit_and_check(world)
