"""How fast does an import of open cases go, against raw workflow starts of a trivial workflow?

Runs on the real Temporal dev server (from .venv/bin, on 127.0.0.1) with the worker in a process of its
own, as production runs ``cpj worker`` beside ``cpj import`` (``journey_bench``'s worker processes:
``worker.build_worker`` on a sqlite file the import writes to as well, a letters file, payloads encrypted
with a key made for the run). Rounds are interleaved, each repeated R times (min / median / max):

1. raw: N true no-op workflows started (``start_workflow``, CONCURRENCY in flight; their worker, a process
   of its own too, returns at once);
2. import: an N-row CSV file through ``starter.imports.run_import``, as ``cpj import`` runs it: every row
   checked, then N journeys started mid-stream on their plans (CONCURRENCY in flight), each row's
   outcome and an audit row written to the records database.

Rows per second is until the last start was answered; "settled" is until every imported journey has
run its first task and written its "case imported" record. CPU per row, over the round and divided by N:
the importing process's (``time.process_time``: reading the file, the client, the import's own rows and
audit) and the worker process's (from /proc). The rows' dates are recent, so no deadline is overdue and
nothing escalates. A council's 50,000 open cases: ``--rows 50000 --repeats 1`` (about half an hour here).

The dev server and the worker processes are stopped at the end, after an error and on Ctrl-C.

Run: .venv/bin/python bench/import_bench.py [--rows N] [--repeats R]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, select  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

import workflows.search_attributes  # noqa: E402
from activities.db import JourneyRecord, make_engine  # noqa: E402
from activities.log import configure_logging  # noqa: E402
from bench_shapes import NoOp  # noqa: E402
from domain.deadlines import london_date  # noqa: E402
from journey_bench import KEY_VARIABLE, WorkerProcess, bounded, project_converter  # noqa: E402
from quiet import quiet_stdout  # noqa: E402
from starter.audit import AuditLog  # noqa: E402
from starter.client import Journeys  # noqa: E402
from starter.identity import Actor  # noqa: E402
from starter.imports import ImportStore, new_run_id, run_import  # noqa: E402
from starter.roles import Role  # noqa: E402

POLICY = "darlington"
CONCURRENCY = 8  # starts in flight at once, in both rounds (the import's own default)
SETTLE_SECONDS = 120
ACTOR = Actor(kind="cli", ref="BENCH-0001", roles=frozenset(Role))
HEADER = "case_ref,policy,on_plan_since,category,last_review,last_visit,last_core_group,lead_social_worker,team"


def csv_of(prefix: str, n: int) -> str:
    """N rows of cases on recent plans: nothing overdue at import, so the worker only starts them."""
    today = london_date(datetime.now(UTC))

    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    rows = [f"{prefix}{i:05d},{POLICY},{day(60)},neglect,{day(20)},{day(2)},{day(5)},SW-1042,Bench team"
            for i in range(1, n + 1)]
    return "\n".join([HEADER, *rows, ""])


class Bench:
    def __init__(self, plain: Client, journeys: Journeys, engine, workers: dict[str, WorkerProcess]) -> None:
        self.plain = plain  # the no-op workflows' client: no project code, as journey_bench's baselines
        self.journeys = journeys
        self.engine = engine
        self.workers = workers
        self.store = ImportStore(engine)
        self.audit = AuditLog(engine)

    async def raw(self, n: int) -> tuple[float, float, float]:
        """N no-op workflows started: (wall seconds, this process's CPU seconds, their worker's CPU seconds)."""
        worker = self.workers["raw"]
        wall, cpu, worker_cpu = time.perf_counter(), time.process_time(), worker.cpu_seconds()

        async def one(index: int) -> None:
            await self.plain.start_workflow(NoOp.run, index, id=f"noop-{uuid.uuid4().hex}",
                                                 task_queue=worker.queue)

        await bounded(n, one, lanes=CONCURRENCY)
        return time.perf_counter() - wall, time.process_time() - cpu, worker.cpu_seconds() - worker_cpu

    async def imported(self, prefix: str, n: int) -> tuple[float, float, float, float]:
        """An N-row file imported: (wall seconds to the last start, this process's CPU seconds, wall seconds to
        settled, the worker's CPU seconds to settled)."""
        text = csv_of(prefix, n)
        run_id = new_run_id()
        self.store.begin(run_id, ACTOR.recorded_as, "cli")
        worker = self.workers["journey"]
        wall, cpu, worker_cpu = time.perf_counter(), time.process_time(), worker.cpu_seconds()
        run = await run_import(text, self.journeys, self.store, ACTOR, run_id, via="cli", audit=self.audit)
        started, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if run.started != n:
            raise RuntimeError(f"{run.started} of {n} started ({run.refused} refused): "
                               f"{[row.reason for row in self.store.rows(run_id, 'refused')][:3]}")
        # The worker may still be catching up with a big file's last starts: a tenth of a second a row at most.
        settle = max(SETTLE_SECONDS, n / 10)
        end = time.monotonic() + settle
        while self.records(prefix) < n:
            if time.monotonic() > end:
                raise RuntimeError(f"the imported journeys {prefix}* were not all recorded after {settle:.0f}s")
            await asyncio.sleep(0.2 if n <= 1000 else 2)  # counting a big import's records often would slow it
        return started, cpu, time.perf_counter() - wall, worker.cpu_seconds() - worker_cpu

    def records(self, prefix: str) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(JourneyRecord).where(
                JourneyRecord.case_ref.startswith(prefix), JourneyRecord.kind == "case_imported")).one()


