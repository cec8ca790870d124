"""One real stack for the chaos tests: Daphne, two prefork Celery workers, Celery beat, the stack's
own embedded redis-server (chaos stops it; never the machine's) and SQLite in a temporary folder.
See bench/_stack.py and bench/chaos.py (the scenarios, shared with the longer script)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import chaos
from bench._stack import Stack

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "apps" / "emotion" / "artifacts" / "model_card.json"


@pytest.fixture(scope="module")
def chaos_stack():
    if not SHIPPED_MODEL.is_file() and not os.environ.get("EMOTION_MODEL_DIR"):
        pytest.skip("no trained emotion model (apps/emotion/artifacts is empty and EMOTION_MODEL_DIR is unset)")
    with Stack(**chaos.CHAOS_STACK) as stack:
        print(f"\nchaos stack at {stack.url} (home {stack.home})")
        yield stack
