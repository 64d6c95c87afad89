"""How many journeys a second does one worker take through, and what does a running journey cost in memory?

Runs on the real Temporal dev server (from .venv/bin, on 127.0.0.1) with an
in-process worker (``worker.build_worker``, sqlite and a letters file in a temp
dir). Prints figures and ratios against a baseline measured in the same run:
a trivial workflow with one no-op activity, on its own worker and the same client.

1. baseline: N trivial workflows started and awaited;
2. journeys: N journeys started and taken through an ICPC "no plan" decision
   held today, so they complete. Latency is start + update as a caller sees it,
   with one state query between them (as the tests do): an update sent before
   the journey's first task has run would find it still awaiting the s47;
3. memory: RSS (/proc/self/status VmRSS) before and after holding M journeys
   open, waiting for their ICPC in the worker's cache; then the Python heap
   (tracemalloc) for another M, as a cross-check (tracemalloc's own tables are
   not counted in it, and it is kept out of the RSS round). Open journeys stay
   open until the dev server stops; the first M are not freed while the second
   are traced, and tracemalloc counts only what is allocated while it runs.

Both throughput rounds keep the same number of workflows in flight (CONCURRENCY).
Run: .venv/bin/python bench/journey_bench.py [--journeys N] [--open M]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    # The sandbox re-imports this file for the Baseline workflow; everything else passes through.
    if not workflow.unsafe.in_sandbox():
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    from sqlalchemy import func
    from sqlmodel import Session, select
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    import workflows.search_attributes
    from activities.db import JourneyRecord, make_engine
    from activities.log import configure_logging
    from activities.notify import FileSender
    from domain.deadlines import london_date
    from domain.events import IcpcHeld, StrategyDiscussion, workflow_id_for
    from domain.state import Stage
    from starter.client import Journeys
    from worker import build_worker

POLICY = "darlington"
CONCURRENCY = 16  # workflows in flight at once, in both throughput rounds
WARMUP = 8  # per round, not measured: the first runs import into the sandbox
SETTLE_SECONDS = 60  # longest wait for the open journeys to reach the worker's cache
try:
    LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    LIBC.malloc_trim  # glibc only
except (OSError, AttributeError):
    LIBC = None


@activity.defn
async def baseline_noop(value: int) -> int:
    return value


@workflow.defn
class Baseline:
    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_activity(baseline_noop, value, start_to_close_timeout=timedelta(seconds=30))


def vmrss_kib() -> int:
    """Resident memory after a full collection, with freed heap handed back to the system first."""
    gc.collect()
    if LIBC is not None:
        LIBC.malloc_trim(0)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


@contextlib.contextmanager
def quiet_stdout():
    """Point file descriptor 1 at /dev/null while a child process is spawned (it inherits it)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def cached_runs(worker: Worker) -> int | None:
    """Runs in the worker's workflow cache (a private attribute; None if the SDK moved it)."""
    inner = getattr(worker, "_workflow_worker", None)
    running = getattr(inner, "_running_workflows", None)
    return len(running) if running is not None else None


async def bounded(count: int, one: Callable[[int], Awaitable[float]]) -> tuple[float, list[float]]:
    """Run one(0..count-1) with CONCURRENCY in flight; wall time and each one's latency."""
    latencies: list[float] = []
    next_index = iter(range(count))

    async def lane() -> None:
        for index in next_index:
            latencies.append(await one(index))

    began = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(min(CONCURRENCY, count))))
    return time.perf_counter() - began, latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


class Bench:
    def __init__(self, env: WorkflowEnvironment, journeys: Journeys, engine, baseline_queue: str) -> None:
        self.env = env
        self.journeys = journeys
        self.engine = engine
        self.baseline_queue = baseline_queue
        self.not_ready = 0
        self.total_latency: list[float] = []

    def today(self):
        return london_date(datetime.now(UTC))

    async def baseline(self, index: int) -> float:
        began = time.perf_counter()
        await self.env.client.execute_workflow(
            Baseline.run, index, id=f"baseline-{uuid.uuid4().hex}", task_queue=self.baseline_queue
        )
        return time.perf_counter() - began

    async def open_journey(self, case_ref: str) -> None:
        await self.journeys.start(
            case_ref, POLICY, StrategyDiscussion(event_id="sd-1", held_on=self.today(), initiated_section_47=True)
        )

    async def ready(self, case_ref: str) -> None:
        """Wait (bounded) until the journey has run its first task and waits for its ICPC, as a caller would see."""
        for _ in range(200):
            if (await self.journeys.state(case_ref)).stage is Stage.AWAITING_ICPC:
                return
            self.not_ready += 1
            await asyncio.sleep(0.01)
        raise RuntimeError(f"{case_ref} never reached awaiting_icpc")

    async def close_journey(self, case_ref: str) -> None:
        state = await self.journeys.send(case_ref, IcpcHeld(event_id="icpc-1", held_on=self.today(), decision="no_plan"))
        assert state.stage is Stage.CLOSED, state.stage

    async def journey(self, case_ref: str) -> float:
        began = time.perf_counter()
        await self.open_journey(case_ref)
        await self.ready(case_ref)
        await self.close_journey(case_ref)
        answered = time.perf_counter()
        await self.env.client.get_workflow_handle(workflow_id_for(case_ref)).result()
        self.total_latency.append(time.perf_counter() - began)
        return answered - began

    def records(self, prefix: str) -> int:
        with Session(self.engine) as session:
            return session.exec(
                select(func.count()).select_from(JourneyRecord).where(
                    JourneyRecord.case_ref.startswith(prefix), JourneyRecord.kind == "strategy_discussion"
                )
            ).one()

    async def hold_open(self, prefix: str, count: int) -> None:
        """Start count journeys, CONCURRENCY at a time, each until it waits for its ICPC; then wait for their records."""
        refs = [f"{prefix}{i:04d}" for i in range(1, count + 1)]

        async def open_one(index: int) -> float:
            await self.open_journey(refs[index])
            await self.ready(refs[index])
            return 0.0

        await bounded(count, open_one)
        end = time.monotonic() + SETTLE_SECONDS
        while self.records(prefix) < count:
            if time.monotonic() > end:
                raise RuntimeError(f"strategy discussions of {prefix}* not all recorded after {SETTLE_SECONDS}s")
            await asyncio.sleep(0.1)


