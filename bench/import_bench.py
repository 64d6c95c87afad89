"""How fast does an import of open cases go, against raw workflow starts of a trivial workflow?

Runs on the real Temporal dev server (from .venv/bin, on 127.0.0.1) with an in-process worker
(``worker.build_worker``, sqlite and a letters file in a temp dir), as ``bench/journey_bench.py`` does.
Rounds are interleaved, each repeated R times (min / median / max):

1. raw: N trivial workflows started (``start_workflow``, CONCURRENCY in flight; the workflow returns at once);
2. import: an N-row CSV file through ``starter.imports.run_import``, as ``cpj import`` runs it: every row
   checked, then N journeys started mid-stream on their plans (CONCURRENCY in flight), each row's
   outcome and an audit row written to the records database.

Rows per second is until the last start was answered; "settled" is until every imported journey has
run its first task and written its "case imported" record. CPU per row is this process's CPU time
(``time.process_time``: the client, the import and the in-process worker together) over the round,
divided by N. The rows' dates are recent, so no deadline is overdue and nothing escalates.

Run: .venv/bin/python bench/import_bench.py [--rows N] [--repeats R]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # The sandbox re-imports this file for the Trivial workflow; everything else passes through.
    if not workflow.unsafe.in_sandbox():
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    from quiet import quiet_stdout
    from sqlalchemy import func
    from sqlmodel import Session, select
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    import workflows.search_attributes
    from activities.db import JourneyRecord, make_engine
    from activities.log import configure_logging
    from activities.notify import FileSender
    from domain.deadlines import london_date
    from starter.audit import AuditLog
    from starter.client import Journeys
    from starter.codec import KeyRing, data_converter
    from starter.identity import Actor
    from starter.imports import ImportStore, new_run_id, run_import
    from starter.roles import Role
    from worker import build_worker

POLICY = "darlington"
CONCURRENCY = 8  # starts in flight at once, in both rounds (the import's own default)
SETTLE_SECONDS = 120
ACTOR = Actor(kind="cli", ref="BENCH-0001", roles=frozenset(Role))
HEADER = "case_ref,policy,on_plan_since,category,last_review,last_visit,last_core_group,lead_social_worker,team"


@workflow.defn
class Trivial:
    @workflow.run
    async def run(self, value: int) -> int:
        return value


def csv_of(prefix: str, n: int) -> str:
    """N rows of cases on recent plans: nothing overdue at import, so the worker only starts them."""
    today = london_date(datetime.now(UTC))

    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    rows = [f"{prefix}{i:05d},{POLICY},{day(60)},neglect,{day(20)},{day(2)},{day(5)},SW-1042,Bench team"
            for i in range(1, n + 1)]
    return "\n".join([HEADER, *rows, ""])


async def bounded(count: int, one: Callable[[int], Awaitable[None]]) -> None:
    indexes = iter(range(count))

    async def lane() -> None:
        for index in indexes:
            await one(index)

    await asyncio.gather(*(lane() for _ in range(min(CONCURRENCY, count))))


class Bench:
    def __init__(self, env: WorkflowEnvironment, journeys: Journeys, engine, trivial_queue: str) -> None:
        self.env = env
        self.journeys = journeys
        self.engine = engine
        self.trivial_queue = trivial_queue
        self.store = ImportStore(engine)
        self.audit = AuditLog(engine)

    async def raw(self, n: int) -> tuple[float, float]:
        """N trivial workflows started: (wall seconds, CPU seconds)."""
        wall, cpu = time.perf_counter(), time.process_time()

        async def one(index: int) -> None:
            await self.env.client.start_workflow(Trivial.run, index, id=f"trivial-{uuid.uuid4().hex}",
                                                 task_queue=self.trivial_queue)

        await bounded(n, one)
        return time.perf_counter() - wall, time.process_time() - cpu

    async def imported(self, prefix: str, n: int) -> tuple[float, float, float]:
        """An N-row file imported: (wall seconds to the last start, CPU seconds, wall seconds to settled)."""
        text = csv_of(prefix, n)
        run_id = new_run_id()
        self.store.begin(run_id, ACTOR.recorded_as, "cli")
        wall, cpu = time.perf_counter(), time.process_time()
        run = await run_import(text, self.journeys, self.store, ACTOR, run_id, via="cli", audit=self.audit)
        started = time.perf_counter() - wall
        if run.started != n:
            raise RuntimeError(f"{run.started} of {n} started ({run.refused} refused): "
                               f"{[row.reason for row in self.store.rows(run_id, 'refused')][:3]}")
        end = time.monotonic() + SETTLE_SECONDS
        while self.records(prefix) < n:
            if time.monotonic() > end:
                raise RuntimeError(f"the imported journeys {prefix}* were not all recorded after {SETTLE_SECONDS}s")
            await asyncio.sleep(0.05)
        return started, time.process_time() - cpu, time.perf_counter() - wall

    def records(self, prefix: str) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(JourneyRecord).where(
                JourneyRecord.case_ref.startswith(prefix), JourneyRecord.kind == "case_imported")).one()


def spread(values: list[float], fmt: str) -> str:
    return (f"min {format(min(values), fmt)}  median {format(statistics.median(values), fmt)}  "
            f"max {format(max(values), fmt)}")


async def run(n: int, repeats: int) -> None:
    configure_logging("WARNING")  # the activities log each record at INFO
    with quiet_stdout():
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
            search_attributes=workflows.search_attributes.ALL,
            # Encrypted as in production, with a key made for this run only.
            data_converter=data_converter(KeyRing({"bench": secrets.token_bytes(32)}, "bench")),
            dev_server_log_level="error",
        )
    try:
        with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
            queue = f"bench-{uuid.uuid4().hex[:8]}"
            engine = make_engine(f"sqlite:///{Path(tmp) / 'records.db'}")
            journey_worker = build_worker(env.client, task_queue=queue, engine=engine,
                                          sender=FileSender(Path(tmp) / "notifications.jsonl"))
            trivial_worker = Worker(env.client, task_queue=f"{queue}-trivial", workflows=[Trivial])
            async with journey_worker, trivial_worker:
                bench = Bench(env, Journeys(env.client, queue), engine, f"{queue}-trivial")
                await measure(bench, n, repeats)
            engine.dispose()
    finally:
        await env.shutdown()


async def measure(bench: Bench, n: int, repeats: int) -> None:
    print(f"dev server + in-process worker, {n} rows per round, {repeats} rounds each, interleaved, "
          f"{CONCURRENCY} in flight, policy {POLICY}")
    await bench.raw(20)  # warm-up, not measured: the first runs import into the sandbox
    await bench.imported("WARM-", 20)
    raw_rates, raw_cpu, import_rates, import_cpu, settled_rates = [], [], [], [], []
    for round_number in range(1, repeats + 1):
        wall, cpu = await bench.raw(n)
        raw_rates.append(n / wall)
        raw_cpu.append(cpu / n * 1000)
        started, cpu, settled = await bench.imported(f"IMP-{2001 + round_number}-", n)  # the shape Darlington issues
        import_rates.append(n / started)
        import_cpu.append(cpu / n * 1000)
        settled_rates.append(n / settled)
    print(f"{'raw start of a trivial workflow':<34} rows/s {spread(raw_rates, '7.1f')}   "
          f"CPU ms/row {spread(raw_cpu, '5.2f')}")
    print(f"{'import (to the last start)':<34} rows/s {spread(import_rates, '7.1f')}   "
          f"CPU ms/row {spread(import_cpu, '5.2f')}")
    print(f"{'import (settled: first task run)':<34} rows/s {spread(settled_rates, '7.1f')}")
    print(f"ratio import/raw (medians): throughput {statistics.median(import_rates) / statistics.median(raw_rates):.2f}"
          f"   CPU per row {statistics.median(import_cpu) / statistics.median(raw_cpu):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=150, metavar="N", help="rows (and raw starts) per round")
    parser.add_argument("--repeats", type=int, default=3, metavar="R", help="rounds of each, interleaved")
    args = parser.parse_args()
    if args.rows < 1 or args.repeats < 1:
        parser.error("--rows and --repeats need at least 1")
    began = time.perf_counter()
    asyncio.run(run(args.rows, args.repeats))
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
