"""deploy/with-jemalloc: workers run on jemalloc where the system has it, on glibc's malloc where it has not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import SYSTEM_JEMALLOC

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "deploy" / "with-jemalloc"
# What the worker itself reports (the "emotion model loaded" log line): apps/emotion/heap.py
REPORT = [sys.executable, "-c", "from apps.emotion import heap; print(heap.ALLOCATOR)"]


def run(*command: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("LD_PRELOAD", "MALLOC_CONF")}
    return subprocess.run([str(WRAPPER), *command], cwd=ROOT, env={**environment, **env}, capture_output=True, text=True)


@pytest.mark.skipif(not SYSTEM_JEMALLOC.exists(), reason="this system has no libjemalloc2")
def test_the_command_runs_on_the_systems_jemalloc():
    result = run(*REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "jemalloc"
    conf = run(sys.executable, "-c", "import os; print(os.environ['MALLOC_CONF'])")
    assert "background_thread:true" in conf.stdout  # freed pages go back while the worker idles


@pytest.mark.skipif(not SYSTEM_JEMALLOC.exists(), reason="this system has no libjemalloc2")
def test_a_given_library_and_the_callers_own_malloc_conf_are_kept():
    result = run(sys.executable, "-c", "import os; print(os.environ['MALLOC_CONF'])",
                 SPG_JEMALLOC=str(SYSTEM_JEMALLOC), MALLOC_CONF="narenas:1")
    assert result.returncode == 0 and result.stdout.strip() == "narenas:1"


def test_off_runs_the_command_on_glibc():
    result = run(*REPORT, SPG_JEMALLOC="off")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "glibc"


def test_a_missing_library_is_refused_with_a_clear_message():
    result = run("true", SPG_JEMALLOC="/nowhere/libjemalloc.so.2")
    assert result.returncode == 2
    assert "SPG_JEMALLOC=/nowhere/libjemalloc.so.2 is not a readable file" in result.stderr


def test_no_command_is_a_usage_error():
    result = run()
    assert result.returncode == 2 and "usage" in result.stderr


def test_the_exit_status_and_arguments_pass_through():
    result = run("sh", "-c", 'printf "%s|" "$@"; exit 7', "sh", "two words", "x")
    assert result.returncode == 7 and result.stdout == "two words|x|"


def test_every_shipped_worker_starts_through_it():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("worker", "worker-emotion"):
        assert services[name]["command"][:2] == ["deploy/with-jemalloc", "celery"], name
    [worker] = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:")]
    assert worker.split()[1:3] == ["deploy/with-jemalloc", "celery"]
    assert "libjemalloc2" in (ROOT / "Dockerfile").read_text()
    assert os.access(WRAPPER, os.X_OK)