def row(label: str, count: int, elapsed: float, latencies: list[float]) -> tuple[float, float]:
    rate = count / elapsed
    mean = statistics.fmean(latencies)
    print(f"{label:<36} {rate:8.1f}/s  mean {mean * 1000:7.1f} ms  p95 {p95(latencies) * 1000:7.1f} ms")
    return rate, mean


async def run(n: int, m: int) -> None:
    configure_logging("WARNING")  # the activities log each record at INFO
    with quiet_stdout():  # the dev server prints a banner; keep the table compact
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
            search_attributes=workflows.search_attributes.ALL,
            data_converter=pydantic_data_converter,
            dev_server_log_level="error",
        )
    try:
        with tempfile.TemporaryDirectory(prefix="journey-bench-") as tmp:
            queue = f"bench-{uuid.uuid4().hex[:8]}"
            engine = make_engine(f"sqlite:///{Path(tmp) / 'records.db'}")
            journey_worker = build_worker(
                env.client, task_queue=queue, engine=engine, sender=FileSender(Path(tmp) / "notifications.jsonl")
            )
            baseline_worker = Worker(
                env.client, task_queue=f"{queue}-baseline", workflows=[Baseline], activities=[baseline_noop]
            )
            async with journey_worker, baseline_worker:
                bench = Bench(env, Journeys(env.client, queue), engine, f"{queue}-baseline")
                await measure(bench, journey_worker, n, m)
            engine.dispose()
    finally:
        await env.shutdown()


async def measure(bench: Bench, journey_worker: Worker, n: int, m: int) -> None:
    print(f"dev server + in-process worker, {n} workflows per round, {CONCURRENCY} in flight, policy {POLICY}")
    await bounded(WARMUP, bench.baseline)
    await bounded(WARMUP, lambda i: bench.journey(f"BENCH-W{i + 1:04d}"))
    bench.not_ready, bench.total_latency = 0, []

    base_rate, base_mean = row("baseline: 1 no-op activity", n, *await bounded(n, bench.baseline))
    elapsed, latencies = await bounded(n, lambda i: bench.journey(f"BENCH-{i + 1:04d}"))
    rate, mean = row("journey: start, state, ICPC no_plan", n, elapsed, latencies)
    print(f"{'  (to completion)':<36} {'':>10}  mean {statistics.fmean(bench.total_latency) * 1000:7.1f} ms"
          f"  p95 {p95(bench.total_latency) * 1000:7.1f} ms   state re-reads: {bench.not_ready}")
    print(f"ratio journey/baseline: throughput {rate / base_rate:.2f}   mean latency {mean / base_mean:.2f}")

    rss_before = vmrss_kib()
    await bench.hold_open("BENCH-OPEN-", m)
    rss_after = vmrss_kib()
    held = cached_runs(journey_worker)

    tracemalloc.start()
    gc.collect()
    heap_before = tracemalloc.get_traced_memory()[0]
    await bench.hold_open("BENCH-HEAP-", m)
    gc.collect()
    heap_after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()

    rss_per = (rss_after - rss_before) / m
    heap_per = (heap_after - heap_before) / 1024 / m
    print(f"memory, {m} journeys waiting for their ICPC (worker cache holds {held if held is not None else '?'} runs):")
    print(f"  RSS {rss_before / 1024:,.1f} -> {rss_after / 1024:,.1f} MiB   {rss_per:7.1f} KiB per running journey")
    print(f"  Python heap (tracemalloc)              {heap_per:7.1f} KiB per running journey"
          f"   heap/RSS {heap_per / rss_per if rss_per > 0 else float('nan'):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=200, metavar="N", help="workflows per throughput round")
    parser.add_argument("--open", type=int, default=300, metavar="M", help="journeys held open for the memory figure")
    args = parser.parse_args()
    if args.journeys < 2 or args.open < 1:
        parser.error("--journeys needs at least 2, --open at least 1")
    began = time.perf_counter()
    asyncio.run(run(args.journeys, args.open))
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
