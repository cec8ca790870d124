"""The real stack as subprocesses, for the end-to-end benchmark and the chaos tests.

One ``Stack`` owns: an embedded redis-server of its own (never the machine's 6379: chaos stops
it), a SQLite file in a temporary folder, Daphne, one or more Celery workers (prefork) and a
separate Celery beat (so killing a worker never kills the stuck-job sweep). Every process gets
the same environment; ``THROTTLE_*`` rates are raised so that load is not throttled.

Given ``postgres_url`` and ``redis_url`` (CI's PostgreSQL + Redis pass), it runs on those servers
instead: a fresh, uniquely named database created on that PostgreSQL server (dropped when the stack
closes, also after a failed start) and three Redis DB indexes of its own (``redis_db_base`` and the
next two, emptied when it starts and closes; the test session's own Redis use is on 0–2).

Workers start with ``-A bench._chaos_worker`` (the project's Celery app plus fault-injection
hooks that do nothing unless a job's text asks for them, see that module). By default every worker
consumes every queue; ``worker_queues=SPLIT_TOPOLOGY`` starts one worker per service group instead
(emotion; music; storage + gateway with beat embedded), as docs/jobs.md splits them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import redis

from apps.core.redis_urls import redis_db_url
from bench._live import free_port, http_ok, scratch_database, stop_process, wait_until

ROOT = Path(__file__).resolve().parent.parent
logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would drown the reports
VENV_BIN = Path(sys.executable).parent
QUEUES = "gateway,emotion,music,storage"
# The services split across workers by routing alone (docs/jobs.md): the model's worker, the
# playlist engine's, and the rest with beat embedded (so killing the emotion worker keeps the sweep).
SPLIT_TOPOLOGY = ("emotion", "music", "storage,gateway")
# Workers start as deployed: on jemalloc where the system has it (the Procfile, docker-compose.yml).
WITH_JEMALLOC = ROOT / "deploy" / "with-jemalloc"


def procfile_command(process: str, **values: str) -> list[str]:
    """The Procfile's command line for ``process``, with ``${NAME:-default}`` filled from ``values``."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    line = next(line for line in lines if line.startswith(f"{process}:")).split(":", 1)[1]
    expanded = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: values.get(m.group(1), m.group(2)), line)
    argv = shlex.split(expanded)
    return [str(VENV_BIN / argv[0]), *argv[1:]]


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log: Path
    concurrency: int
    queues: str = QUEUES
    beat: bool = False

    @property
    def loads_model(self) -> bool:
        """Only a worker that consumes the emotion queue loads the model (apps/emotion/signals.py)."""
        return "emotion" in self.queues.split(",")

    def children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


