"""A worker keeps its database connection across tasks for CONN_MAX_AGE, as a web process does across
requests (apps/core/celery_signals.py and CELERY_DB_REUSE_MAX in config/settings.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)  # a task runs outside any transaction of the test's


def run_task(task_id: str, eager: bool = False) -> None:
    """What a worker does around a task body, as far as database connections go: Celery's Django fixup and ours."""
    task = SimpleNamespace(request=SimpleNamespace(is_eager=eager))
    fixup = DjangoWorkerFixup(celery_app)
    fixup.on_task_prerun(task)
    signals.task_prerun.send(sender=None, task_id=task_id, task=task, args=(), kwargs={})
    signals.task_postrun.send(sender=None, task_id=task_id, task=task)
    fixup.on_task_postrun(task)


def test_the_connection_outlives_a_task_until_it_is_obsolete():
    connection.ensure_connection()
    opened = connection.connection
    run_task("t-1")
    run_task("t-2")
    assert connection.connection is opened  # not reopened per task (it was: a new connection for each)

    connection.close_at = 0  # older than CONN_MAX_AGE
    run_task("t-3")
    assert connection.connection is None


def test_a_broken_connection_is_closed_before_the_next_task():
    connection.ensure_connection()
    connection.errors_occurred = True
    real = connection.is_usable
    connection.is_usable = lambda: False
    try:
        run_task("t-4")
    finally:
        connection.is_usable = real
    assert connection.connection is None
