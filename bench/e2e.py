"""End-to-end benchmark: simulated browsers against the real stack (Daphne, Celery, Redis, SQLite).

    .venv/bin/python bench/e2e.py [--jobs 400] [--concurrency 20] [--users 20] [--worker-concurrency 2]
                                  [--runs cold,warm,poll] [--log-level INFO] [--format markdown|json]
    .venv/bin/python bench/e2e.py --url http://127.0.0.1:8000 ...   # a running stack (users via signup)

Without ``--url`` it starts its own stack (bench/_stack.py: an embedded redis-server of its own,
SQLite in a temporary folder, Daphne, one prefork Celery worker, beat) with the job-creation
throttle raised (``THROTTLE_JOB_CREATE_RATE=100000/minute``; the accounts throttles read
``THROTTLE_*_RATE`` in config/settings.py), creates the users, and logs every browser in.

Each browser (asyncio + httpx + websockets) is a closed loop: POST /api/v1/playlists/, open the
job's WebSocket (Origin header, subprotocol ``bearer.<jwt>``), wait for ``job.completed``, next.
Texts come from ``../shared/data/text_emotion/train.csv``; targets are drawn from the 13 emotions,
weighted toward the common transitions (to happiness, enthusiasm, relief, love, fun).

Runs (the same job list each time):
- ``cold``: the prediction and playlist caches emptied first: every text is new to the model;
- ``warm``: the same jobs again: predictions and playlists come from the cache;
- ``poll``: the warm jobs again, but the client GETs the status URL every 500 ms (the original).
Reported per run: jobs/s, p50/p95/p99 of POST→202 and POST→completed, errors by kind, cache hit
ratios (from /metrics), mean time per stage (from the job metrics), CPU seconds per job of the
gateway, the worker (main + pool children) and this client, peak RSS per process.

Open loop (``--open-loop-rates 5,15,30``): instead of the closed-loop runs, jobs *arrive* at each
given mean rate (Poisson: exponential gaps, scheduled against the clock so a slow stack does not
slow the arrivals) for ``--open-loop-seconds``, each job with its own text (never seen before in
the run, so the prediction cache misses; both caches are flushed before each rate). Reported per
rate: p50/p95/p99 POST→completed and the rest as above, then the highest rate whose p99 stays
within ``--p99-target-ms`` (100) with no errors.

``--topology split`` runs the workers as docs/jobs.md splits them (emotion; music; storage +
gateway with beat) instead of one worker on every queue.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._clients import Browser, JobOutcome, drive, login_all  # noqa: E402
from bench._stack import SPLIT_TOPOLOGY, Stack  # noqa: E402

TEXTS_CSV = ROOT.parent / "shared" / "data" / "text_emotion" / "train.csv"
EMOTIONS = (
    "anger", "boredom", "empty", "enthusiasm", "fun", "happiness", "hate", "love", "neutral", "relief", "sadness",
    "surprise", "worry",
)
# Where people want to go: mostly toward the pleasant emotions (sadness → happiness, boredom → enthusiasm).
TARGET_WEIGHTS = {"happiness": 30, "enthusiasm": 15, "relief": 12, "love": 10, "fun": 10, "neutral": 6}


def job_list(count: int, seed: int = 8) -> list[dict]:
    rng = random.Random(seed)
    texts: list[str] = []
    with TEXTS_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = (row.get("content") or "").strip()
            if text:
                texts.append(text[:2000])
    chosen = rng.sample(sorted(set(texts)), count)
    weights = [TARGET_WEIGHTS.get(label, 1) for label in EMOTIONS]
    return [{"text": text, "target_emotion": rng.choices(EMOTIONS, weights)[0]} for text in chosen]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- what the stack's processes cost -------------------------------------------------------------
class ProcessWatch:
    """CPU seconds and peak RSS of the stack's processes by role, sampled in a thread."""

    def __init__(self, stack: Stack | None):
        self.stack = stack
        self.peak_rss: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _roles(self) -> dict[str, list[psutil.Process]]:
        roles = self.stack.processes() if self.stack else {}
        if self.stack and self.stack.redis_process is not None:
            roles["redis"] = [psutil.Process(self.stack.redis_process.pid)]
        roles["client"] = [psutil.Process()]
        return roles

    def cpu(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for role, processes in self._roles().items():
            total = 0.0
            for process in processes:
                try:
                    times = process.cpu_times()
                    total += times.user + times.system
                except psutil.NoSuchProcess:
                    pass
            totals[role] = total
        return totals

    def _sample(self) -> None:
        while not self._stop.is_set():
            for role, processes in self._roles().items():
                for index, process in enumerate(processes):
                    try:
                        rss = process.memory_info().rss / 2**20
                    except psutil.NoSuchProcess:
                        continue
                    name = role if len(processes) == 1 else f"{role}[{'main' if index == 0 else f'child {index}'}]"
                    self.peak_rss[name] = max(self.peak_rss.get(name, 0.0), rss)
            self._stop.wait(0.25)

    def __enter__(self) -> ProcessWatch:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


# --- where the time goes (py-spy) -----------------------------------------------------------------------
# Each on-CPU sample goes to the first bucket one of its frames matches (order matters).
BUCKETS = (
    ("job event publish (channels-redis group_send and its loop)", ("publish (apps/core/events.py", "asyncio/runners.py", "AsyncToSync._run_event_loop", "group_send")),
    ("Celery chain: publish the next step", ("AMQP._retry_publish", "_chain.apply_async", "Signature.apply_async")),
    ("emotion model forward pass", ("apps/emotion/emotion_model.py", "apps/emotion/fast_encoder.py", "torch/")),
    ("playlist engine", ("apps/music/engine.py", "apps/music/playlists.py")),
    ("DB: open a new connection", ("get_new_connection",)),
    ("DB: queries and commits", ("execute_sql", "CursorWrapper.execute", "_commit", "_start_transaction")),
    ("channels-redis (socket groups, receive)", ("channels_redis/",)),
    ("WebSocket consumer (gateway)", ("apps/gateway/consumers.py", "channels/")),
    ("auth (JWT)", ("rest_framework_simplejwt/", "apps/accounts/")),
    ("DRF / Django request handling (gateway)", ("rest_framework/", "django/core/handlers", "django/middleware", "apps/core/middleware.py")),
    ("logging (JSON lines)", ("logging/__init__.py", "pythonjsonlogger")),
    ("metrics (prometheus multiprocess)", ("prometheus_client", "django_prometheus")),
    ("sync/async thread hops (asgiref)", ("asgiref/",)),
    ("asyncio / Twisted I/O (Daphne in the gateway; the event publisher's loop in workers)", ("daphne/", "twisted/", "autobahn/", "asyncio/")),
    # Before Celery's bucket: these run inside a task, so their stacks hold Celery's frames too.
    ("socket and pipe writes (kernel time: Redis over loopback, the pool child's pipe to its parent)",
     ("send_packed_command", "Connection._send (billiard", "SocketBuffer._read_from_socket")),
    ("job rows through the ORM, outside SQL (storage service: row building, save)", ("apps/storage/",)),
    ("Celery / billiard worker machinery", ("celery/", "billiard/", "kombu/")),
    ("thread-pool hand-offs (executor threads waking)", ("concurrent/futures/thread.py", "threading.py")),
)


# Leaf frames that are a thread waiting (py-spy's --nonblocking sampling counts some of them as active).
IDLE_LEAVES = ("EpollSelector.select", "Condition.wait", "_worker (concurrent/futures/thread.py", "Connection._recv (billiard", "Event.wait")


class Profiler:
    """py-spy on the gateway and the worker's pool children while a run lasts (needs ptrace rights)."""

    def __init__(self, stack: Stack, folder: Path):
        self.stack, self.folder = stack, folder
        self.spies: list[tuple[str, Path, subprocess.Popen]] = []

    def __enter__(self) -> Profiler:
        self.folder.mkdir(parents=True, exist_ok=True)
        roles = self.stack.processes()
        targets = [("gateway", roles["gateway"][0].pid)] + [("worker children", p.pid) for p in roles["worker"][1:]]
        for index, (role, pid) in enumerate(targets):
            out = self.folder / f"py-spy-{index}-{pid}.txt"
            argv = [str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(pid), "-r", "100", "-f", "raw", "-o", str(out), "--nonblocking"]
            self.spies.append((role, out, subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        return self

    def __exit__(self, *exc) -> None:
        for _, _, spy in self.spies:
            spy.send_signal(signal.SIGINT)
        for _, _, spy in self.spies:
            spy.wait(timeout=30)

    @classmethod
    def from_folder(cls, folder: Path) -> Profiler:
        """Re-read the profiles a run left (the first file is the gateway's, the rest the pool children's)."""
        profiler = cls(None, folder)  # type: ignore[arg-type]
        for out in sorted(folder.glob("py-spy-*.txt")):
            profiler.spies.append(("gateway" if out.name.startswith("py-spy-0-") else "worker children", out, None))  # type: ignore[arg-type]
        return profiler

    def report(self) -> dict:
        shares: dict[str, dict] = {}
        for role in ("gateway", "worker children"):
            counts: dict[str, int] = {}
            total = 0
            for spy_role, out, _ in self.spies:
                if spy_role != role or not out.is_file():
                    continue
                for line in out.read_text().splitlines():
                    stack, _, number = line.rpartition(" ")
                    if not number.isdigit():
                        continue
                    if any(idle in stack.rsplit(";", 1)[-1] for idle in IDLE_LEAVES):
                        continue
                    total += int(number)
                    bucket = next((name for name, marks in BUCKETS if any(mark in stack for mark in marks)), "other")
                    counts[bucket] = counts.get(bucket, 0) + int(number)
            shares[role] = {name: round(100 * n / total, 1) for name, n in sorted(counts.items(), key=lambda kv: -kv[1])} if total else {}
        return shares


# --- /metrics --------------------------------------------------------------------------------------
def scrape(url: str) -> dict[tuple, float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    samples: dict[tuple, float] = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith("spg_"):
            continue
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def delta(after: dict, before: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def cache_ratio(after: dict, before: dict, cache: str) -> dict:
    hits = delta(after, before, f"spg_{cache}_cache_total", result="hit")
    misses = delta(after, before, f"spg_{cache}_cache_total", result="miss")
    return {"hits": int(hits), "misses": int(misses), "hit_ratio": round(hits / (hits + misses), 3) if hits + misses else None}


def stage_means(after: dict, before: dict) -> dict:
    means = {}
    for stage in ("queued", "predicting", "generating", "saving"):
        total = delta(after, before, "spg_job_stage_duration_ms_sum", stage=stage)
        count = delta(after, before, "spg_job_stage_duration_ms_count", stage=stage)
        means[stage] = round(total / count, 1) if count else None
    total = delta(after, before, "spg_job_duration_ms_sum", outcome="completed")
    count = delta(after, before, "spg_job_duration_ms_count", outcome="completed")
    means["job (queued → completed)"] = round(total / count, 1) if count else None
    return means


# --- one run ---------------------------------------------------------------------------------------
def summarize(name: str, outcomes: list[JobOutcome], wall_s: float, cpu_before: dict, cpu_after: dict, m_before, m_after) -> dict:
    done = [o for o in outcomes if o.status == "completed"]
    errors: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.status != "completed":
            kind = outcome.error_kind or f"ended {outcome.status}"
            errors[kind] = errors.get(kind, 0) + 1
    posts = [o.post_ms for o in outcomes if o.post_ms is not None and o.post_status == 202]
    totals = [o.done_ms for o in done]
    jobs = max(len(done), 1)
    cpu = {role: round((cpu_after.get(role, 0) - cpu_before.get(role, 0)) / jobs * 1000, 2) for role in cpu_after}
    return {
        "run": name,
        "jobs": len(outcomes),
        "completed": len(done),
        "errors": errors,
        "wall_s": round(wall_s, 2),
        "jobs_per_s": round(len(done) / wall_s, 2),
        "post_202_ms": {f"p{q}": _round(percentile(posts, q)) for q in (50, 95, 99)},
        "post_to_completed_ms": {f"p{q}": _round(percentile(totals, q)) for q in (50, 95, 99)},
        "http_requests_per_job": round(sum(o.http_requests for o in outcomes) / jobs, 2),
        "ws_connects_per_job": round(sum(o.ws_connects for o in outcomes) / jobs, 2),
        "cpu_ms_per_job": cpu,
        "prediction_cache": cache_ratio(m_after, m_before, "prediction") if m_after else None,
        "playlist_cache": cache_ratio(m_after, m_before, "playlist") if m_after else None,
        "stage_mean_ms": stage_means(m_after, m_before) if m_after else None,
        # Every socket has closed by now (the server closes after the terminal event): this should be 0.
        "websockets_open_after": m_after.get(("spg_websocket_connections_open", ())) if m_after else None,
    }


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


async def run_once(
    name: str, url: str, browsers: list[Browser], jobs: list[dict], mode: str, watch: ProcessWatch, profiler: Profiler | None = None
) -> dict:
    m_before = await asyncio.to_thread(scrape, url)
    cpu_before = watch.cpu()
    started = time.perf_counter()
    if profiler is not None:
        with profiler:
            outcomes = await drive(browsers, jobs, mode=mode, deadline_s=180)
    else:
        outcomes = await drive(browsers, jobs, mode=mode, deadline_s=180)
    wall = time.perf_counter() - started
    cpu_after = watch.cpu()
    await asyncio.sleep(1.0)  # let the last sockets' server side close before reading the gauge
    m_after = await asyncio.to_thread(scrape, url)
    return summarize(name, outcomes, wall, cpu_before, cpu_after, m_before, m_after)


def flush_caches(stack: Stack | None) -> None:
    if stack is not None:
        stack.flush_cache()


async def signup_users(url: str, count: int) -> list[tuple[str, str]]:
    users, password, stamp = [], "Bench-pass-12345", int(time.time())
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for i in range(count):
            name = f"e2e{stamp}-{i}"
            response = await http.post("/api/v1/auth/signup/", json={"username": name, "email": f"{name}@example.com", "password": password})
            response.raise_for_status()
            users.append((name, password))
    return users


async def bench(args: argparse.Namespace, stack: Stack | None, url: str) -> dict:
    users = await asyncio.to_thread(stack.create_users, args.users, "e2e") if stack else await signup_users(url, args.users)
    logged_in = await login_all(url, users)
    browsers = [logged_in[i % len(logged_in)] for i in range(args.concurrency)]
    # Browsers that share a user share its HTTP client too; give each its own connection.
    browsers = [_clone(b) if i >= len(logged_in) else b for i, b in enumerate(browsers)]
    open_jobs = sum(max(1, round(rate * args.open_loop_seconds)) for rate in args.open_loop_rates)
    jobs = job_list((open_jobs if args.open_loop_rates else args.jobs) + args.warmup)
    warmup, measured = jobs[: args.warmup], jobs[args.warmup :]
    results: dict = {"runs": []}
    with ProcessWatch(stack) as watch:
        if warmup:  # sockets, DB connections, the pool children's first forward passes
            await drive(browsers, warmup, mode="push")
        if args.open_loop_rates:
            results["runs"] = await run_open_loop(args, stack, url, browsers, measured, watch)
            results["highest_rate_p99_within_target"] = highest_rate_within(results["runs"], args.p99_target_ms)
        for run in [] if args.open_loop_rates else args.runs:
            kind, _, clients = run.partition("@")  # "warm@1": the warm run with one browser
            clients = int(clients) if clients else args.concurrency
            run_jobs = measured if clients == args.concurrency else measured[: args.solo_jobs]
            if kind == "cold":
                await asyncio.to_thread(flush_caches, stack)
            mode = "poll" if kind == "poll" else "push"
            print(f"run {run}: {len(run_jobs)} jobs, {clients} browsers, {mode}", file=sys.stderr, flush=True)
            profiler = Profiler(stack, Path(args.profile) / run) if args.profile and stack else None
            results["runs"].append(await run_once(run, url, browsers[:clients], run_jobs, mode, watch, profiler))
            if profiler is not None:
                results.setdefault("time_shares_pct", {})[run] = profiler.report()
        results["peak_rss_mb"] = {name: round(value, 1) for name, value in sorted(watch.peak_rss.items())}
    for browser in {id(b): b for b in browsers}.values():
        await browser.close()
    return results


async def open_loop(browsers: list[Browser], jobs: list[dict], rate: float, seed: int) -> list[JobOutcome]:
    """Jobs arriving at ``rate`` per second on average (Poisson), whatever the stack's latency."""
    rng = random.Random(seed)
    tasks: list[asyncio.Task] = []
    next_at = time.perf_counter()
    for index, job in enumerate(jobs):
        delay = next_at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        browser = browsers[index % len(browsers)]
        tasks.append(asyncio.create_task(browser.run_job(job, mode="push", deadline_s=180)))
        next_at += rng.expovariate(rate)
    return list(await asyncio.gather(*tasks))


async def run_open_loop(args: argparse.Namespace, stack: Stack | None, url: str, browsers: list[Browser], jobs: list[dict], watch: ProcessWatch) -> list[dict]:
    runs, offset = [], 0
    for rate in args.open_loop_rates:
        count = max(1, round(rate * args.open_loop_seconds))
        rate_jobs, offset = jobs[offset : offset + count], offset + count  # texts never sent before: cache-cold
        await asyncio.to_thread(flush_caches, stack)
        print(f"open loop: {count} jobs at {rate} jobs/s (Poisson)", file=sys.stderr, flush=True)
        m_before, cpu_before, started = await asyncio.to_thread(scrape, url), watch.cpu(), time.perf_counter()
        outcomes = await open_loop(browsers, rate_jobs, rate, seed=int(rate * 1000))
        wall, cpu_after = time.perf_counter() - started, watch.cpu()
        await asyncio.sleep(1.0)
        summary = summarize(f"open {rate}/s", outcomes, wall, cpu_before, cpu_after, m_before, await asyncio.to_thread(scrape, url))
        runs.append({**summary, "offered_rate": rate})
    return runs


def highest_rate_within(runs: list[dict], p99_ms: float) -> float | None:
    """The highest offered rate whose p99 POST→completed stayed within ``p99_ms`` with every job completed."""
    good = [r["offered_rate"] for r in runs if r["completed"] == r["jobs"] and (r["post_to_completed_ms"]["p99"] or 1e9) <= p99_ms]
    return max(good, default=None)


def _clone(browser: Browser) -> Browser:
    twin = Browser(browser.base_url, browser.username, browser.password)
    twin.access = browser.access
    return twin


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def ratios(results: dict) -> dict:
    by_run = {r["run"]: r for r in results["runs"]}
    out = {}
    for suffix in ("", "@1"):
        push, poll = by_run.get("warm" + suffix), by_run.get("poll" + suffix)
        if push and poll:
            out.update({f"{name} [{'warm' + suffix} vs {'poll' + suffix}]": value for name, value in _push_poll(push, poll).items()})
    return out


def _push_poll(push: dict, poll: dict) -> dict:
    def ratio(a, b):
        return round(a / b, 2) if a and b else None

    return {
        "poll/push p50 POST→completed": ratio(poll["post_to_completed_ms"]["p50"], push["post_to_completed_ms"]["p50"]),
        "poll/push p99 POST→completed": ratio(poll["post_to_completed_ms"]["p99"], push["post_to_completed_ms"]["p99"]),
        "poll/push HTTP requests per job": ratio(poll["http_requests_per_job"], push["http_requests_per_job"]),
        "poll/push HTTP requests per job (counting the socket upgrade)": ratio(
            poll["http_requests_per_job"], push["http_requests_per_job"] + push["ws_connects_per_job"]
        ),
        "poll/push gateway CPU per job": ratio(poll["cpu_ms_per_job"].get("gateway"), push["cpu_ms_per_job"].get("gateway")),
    }


def markdown(results: dict) -> str:
    lines = ["| run | jobs | completed | errors | jobs/s | POST→202 p50/p95/p99 ms | POST→completed p50/p95/p99 ms | HTTP req/job | WS/job | pred. cache hit | playlist cache hit |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results["runs"]:
        p, t = r["post_202_ms"], r["post_to_completed_ms"]
        lines.append(
            f"| {r['run']} | {r['jobs']} | {r['completed']} | {sum(r['errors'].values()) or 0} {r['errors'] or ''} | {r['jobs_per_s']} | "
            f"{p['p50']} / {p['p95']} / {p['p99']} | {t['p50']} / {t['p95']} / {t['p99']} | {r['http_requests_per_job']} | "
            f"{r['ws_connects_per_job']} | {(r['prediction_cache'] or {}).get('hit_ratio')} | {(r['playlist_cache'] or {}).get('hit_ratio')} |"
        )
    lines += ["", "| run | CPU ms/job: gateway | worker (main + children) | redis | bench client | mean ms: queued | predicting | generating | saving | job |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results["runs"]:
        c, s = r["cpu_ms_per_job"], r["stage_mean_ms"] or {}
        lines.append(
            f"| {r['run']} | {c.get('gateway')} | {c.get('worker')} | {c.get('redis')} | {c.get('client')} | {s.get('queued')} | "
            f"{s.get('predicting')} | {s.get('generating')} | {s.get('saving')} | {s.get('job (queued → completed)')} |"
        )
    if results.get("ratios"):
        lines += ["", "| push vs poll (warm cache; same jobs, same browsers) | ratio |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in results["ratios"].items()]
    for run, roles in (results.get("time_shares_pct") or {}).items():
        for role, shares in roles.items():
            lines += ["", f"Where the busy time of the {role} goes ({run} run, % of non-idle py-spy samples): "
                      + "; ".join(f"{name} {pct}%" for name, pct in shares.items())]
    if "highest_rate_p99_within_target" in results:
        lines += ["", f"Open loop: highest offered rate with p99 POST→completed ≤ {results['args']['p99_target_ms']} ms and no errors: "
                  f"{results['highest_rate_p99_within_target']} jobs/s (of the rates tried)"]
    if results.get("peak_rss_mb"):
        lines += ["", "Peak RSS (MiB): " + ", ".join(f"{k} {v}" for k, v in results["peak_rss_mb"].items())]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running stack (default: start one)")
    parser.add_argument("--jobs", type=int, default=400, help="jobs per run")
    parser.add_argument("--warmup", type=int, default=40, help="jobs before the measured runs (not measured)")
    parser.add_argument("--concurrency", type=int, default=20, help="simulated browsers")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--worker-concurrency", type=int, default=2, help="prefork pool children of the worker")
    parser.add_argument("--runs", default="cold,warm,poll,cold@1,warm@1,poll@1",
                        help="runs in order: cold, warm, poll; NAME@C runs it with C browsers (e.g. warm@1: no queueing)")
    parser.add_argument("--solo-jobs", type=int, default=100, help="jobs for the runs with fewer browsers")
    parser.add_argument("--log-level", default="INFO", help="the stack's LOG_LEVEL")
    parser.add_argument("--open-loop-rates", default="", help="open loop instead of the closed runs: mean arrival rates, jobs/s (e.g. 5,15,30,45)")
    parser.add_argument("--open-loop-seconds", type=float, default=10.0, help="how long jobs arrive at each rate")
    parser.add_argument("--p99-target-ms", type=float, default=100.0, help="open loop: the p99 POST→completed a rate must stay within")
    parser.add_argument("--topology", choices=("single", "split"), default="single",
                        help="single: one worker on every queue + beat; split: emotion / music / storage+gateway+beat workers")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--json-out", help="also write the results as JSON here")
    parser.add_argument("--profile", help="record py-spy profiles of the gateway and pool children into this folder "
                        "(adds sampling overhead: use a separate invocation from the timed one)")
    args = parser.parse_args()
    args.runs = [run.strip() for run in args.runs.split(",") if run.strip()]
    args.open_loop_rates = sorted(float(rate) for rate in args.open_loop_rates.split(",") if rate.strip())
    results: dict = {"machine_before": machine(), "args": {k: v for k, v in vars(args).items() if k != "format"}}
    if args.url:
        results.update(asyncio.run(bench(args, None, args.url.rstrip("/"))))
    else:
        topology = SPLIT_TOPOLOGY if args.topology == "split" else ()
        with Stack(concurrency=args.worker_concurrency, log_level=args.log_level, worker_queues=topology) as stack:
            results.update(asyncio.run(bench(args, stack, stack.url)))
    results["machine_after"] = machine()
    results["ratios"] = ratios(results)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2) if args.format == "json" else markdown(results))
    m = results["machine_before"]
    print(f"\nmachine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB, Python {m['python']}; load average before "
          f"{m['loadavg_1_5_15']}, after {results['machine_after']['loadavg_1_5_15']}; the words that moved each reading: "
          f"{'off' if os.environ.get('EMOTION_EXPLAIN_WORDS', '1').lower() in ('0', 'false', 'off', 'no') else 'on'} "
          "(EMOTION_EXPLAIN_WORDS, passed on to the stack)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