@dataclass
class Stack:
    """Start with ``with Stack(...) as stack:``; everything stops (and the folder goes) on exit."""

    concurrency: int = 2
    workers: int = 1
    log_level: str = "INFO"
    deadline_s: int = 180  # above CELERY_TASK_TIME_LIMIT (120 by default), or the stack refuses to start
    sweep_interval_s: int = 30
    visibility_timeout_s: int = 300
    extra_env: dict = field(default_factory=dict)
    keep_home: bool = False
    with_beat: bool = True  # False (and workers=0): just Daphne, for tests of the HTTP edge
    # One worker per entry (its -Q list) instead of ``workers`` all-queue workers; the last one runs
    # beat embedded (``--beat``, as docs/jobs.md splits it) and no separate beat process starts.
    worker_queues: tuple[str, ...] = ()
    # A PostgreSQL server to run on (any database of it: the stack creates its own there), and a Redis
    # server to run on; None: a SQLite file in the stack's folder, and the stack's own redis-server.
    postgres_url: str | None = None
    redis_url: str | None = None
    redis_db_base: int = 4  # on a given Redis: broker, channel layer and cache on this index and the next two

    def __post_init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="spg-stack-"))
        self.port = free_port()
        self.redis_port = (urlsplit(self.redis_url).port or 6379) if self.redis_url else free_port()
        self.redis_server = self.redis_url or f"redis://127.0.0.1:{self.redis_port}"
        self.redis_dbs = tuple(range(self.redis_db_base, self.redis_db_base + 3)) if self.redis_url else (0, 1, 2)
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_origin = self.url
        self.db_path = self.home / "db.sqlite3"
        self.database_url = f"sqlite:///{self.db_path}"  # the PostgreSQL database's, once start() created it
        self._cleanup = ExitStack()
        self.chaos_dir = self.home / "chaos"
        self.chaos_dir.mkdir()
        self.redis_handle = None
        self.redis_process: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.worker_list: list[Worker] = []
        self._log_files: list = []
        self._worker_count = 0

    # --- environment -------------------------------------------------------------------------
    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTEST_VERSION", "PYTEST_CURRENT_TEST"}}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_ENV="local",  # a development stack (settings are the production profile otherwise)
            DATABASE_URL=self.database_url,
            SPG_VAR_DIR=str(self.home),
            REDIS_URL=self.redis_server,
            REDIS_DB_BROKER=str(self.redis_dbs[0]),
            REDIS_DB_CHANNELS=str(self.redis_dbs[1]),
            REDIS_DB_CACHE=str(self.redis_dbs[2]),
            PROMETHEUS_MULTIPROC_DIR=str(self.home / "prometheus"),
            DJANGO_DEBUG="0",
            LOG_LEVEL=self.log_level,
            PYTHONUNBUFFERED="1",
            PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            # Load must not be throttled: the accounts throttles read these (config/settings.py).
            THROTTLE_LOGIN_RATE="100000/minute",
            THROTTLE_SIGNUP_RATE="100000/minute",
            THROTTLE_JOB_CREATE_RATE="100000/minute",
            JOB_DEADLINE_SECONDS=str(self.deadline_s),
            JOB_SWEEP_INTERVAL_SECONDS=str(self.sweep_interval_s),
            CELERY_VISIBILITY_TIMEOUT=str(self.visibility_timeout_s),
            SPG_CHAOS_DIR=str(self.chaos_dir),
        )
        env.update({k: str(v) for k, v in self.extra_env.items()})
        return env

    def _log(self, name: str):
        handle = (self.home / f"{name}.log").open("a")
        self._log_files.append(handle)
        return handle

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = self._log(name)
        return subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    # --- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        if self.postgres_url:
            self.database_url = self._cleanup.enter_context(scratch_database(self.postgres_url, f"stack_{uuid.uuid4().hex[:10]}"))
        if self.redis_url:
            self.flush_redis()  # nothing left from an earlier run that was killed
            self._cleanup.callback(self.flush_redis)
        else:
            self.start_redis()
            self._cleanup.callback(self.stop_redis)
        (self.home / "prometheus").mkdir()
        setup = (
            "import django; django.setup(); from django.core.management import call_command as c; "
            "c('migrate', interactive=False, verbosity=0); c('load_starter_data')"
        )
        subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=self.env, check=True, timeout=300, capture_output=True)
        self.start_web()
        for index, queues in enumerate(self.worker_queues):
            self.start_worker(queues=queues, beat=index == len(self.worker_queues) - 1)
        for _ in range(0 if self.worker_queues else self.workers):
            self.start_worker()
        if self.with_beat and not self.worker_queues:
            self.start_beat()
        self.wait_ready()

    def wait_ready(self, timeout: float = 180) -> None:
        wait_until(lambda: http_ok(f"{self.url}/healthz"), timeout, "Daphne answering /healthz")
        for worker in self.worker_list:
            self.wait_worker_ready(worker, timeout)

    def close(self) -> None:
        for worker in self.worker_list:
            stop_process(worker.process)
        stop_process(self.beat)
        stop_process(self.web)
        try:
            self._cleanup.close()  # Redis stopped or the stack's DB indexes emptied; the PostgreSQL database dropped
        finally:
            self._close_logs()

    def _close_logs(self) -> None:
        for handle in self._log_files:
            handle.close()
        if not self.keep_home:
            shutil.rmtree(self.home, ignore_errors=True)

    # --- Redis (the stack's own, or its DB indexes on a given one) ------------------------------------
    def start_redis(self) -> None:
        """Start the stack's own redis-server (again, after ``stop_redis``, on the same port)."""
        from apps.core import embedded_redis

        if self.redis_url:
            raise RuntimeError("this stack runs on a Redis it does not own: it cannot start or stop it (chaos needs its own)")
        self.redis_handle, self.redis_process = embedded_redis.start(port=self.redis_port)

    def redis_client(self, index: int) -> redis.Redis:
        """A client for the stack's ``index``-th Redis DB (0 broker, 1 channel layer, 2 cache)."""
        return redis.Redis.from_url(redis_db_url(self.redis_server, self.redis_dbs[index]))

    def flush_redis(self) -> None:
        """Empty the stack's Redis DB indexes (and no other)."""
        for index in range(len(self.redis_dbs)):
            with self.redis_client(index) as client:
                client.flushdb()

    def flush_cache(self) -> None:
        """Empty the stack's cache: predictions, playlists, throttle counters, refresh grace."""
        with self.redis_client(2) as client:
            client.flushdb()

    def stop_redis(self) -> None:
        """Stop the stack's own redis-server (its data is gone: the embedded one keeps nothing)."""
        from apps.core import embedded_redis

        if self.redis_handle is not None and self.redis_process is not None:
            embedded_redis.stop(self.redis_handle, self.redis_process)
        self.redis_handle = self.redis_process = None

    # --- Daphne --------------------------------------------------------------------------------
    def start_web(self) -> None:
        """Daphne exactly as the Procfile (`make run`) starts it, on this stack's port."""
        self.web = self._spawn("daphne", procfile_command("web", HOST="127.0.0.1", PORT=str(self.port)))

    def restart_web(self, sig: int = signal.SIGKILL) -> float:
        """Kill Daphne (SIGKILL by default: open sockets just drop) and start a new one on the same port.
        Returns the seconds until the new one answers."""
        started = time.monotonic()
        os.killpg(self.web.pid, sig)
        self.web.wait(timeout=20)
        self.start_web()
        wait_until(lambda: http_ok(f"{self.url}/healthz"), 120, "the new Daphne answering /healthz")
        return time.monotonic() - started

    # --- Celery --------------------------------------------------------------------------------
    def start_worker(self, concurrency: int | None = None, queues: str = QUEUES, beat: bool = False) -> Worker:
        self._worker_count += 1
        name = f"w{self._worker_count}-{self.port}"
        argv = [
            str(WITH_JEMALLOC), str(VENV_BIN / "celery"), "-A", "bench._chaos_worker", "worker", "-Q", queues,
            "--pool", "prefork", "--concurrency", str(concurrency or self.concurrency),
            "--without-gossip", "--without-mingle", "-n", f"{name}@%h", "--loglevel", self.log_level,
        ]
        if beat:
            argv += ["--beat", "--schedule", str(self.home / "celerybeat-schedule")]
        worker = Worker(
            name=name, process=self._spawn(name, argv), log=self.home / f"{name}.log",
            concurrency=concurrency or self.concurrency, queues=queues, beat=beat,
        )
        self.worker_list.append(worker)
        return worker

    def replace_worker(self, worker: Worker) -> Worker:
        """SIGKILL ``worker`` and start a new one on the same queues (and beat, if it ran it)."""
        self.kill_worker(worker)
        return self.start_worker(worker.concurrency, queues=worker.queues, beat=worker.beat)

    def wait_worker_ready(self, worker: Worker, timeout: float = 180) -> None:
        def ready() -> bool:
            if worker.process.poll() is not None:
                raise RuntimeError(f"worker {worker.name} exited ({worker.process.returncode}); see {worker.log}")
            text = worker.log.read_text(errors="replace")
            # Pool children load the emotion model after the worker says "ready" (worker_process_init).
            return " ready." in text and text.count("emotion model loaded") >= (worker.concurrency if worker.loads_model else 0)

        wait_until(ready, timeout, f"worker {worker.name} ready" + (" with the model loaded" if worker.loads_model else ""), interval=0.2)

    def kill_worker(self, worker: Worker) -> None:
        """SIGKILL the whole worker: its main process and every pool child, no warm shutdown."""
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
        self.worker_list.remove(worker)

    def start_beat(self) -> None:
        self.beat = self._spawn(
            "beat",
            [str(VENV_BIN / "celery"), "-A", "config", "beat", "--schedule", str(self.home / "celerybeat-schedule"), "--loglevel", "WARNING"],
        )

    # --- observation ---------------------------------------------------------------------------
    def processes(self) -> dict[str, list[psutil.Process]]:
        """Live processes by role (gateway, worker = main processes and pool children)."""
        roles: dict[str, list[psutil.Process]] = {"gateway": [], "worker": []}
        if self.web is not None and self.web.poll() is None:
            roles["gateway"].append(psutil.Process(self.web.pid))
        for worker in self.worker_list:
            if worker.process.poll() is None:
                roles["worker"].append(psutil.Process(worker.process.pid))
                roles["worker"].extend(worker.children())
        return roles

    def metrics_text(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=10).text

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the stack's database directly (``?`` placeholders on either database). SQLite: read-only,
        WAL, so it never blocks the stack's writers; PostgreSQL: one autocommit connection per call."""
        if self.postgres_url:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as connection:
                return connection.execute(sql.replace("?", "%s"), params).fetchall()
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10) as connection:
            return connection.execute(sql, params).fetchall()

    def create_users(self, count: int, prefix: str = "bench") -> list[tuple[str, str]]:
        """``count`` users sharing one password (hashed once), created in one transaction."""
        password = "Bench-pass-12345"
        code = (
            "import django, json, sys; django.setup();"
            "from django.contrib.auth import get_user_model; from django.contrib.auth.hashers import make_password;"
            f"U = get_user_model(); h = make_password({password!r}); names = [f'{prefix}{{i}}' for i in range({count})];"
            "U.objects.bulk_create([U(username=n, email=f'{n}@example.com', password=h) for n in names], ignore_conflicts=True)"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=self.env, check=True, timeout=120, capture_output=True)
        return [(f"{prefix}{i}", password) for i in range(count)]

    def job_rows(self) -> dict[str, dict]:
        rows = self.query("SELECT id, status, seq, error_code FROM storage_playlistjob")
        return {_uuid(r[0]): {"status": r[1], "seq": r[2], "error_code": r[3]} for r in rows}

    def dead_letters(self) -> list[dict]:
        rows = self.query("SELECT job_id, task_name, exception_type FROM storage_deadletter")
        return [{"job_id": _uuid(r[0]) if r[0] else None, "task": r[1], "exception": r[2]} for r in rows]

    def logs_tail(self, chars: int = 3000) -> str:
        parts = []
        for path in sorted(self.home.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)


def _uuid(value: object) -> str:
    """SQLite stores UUIDs as 32 hex digits (PostgreSQL returns UUIDs); the API shows them dashed."""
    value = str(value).replace("-", "")
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def dump(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str)
