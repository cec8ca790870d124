"""What a person writes never reaches a log line: a real stack (Daphne, a prefork Celery worker, beat)
logging at DEBUG in JSON runs one job that succeeds and one that fails with an exception quoting the
whole text (bench/_chaos_worker.py, ``[chaos-fail]``); no line of any process contains the text, nor the
words of it that moved the reading."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest

from bench._stack import Stack

pytestmark = pytest.mark.slow
TERMINAL = ("completed", "failed")


@pytest.fixture(scope="module")
def worker_stack():
    extra_env = {"LOG_FORMAT": "json"}
    with Stack(workers=1, concurrency=1, log_level="DEBUG", extra_env=extra_env) as stack:
        yield stack


def run_job(stack: Stack, access: str, text: str) -> dict:
    headers = {"Authorization": f"Bearer {access}"}
    accepted = httpx.post(
        f"{stack.url}/api/v1/playlists/", json={"text": text, "target_emotion": "happiness"}, headers=headers, timeout=20
    )
    assert accepted.status_code == 202, accepted.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = httpx.get(accepted.json()["status_url"], headers=headers, timeout=20).json()
        if state["status"] in TERMINAL:
            return state
        time.sleep(0.3)
    raise AssertionError(f"the job did not finish:\n{stack.logs_tail()}")


def test_logs_of_a_successful_and_a_failed_job_contain_none_of_their_text(worker_stack):
    stack = worker_stack
    [(username, password)] = stack.create_users(1, prefix="privacy")
    login = httpx.post(f"{stack.url}/api/v1/auth/login/", json={"username": username, "password": password}, timeout=20)
    access = login.json()["access"]
    marker = uuid.uuid4().hex[:8]
    happy = f"Walked the dog along the river {marker} and my sister called, I feel light"
    failing = f"[chaos-fail] My landlord {marker} keeps shouting and I cannot sleep at all"

    finished = run_job(stack, access, happy)
    assert finished["status"] == "completed"
    assert run_job(stack, access, failing)["status"] == "failed"
    assert [letter["task"] for letter in stack.dead_letters()] == ["apps.emotion.tasks.predict"]
    time.sleep(1)  # let the last lines reach the files

    logs = "\n".join(path.read_text(errors="replace") for path in sorted(stack.home.glob("*.log")))
    # The logs did record both jobs, their arguments and the failure (so this test can fail)...
    assert "apps.emotion.tasks.predict" in logs and "succeeded in" in logs
    assert "ChaosFailure" in logs and "[redacted]" in logs
    # ...and none of what was written, whole or in part.
    for text in (happy, failing):
        for fragment in (text, text.split(marker)[0].strip(), text.split(marker)[1].strip()):
            assert fragment not in logs, f"{fragment!r} reached the logs"
    assert marker not in logs
    # Nor the words of it that moved the reading, which the steps after the reading carry in their payload.
    words = [word["word"] for word in finished["prediction"]["words"]]
    assert words and all(word in happy for word in words)  # the reading pointed at words of the text
    for word in words:
        assert not re.search(rf"\b{re.escape(word)}\b", logs, re.IGNORECASE), f"{word!r} reached the logs"
