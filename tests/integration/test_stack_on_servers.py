"""bench/_stack.py on given servers (CI's PostgreSQL + Redis pass): a database and Redis DB indexes of the
stack's own, nothing of the test session's touched, nothing left behind, also when the start fails."""

from __future__ import annotations

import os
import subprocess
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.core.cache import cache

from bench._live import is_postgres
from bench._stack import Stack

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not is_postgres(DATABASE_URL), reason="the session does not run on PostgreSQL"),
]


def databases() -> set[str]:
    maintenance = urlunsplit(urlsplit(DATABASE_URL)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        return {row[0] for row in connection.execute("SELECT datname FROM pg_database")}


def servers() -> dict[str, str]:
    return {"postgres_url": DATABASE_URL, "redis_url": os.environ["REDIS_URL"]}


def test_a_stack_runs_on_a_database_and_redis_dbs_of_its_own_and_leaves_nothing():
    before = databases()
    cache.set("session-probe", "kept")  # the test session's own cache, on its own Redis DB
    with Stack(workers=0, with_beat=False, **servers()) as stack:
        name = urlsplit(stack.database_url).path.lstrip("/")
        assert name not in before and name in databases()
        assert stack.query("SELECT count(*) FROM music_song WHERE valence > ?", (-100,))[0][0] > 0  # migrated, starter songs
        assert stack.env["REDIS_URL"] == os.environ["REDIS_URL"] and 2 not in stack.redis_dbs
        stack.redis_client(2).set("stack-probe", "1")
    assert name not in databases()
    assert [stack.redis_client(index).dbsize() for index in range(3)] == [0, 0, 0]
    assert cache.get("session-probe") == "kept"


def test_a_stack_that_fails_to_start_drops_its_database():
    stack = Stack(workers=0, with_beat=False, deadline_s=1, **servers())  # below the task time limit: refused
    with pytest.raises(subprocess.CalledProcessError):
        stack.__enter__()
    assert urlsplit(stack.database_url).path.lstrip("/") not in databases()
