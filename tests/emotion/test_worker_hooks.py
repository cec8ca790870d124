"""The Celery worker hooks: each pool process loads the model once, with torch threads sized to the pool."""

from __future__ import annotations

import logging
import os
from types import SimpleNamespace

import pytest
from celery import signals as celery_signals

from apps.emotion import api, heap, loading, services
from apps.emotion import signals as hooks

torch = pytest.importorskip("torch")


@pytest.fixture
def fresh_child(monkeypatch):
    """A pool child as forked: no model loaded yet, no OMP_NUM_THREADS, a 4-core machine; torch's
    thread count and the process's model are restored afterwards."""
    monkeypatch.setattr(loading, "_model", None)
    monkeypatch.setattr(hooks, "_concurrency", None)
    monkeypatch.setattr(hooks, "_consumed_queues", None)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("EMOTION_WARM_UP", raising=False)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_a_pool_child_loads_the_model_with_its_share_of_the_cores(fresh_child, caplog):
    hooks._remember_worker(sender=SimpleNamespace(concurrency=4))  # worker_init, in the parent
    with caplog.at_level(logging.INFO, logger=hooks.__name__):
        celery_signals.worker_process_init.send(sender=None)  # in each forked child

    assert loading.loaded_model_version() == api.model_version()
    assert torch.get_num_threads() == 1 and os.environ["OMP_NUM_THREADS"] == "1"
    [record] = [r for r in caplog.records if r.getMessage() == "emotion model loaded"]
    assert record.torch_threads == 1 and record.model_version == api.model_version()
    assert record.allocator == heap.ALLOCATOR  # which malloc this worker runs on (deploy/with-jemalloc)


@pytest.fixture
def build_worker(fresh_child, monkeypatch):
    """A real WorkController as ``celery worker -Q …`` builds it (Celery sends worker_init); never started.
    Its queue selection is process-wide state of the app: put back afterwards for the other tests."""
    from config.celery import app

    monkeypatch.setattr(app.amqp.queues, "_consume_from", app.amqp.queues._consume_from)
    return lambda queues: app.WorkController(app=app, queues=queues, pool_cls="solo", concurrency=2)


def test_a_worker_learns_the_queues_it_consumes_before_its_pool_forks(build_worker):
    build_worker(["music", "storage"])
    assert hooks._consumed_queues == {"music", "storage"} and hooks._concurrency == 2


def test_a_worker_without_the_emotion_queue_never_loads_the_model(build_worker):
    build_worker(["gateway", "music", "storage"])
    threads = torch.get_num_threads()
    celery_signals.worker_process_init.send(sender=None)  # in each forked child
    assert loading.loaded_model_version() is None
    assert torch.get_num_threads() == threads and "OMP_NUM_THREADS" not in os.environ


def test_a_worker_with_the_emotion_queue_loads_it(build_worker):
    build_worker(["emotion", "music"])
    celery_signals.worker_process_init.send(sender=None)
    assert loading.loaded_model_version() == api.model_version()


def test_warm_up_can_be_switched_off(fresh_child, monkeypatch):
    monkeypatch.setenv("EMOTION_WARM_UP", "0")
    threads = torch.get_num_threads()
    celery_signals.worker_process_init.send(sender=None)
    assert loading.loaded_model_version() is None  # loads lazily on the first prediction instead
    assert torch.get_num_threads() == threads and "OMP_NUM_THREADS" not in os.environ


def test_a_child_whose_model_fails_to_load_logs_it_and_keeps_serving(fresh_child, monkeypatch, caplog):
    def broken():
        raise RuntimeError("no model here")

    monkeypatch.setattr(services, "warm_up", broken)
    with caplog.at_level(logging.INFO, logger=hooks.__name__):
        hooks._load_model_in_child()  # does not raise: the child still serves its other queues
    assert any(r.getMessage() == "emotion model warm-up failed" and r.exc_info for r in caplog.records)
    assert loading.loaded_model_version() is None


def test_threads_split_the_cores_between_pool_processes():
    assert [hooks.threads_per_process(c, cores=2) for c in (1, 2, 4, None)] == [2, 1, 1, 2]  # never zero
