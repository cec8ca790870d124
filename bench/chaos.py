"""Chaos: the playlist pipeline under a steady load of jobs while parts of it die. Nothing may be lost.

    .venv/bin/python bench/chaos.py [--scenario all|kill-child|kill-worker|redis|daphne|db-lock]
                                    [--jobs 60] [--outage 10] [--format text|json]

Every scenario starts load through simulated browsers (bench/_clients.py), injects one fault into a
real stack (bench/_stack.py: Daphne, prefork Celery worker, Celery beat, the stack's own embedded
redis-server, SQLite), then reconciles what the clients saw with the database. Every accepted job
must end **completed**, or **failed with a DeadLetter row and a job.failed event**; none lost (no
end state), none stuck in progress, no duplicate results (exactly one terminal event per job, one
dead letter per failed job), and no half-saved job (the database holds exactly the accepted jobs).

The same scenario functions, with smaller numbers, are the bounded CI tests in tests/chaos/.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import signal
import sqlite3
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._clients import Browser, JobOutcome, login_all  # noqa: E402
from bench._stack import Stack, dump  # noqa: E402

TEXTS_CSV = ROOT.parent / "shared" / "data" / "text_emotion" / "train.csv"
TARGETS = ("happiness", "enthusiasm", "relief", "love", "fun", "neutral")

# A short deadline and sweep so that a lost job is failed and dead-lettered within a minute (above the
# ~15-30 s a replaced pool child needs to load the model on a busy 2-core machine), and a
# visibility timeout well above the slowed-down tasks (an unacked message is redelivered after it).
# Two workers (one pool child each): killing one leaves the other to carry the load and run the sweep.
# The task time limit stays below the deadline (the stack refuses to start otherwise).
CHAOS_STACK = {
    "workers": 2, "concurrency": 1, "deadline_s": 45, "sweep_interval_s": 2, "visibility_timeout_s": 90,
    "extra_env": {"SQLITE_BUSY_TIMEOUT": "3", "CELERY_TASK_TIME_LIMIT": "40", "CELERY_TASK_SOFT_TIME_LIMIT": "35"},
}


def load_texts(limit: int = 2000) -> list[str]:
    if not TEXTS_CSV.is_file():
        return [f"Today felt strange and heavy, number {i}." for i in range(limit)]
    texts = []
    with TEXTS_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("content") or "").strip()
            if text:
                texts.append(text[:500])
            if len(texts) >= limit:
                break
    return texts


class Load:
    """Jobs started at a steady rate by a pool of browsers (round robin); collects every outcome."""

    def __init__(self, browsers: list[Browser], texts: list[str], *, deadline_s: float = 150.0):
        self.browsers, self.texts, self.deadline_s = browsers, texts, deadline_s
        self.tasks: list[asyncio.Task] = []
        self.live: list[JobOutcome] = []  # filled in by the running clients
        self.sent = 0

    def job(self, slow_s: float | None = None) -> dict:
        text = self.texts[self.sent % len(self.texts)]
        if slow_s:
            text = f"{text} [chaos-slow:{slow_s}]"
        return {"text": text, "target_emotion": TARGETS[self.sent % len(TARGETS)]}

    def start_one(self, slow_s: float | None = None) -> asyncio.Task:
        browser = self.browsers[self.sent % len(self.browsers)]
        outcome = JobOutcome()
        task = asyncio.create_task(browser.run_job(self.job(slow_s), deadline_s=self.deadline_s, outcome=outcome))
        self.live.append(outcome)
        self.sent += 1
        self.tasks.append(task)
        return task

    async def steady(self, count: int, rate: float, *, slow_every: int = 0, slow_s: float = 1.5) -> None:
        for index in range(count):
            slow = slow_s if slow_every and index % slow_every == 0 else None
            self.start_one(slow)
            await asyncio.sleep(1.0 / rate)

    async def outcomes(self) -> list[JobOutcome]:
        return list(await asyncio.gather(*self.tasks))


def reconcile(stack: Stack, outcomes: list[JobOutcome], *, user_prefix: str) -> dict:
    """Compare what the clients saw with the database. ``lost`` and ``stuck`` must be 0."""
    accepted = [o for o in outcomes if o.job_id]
    refused = [o for o in outcomes if not o.job_id]
    rows = stack.job_rows()
    user_jobs = {
        str(r[0]).replace("-", "")
        for r in stack.query(
            "SELECT j.id FROM storage_playlistjob j JOIN accounts_user u ON u.id = j.user_id WHERE u.username LIKE ?", (user_prefix + "%",)
        )
    }
    letters: dict[str, int] = {}
    for letter in stack.dead_letters():
        if letter["job_id"]:
            letters[letter["job_id"]] = letters.get(letter["job_id"], 0) + 1
    completed = failed_dead_lettered = lost = stuck = 0
    failed_by_code: dict[str, int] = {}
    problems: list[str] = []
    for outcome in accepted:
        row = rows.get(outcome.job_id)
        db_status = row["status"] if row else None
        if db_status == "completed":
            completed += 1
            if letters.get(outcome.job_id):
                problems.append(f"{outcome.job_id}: completed but dead-lettered")
        elif db_status == "failed":
            failed_dead_lettered += 1
            failed_by_code[row["error_code"]] = failed_by_code.get(row["error_code"], 0) + 1
            if letters.get(outcome.job_id, 0) != 1:
                problems.append(f"{outcome.job_id}: failed with {letters.get(outcome.job_id, 0)} dead letters (want 1)")
        elif db_status is None:
            lost += 1
            problems.append(f"{outcome.job_id}: accepted but not in the database")
        else:
            stuck += 1
            problems.append(f"{outcome.job_id}: stuck in {db_status}")
        if db_status in ("completed", "failed") and outcome.status != db_status:
            problems.append(f"{outcome.job_id}: client saw {outcome.status!r} ({outcome.error_kind}), database says {db_status}")
        if outcome.ws_connects and outcome.terminal_events != 1:
            problems.append(f"{outcome.job_id}: {outcome.terminal_events} terminal events (want exactly 1)")
        seqs = [e["seq"] for e in outcome.events if e["type"] != "reconnect" and e["seq"] is not None]
        if any(b <= a for a, b in zip(seqs, seqs[1:], strict=False)):
            problems.append(f"{outcome.job_id}: seq not increasing {seqs}")
    half_saved = len(user_jobs) - len({o.job_id.replace("-", "") for o in accepted})
    if half_saved:
        problems.append(f"{half_saved} job rows in the database that no client was told about (half-saved)")
    refused_kinds: dict[str, int] = {}
    for outcome in refused:
        refused_kinds[outcome.error_kind or "?"] = refused_kinds.get(outcome.error_kind or "?", 0) + 1
    return {
        "sent": len(outcomes),
        "accepted": len(accepted),
        "refused": len(refused),
        "refused_by_kind": refused_kinds,
        "completed": completed,
        "failed_dead_lettered": failed_dead_lettered,
        "failed_by_code": failed_by_code,
        "lost": lost,
        "stuck": stuck,
        "half_saved": half_saved,
        "reconnects": sum(1 for o in accepted for e in o.events if e["type"] == "reconnect"),
        "problems": problems,
    }


def print_report(name: str, did: list[str], counts: dict) -> None:
    print(f"\n== chaos: {name}")
    for line in did:
        print(f"   did: {line}")
    print(
        "   jobs sent {sent} / accepted {accepted} / completed {completed} / failed+dead-lettered {failed_dead_lettered}"
        " / lost {lost} / stuck {stuck} / refused {refused} {refused_by_kind} / half-saved {half_saved}"
        " / socket reconnects {reconnects}; failed by code {failed_by_code}".format(**counts)
    )
    for problem in counts["problems"][:20]:
        print(f"   PROBLEM: {problem}")


async def _browsers(stack: Stack, prefix: str, count: int) -> list[Browser]:
    users = await asyncio.to_thread(stack.create_users, count, prefix)
    return await login_all(stack.url, users)


async def _close(browsers: list[Browser]) -> None:
    for browser in browsers:
        await browser.close()


async def _wait_for_busy_child(stack: Stack, timeout: float = 60.0, skip: tuple[str, ...] = ()) -> tuple[int, str]:
    """The pid of a pool child in the middle of a (slowed-down) task, and its job id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for marker in stack.chaos_dir.glob("busy-*"):
            try:
                job_id = marker.read_text()
            except FileNotFoundError:
                continue
            if job_id and job_id not in skip:
                return int(marker.name.split("-", 1)[1]), job_id
        await asyncio.sleep(0.02)
    raise RuntimeError("no pool child picked up a slowed-down task in time")