def spread(values: list[float], fmt: str) -> str:
    return (f"min {format(min(values), fmt)}  median {format(statistics.median(values), fmt)}  "
            f"max {format(max(values), fmt)}")


async def run(n: int, repeats: int) -> None:
    configure_logging("WARNING")  # the import logs nothing per row, but the library's set-up does
    os.environ[KEY_VARIABLE] = secrets.token_hex(32)  # encrypted as in production, with a key for this run only
    with quiet_stdout():
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
            search_attributes=workflows.search_attributes.ALL, data_converter=project_converter(),
            dev_server_log_level="error",
        )
    try:
        with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
            target = env.client.service_client.config.target_host
            workers = {"journey": WorkerProcess("journey", target, tmp), "raw": WorkerProcess("baseline", target, tmp)}
            for worker in workers.values():
                await worker.said("ready")
            # The records database the journeys' worker writes to (journey_bench.serve: <dir>/<queue>.db).
            engine = make_engine(f"sqlite:///{Path(tmp) / workers['journey'].queue}.db")
            try:
                plain = await Client.connect(target, data_converter=pydantic_data_converter)
                journeys = Journeys(env.client, workers["journey"].queue)
                await measure(Bench(plain, journeys, engine, workers), n, repeats)
            finally:
                engine.dispose()
                WorkerProcess.stop_all()
    finally:
        WorkerProcess.stop_all()
        await env.shutdown()


async def measure(bench: Bench, n: int, repeats: int) -> None:
    print(f"dev server + a worker process each, {n} rows per round, {repeats} rounds each, interleaved, "
          f"{CONCURRENCY} in flight, policy {POLICY}", flush=True)
    await bench.raw(20)  # warm-up, not measured: the first runs import into the sandbox
    await bench.imported("WARM-", 20)
    raw_rates, raw_cpu, raw_worker, import_rates, import_cpu, import_worker, settled_rates = [], [], [], [], [], [], []
    for round_number in range(1, repeats + 1):
        wall, cpu, worker_cpu = await bench.raw(n)
        raw_rates.append(n / wall)
        raw_cpu.append(cpu / n * 1000)
        raw_worker.append(worker_cpu / n * 1000)
        # IMP-2002-00001...: the shape Darlington's system issues.
        started, cpu, settled, worker_cpu = await bench.imported(f"IMP-{2001 + round_number}-", n)
        import_rates.append(n / started)
        import_cpu.append(cpu / n * 1000)
        import_worker.append(worker_cpu / n * 1000)
        settled_rates.append(n / settled)
        print(f"  round {round_number} of {repeats}: {n / started:.1f} rows/s imported, {n / settled:.1f} settled "
              f"({settled:.0f} s)", flush=True)
    print(f"{'':<34}            rows/s (min / median / max)      CPU ms/row: importer    worker (medians)")
    print(f"{'raw start of a no-op workflow':<34} {spread(raw_rates, '7.1f')}   "
          f"{statistics.median(raw_cpu):8.2f} {statistics.median(raw_worker):8.2f}")
    print(f"{'import (to the last start)':<34} {spread(import_rates, '7.1f')}   "
          f"{statistics.median(import_cpu):8.2f} {statistics.median(import_worker):8.2f}")
    print(f"{'import (settled: first task run)':<34} {spread(settled_rates, '7.1f')}")
    print(f"ratio import/raw (medians): throughput {statistics.median(import_rates) / statistics.median(raw_rates):.2f}")
    settled = statistics.median(settled_rates)
    print(f"at the settled median, 50,000 open cases would take {50_000 / settled / 60:.1f} minutes "
          f"(issue 12's target: under 20)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=150, metavar="N", help="rows (and raw starts) per round")
    parser.add_argument("--repeats", type=int, default=3, metavar="R", help="rounds of each, interleaved")
    args = parser.parse_args()
    if args.rows < 1 or args.repeats < 1:
        parser.error("--rows and --repeats need at least 1")
    began = time.perf_counter()
    try:
        asyncio.run(run(args.rows, args.repeats))
    except KeyboardInterrupt:
        print("interrupted: the dev server and worker processes were stopped", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        WorkerProcess.stop_all()
    print(f"total {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