def _models_loaded(stack: Stack) -> int:
    return sum(worker.log.read_text(errors="replace").count("emotion model loaded") for worker in stack.worker_list)


# --- 1. SIGKILL a pool child mid-task ---------------------------------------------------------------
async def kill_child(stack: Stack, *, jobs: int = 24, rate: float = 4.0, kills: int = 1, prefix: str = "chaos1-") -> dict:
    browsers = await _browsers(stack, prefix, 3)
    load = Load(browsers, load_texts())
    did, killed_jobs = [], []
    steady = asyncio.create_task(load.steady(jobs, rate, slow_every=max(1, jobs // (kills * 4)), slow_s=1.5))
    for kill in range(kills):
        loaded_before = _models_loaded(stack)
        pid, job_id = await _wait_for_busy_child(stack, skip=tuple(killed_jobs))
        os.kill(pid, signal.SIGKILL)
        (stack.chaos_dir / f"busy-{pid}").unlink(missing_ok=True)
        killed_jobs.append(job_id)
        did.append(f"SIGKILLed pool child {pid} in the middle of job {job_id}'s emotion task")
        if kill < kills - 1:  # the parent replaces the child, which loads the model before it takes work
            await asyncio.to_thread(_wait, lambda before=loaded_before: _models_loaded(stack) > before, 180)
    await steady
    outcomes = await load.outcomes()
    await _close(browsers)
    counts = reconcile(stack, outcomes, user_prefix=prefix)
    rows = stack.job_rows()
    counts["killed_jobs_completed"] = sum(1 for job in killed_jobs if rows.get(job, {}).get("status") == "completed")
    counts["killed_jobs"] = len(killed_jobs)
    did.append(f"{counts['killed_jobs_completed']}/{len(killed_jobs)} killed jobs completed after acks-late redelivery")
    print_report("SIGKILL a worker child mid-task", did, counts)
    return counts


def _when(value: object) -> datetime:
    """A timestamp column as read back: Django's ISO text from SQLite, a datetime from PostgreSQL."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _wait(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not check():
        time.sleep(0.2)


# --- 2. SIGKILL the whole worker, start a new one -------------------------------------------------
async def kill_worker(stack: Stack, *, jobs: int = 20, rate: float = 5.0, prefix: str = "chaos2-") -> dict:
    browsers = await _browsers(stack, prefix, 3)
    load = Load(browsers, load_texts(), deadline_s=240)
    steady = asyncio.create_task(load.steady(jobs, rate, slow_every=4, slow_s=2.0))
    pid, job_id = await _wait_for_busy_child(stack)
    old = next(worker for worker in stack.worker_list if pid in {child.pid for child in worker.children()})
    killed_at = time.time()
    new = stack.replace_worker(old)  # on the same queues
    for marker in stack.chaos_dir.glob("busy-*"):
        marker.unlink(missing_ok=True)
    did = [
        f"SIGKILLed a whole worker (main {old.process.pid} and its pool child, queues {old.queues}) while job {job_id} "
        f"was mid-task; {len(stack.worker_list) - 1} other worker(s) kept running"
    ]
    await steady
    outcomes = await load.outcomes()
    await asyncio.to_thread(stack.wait_worker_ready, new)
    did.append(f"started a new worker ({new.name}); ready with the model {time.time() - killed_at:.1f}s after the kill")
    await _close(browsers)
    counts = reconcile(stack, outcomes, user_prefix=prefix)
    swept = stack.query(
        "SELECT j.queued_at, j.failed_at FROM storage_playlistjob j "
        "JOIN accounts_user u ON u.id = j.user_id WHERE j.error_code = 'timed_out' AND u.username LIKE ?",
        (prefix + "%",),
    )
    counts["swept"] = len(swept)
    counts["max_swept_after_s"] = round(max(((_when(f) - _when(q)).total_seconds() for q, f in swept), default=0.0), 1)
    counts["sweep_bound_s"] = stack.deadline_s + stack.sweep_interval_s
    did.append(
        f"{counts['swept']} in-flight jobs swept to failed+dead-lettered, at most {counts['max_swept_after_s']}s after queueing "
        f"(deadline {stack.deadline_s}s + sweep every {stack.sweep_interval_s}s)"
    )
    print_report("SIGKILL the whole worker, start a new one", did, counts)
    return counts


# --- 3. Stop the stack's own Redis, start it again on the same port ---------------------------------
async def redis_outage(stack: Stack, *, outage_s: float = 10.0, rate: float = 3.0, prefix: str = "chaos3-") -> dict:
    browsers = await _browsers(stack, prefix, 3)
    load = Load(browsers, load_texts(), deadline_s=240)
    did: list[str] = []
    await load.steady(int(rate * 3), rate)  # before
    before = len(load.tasks)
    await asyncio.to_thread(stack.stop_redis)
    stopped = time.monotonic()
    did.append(f"stopped the stack's own redis-server (port {stack.redis_port}) under load")
    readyz_during: list[dict] = []
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
        while time.monotonic() - stopped < outage_s:
            load.start_one()
            response = await http.get("/readyz")
            readyz_during.append({"http": response.status_code, "body": response.json()})
            await asyncio.sleep(1.0 / rate)
        during = load.tasks[before:]
        await asyncio.to_thread(stack.start_redis)
        did.append(f"started redis-server again on the same port after {time.monotonic() - stopped:.1f}s; nothing else restarted")
        recovered = time.monotonic()
        while (await http.get("/readyz")).status_code != 200:
            await asyncio.sleep(0.1)
        did.append(f"/readyz answered 200 again {time.monotonic() - recovered:.2f}s later")
    after_start = len(load.tasks)
    await load.steady(int(rate * 5), rate)  # after
    outcomes = await load.outcomes()
    await _close(browsers)
    counts = reconcile(stack, outcomes, user_prefix=prefix)
    during_outcomes = [task.result() for task in during]
    refused = [o for o in during_outcomes if not o.job_id]
    counts["posts_during_outage"] = len(during_outcomes)
    counts["during_outage"] = [(o.post_status or o.error_kind, round(o.post_ms or 0)) for o in during_outcomes]
    counts["refused_during_outage_503_json"] = sum(
        1 for o in refused if o.post_status == 503 and (o.error_body or {}).get("error", {}).get("code") == "unavailable"
    )
    counts["max_refusal_ms"] = round(max((o.post_ms or 0 for o in refused), default=0.0), 1)
    counts["readyz_during"] = readyz_during[:1]
    counts["readyz_redis_down_every_time"] = all(
        r["http"] == 503 and r["body"].get("checks", {}).get("redis") == "down" for r in readyz_during
    )
    after = [task.result() for task in load.tasks[after_start:]]
    counts["after_recovery_accepted"] = sum(1 for o in after if o.job_id)
    counts["after_recovery_completed"] = sum(1 for o in after if o.status == "completed")
    counts["after_recovery_sent"] = len(after)
    did.append(
        f"during the outage {counts['refused_during_outage_503_json']}/{counts['posts_during_outage']} POSTs answered 503 JSON "
        f"(slowest {counts['max_refusal_ms']} ms); after it {counts['after_recovery_completed']}/{len(after)} jobs completed"
    )
    print_report("stop Redis, start it again", did, counts)
    return counts


# --- 4. Restart Daphne while sockets are open ---------------------------------------------------------
async def restart_daphne(stack: Stack, *, open_jobs: int = 6, after_jobs: int = 6, prefix: str = "chaos4-") -> dict:
    browsers = await _browsers(stack, prefix, 3)
    load = Load(browsers, load_texts(), deadline_s=240)
    for _ in range(open_jobs):
        load.start_one(slow_s=3.0)
        await asyncio.sleep(0.1)
    # Wait until every job's socket is open (its snapshot arrived), then pull Daphne out from under them.
    while not all(o.ws_connects or task.done() for o, task in zip(load.live, load.tasks, strict=True)):
        await asyncio.sleep(0.05)
    open_sockets = sum(1 for task in load.tasks if not task.done())
    took = await asyncio.to_thread(stack.restart_web)
    did = [f"SIGKILLed Daphne with {open_sockets} job sockets open; a new Daphne answered on the same port {took:.1f}s later"]
    await load.steady(after_jobs, 3.0)
    outcomes = await load.outcomes()
    await _close(browsers)
    counts = reconcile(stack, outcomes, user_prefix=prefix)
    first = outcomes[:open_jobs]
    counts["open_during_restart"] = open_sockets
    counts["open_reconnected_and_completed"] = sum(
        1 for o in first if o.status == "completed" and o.terminal_events == 1 and o.ws_connects >= 2
    )
    did.append(f"{counts['open_reconnected_and_completed']}/{open_jobs} of those clients reconnected with last_seq and got the result")
    print_report("restart Daphne with sockets open", did, counts)
    return counts


# --- 5. The database locked ----------------------------------------------------------------------------
def _hold_write_lock(db_path: Path, seconds: float, held: threading.Event) -> None:
    connection = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        held.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


async def db_locked(stack: Stack, *, lock_s: float = 8.0, rate: float = 3.0, prefix: str = "chaos5-") -> dict:
    browsers = await _browsers(stack, prefix, 3)
    load = Load(browsers, load_texts(), deadline_s=240)
    await load.steady(int(rate * 2), rate)
    before = len(load.tasks)
    held = threading.Event()
    locker = threading.Thread(target=_hold_write_lock, args=(stack.db_path, lock_s, held), daemon=True)
    locker.start()
    await asyncio.to_thread(held.wait, 30)
    did = [f"held SQLite's write lock (BEGIN EXCLUSIVE) for {lock_s:g}s under load; the stack's busy timeout is "
           f"{stack.env.get('SQLITE_BUSY_TIMEOUT', '20')}s"]
    await load.steady(int(rate * lock_s), rate)
    during = load.tasks[before:]
    await asyncio.to_thread(locker.join)
    await load.steady(int(rate * 3), rate)
    outcomes = await load.outcomes()
    await _close(browsers)
    counts = reconcile(stack, outcomes, user_prefix=prefix)
    during_outcomes = [task.result() for task in during]
    refused = [o for o in during_outcomes if not o.job_id]
    counts["posts_during_lock"] = len(during_outcomes)
    counts["refused_during_lock"] = len(refused)
    counts["refused_503_json"] = sum(
        1 for o in refused if o.post_status == 503 and (o.error_body or {}).get("error", {}).get("code") == "unavailable"
    )
    counts["server_errors"] = sum(1 for o in outcomes if (o.post_status or 0) >= 500 and o.post_status != 503)
    did.append(
        f"during the lock {len(during_outcomes) - len(refused)} POSTs waited and were accepted, {counts['refused_503_json']} "
        f"answered 503 JSON, {counts['server_errors']} other 5xx"
    )
    print_report("database locked", did, counts)
    return counts


SCENARIOS = {
    "kill-child": kill_child,
    "kill-worker": kill_worker,
    "redis": redis_outage,
    "daphne": restart_daphne,
    "db-lock": db_locked,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=["all", *SCENARIOS], default="all")
    parser.add_argument("--jobs", type=int, default=60, help="jobs per kill scenario")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds Redis stays down / the database stays locked")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args()
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    params = {
        "kill-child": {"jobs": args.jobs, "kills": 3, "rate": 1.0},
        "kill-worker": {"jobs": args.jobs, "rate": 2.0},
        "redis": {"outage_s": args.outage},
        "daphne": {"open_jobs": 10, "after_jobs": 10},
        "db-lock": {"lock_s": args.outage},
    }
    results = {}
    with Stack(**CHAOS_STACK) as stack:
        print(f"stack: {stack.url}, home {stack.home}")
        for name in names:
            results[name] = asyncio.run(SCENARIOS[name](stack, **params[name]))
    if args.format == "json":
        print(dump(results))
    bad = {name: r for name, r in results.items() if r["lost"] or r["stuck"] or r["problems"]}
    print("\nnothing lost" if not bad else f"\nFAILED: {sorted(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
