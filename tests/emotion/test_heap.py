"""The idle heap trim: once after a pause in the work, never during it, never inside a forward pass."""

from __future__ import annotations

import threading
import time

import pytest

from apps.emotion import heap

pytestmark = pytest.mark.skipif(heap.ALLOCATOR != "glibc", reason="not glibc's malloc: the trim is off here")


def wait_for(condition, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_return_freed_heap_runs_on_glibc():
    assert heap.return_freed_heap() is True


def test_one_trim_after_the_work_pauses():
    trimmer = heap.IdleHeapTrimmer(threading.Lock(), idle_seconds=0.05)
    for _ in range(3):
        trimmer.note_work()
    assert wait_for(lambda: trimmer.trims == 1)
    time.sleep(0.2)  # no more work: no more trims
    assert trimmer.trims == 1
    trimmer.note_work()
    assert wait_for(lambda: trimmer.trims == 2)


def test_no_trim_while_work_keeps_coming():
    trimmer = heap.IdleHeapTrimmer(threading.Lock(), idle_seconds=0.3)
    until = time.monotonic() + 0.9
    while time.monotonic() < until:  # work every 10 ms: never a pause of 300 ms
        trimmer.note_work()
        time.sleep(0.01)
    assert trimmer.trims == 0
    assert wait_for(lambda: trimmer.trims == 1)


def test_the_trim_waits_for_the_forward_pass():
    busy = threading.Lock()
    trimmer = heap.IdleHeapTrimmer(busy, idle_seconds=0.02)
    with busy:  # a forward pass holding the model's lock
        trimmer.note_work()
        time.sleep(0.2)
        assert trimmer.trims == 0
    assert wait_for(lambda: trimmer.trims == 1)


def trimmer_threads() -> int:
    return sum(thread.name == "idle-heap-trimmer" for thread in threading.enumerate())


def test_zero_turns_it_off():
    threads = trimmer_threads()
    trimmer = heap.IdleHeapTrimmer(threading.Lock(), idle_seconds=0)
    assert not trimmer.enabled
    trimmer.note_work()
    time.sleep(0.1)
    assert trimmer.trims == 0
    assert trimmer_threads() == threads  # started no thread


def test_one_thread_however_much_work():
    threads = trimmer_threads()
    trimmer = heap.IdleHeapTrimmer(threading.Lock(), idle_seconds=0.05)
    for _ in range(20):
        trimmer.note_work()
    assert trimmer_threads() == threads + 1


def test_the_model_trims_once_idle_after_inference():
    from apps.emotion import loading

    model = loading.get_model()
    before = model.heap_trimmer.trims
    model.infer(["I am furious, I could scream.", "so relieved it is over"])
    assert wait_for(lambda: model.heap_trimmer.trims == before + 1, timeout=5.0)


def _trims_in_child(trimmer: heap.IdleHeapTrimmer) -> None:
    trimmer.note_work()
    raise SystemExit(0 if wait_for(lambda: trimmer.trims >= 1) else 1)


def test_a_forked_child_trims_with_its_own_thread():
    """The parent's thread does not exist in a forked child (a prefork pool's worker): the child starts its own."""
    import multiprocessing

    trimmer = heap.IdleHeapTrimmer(threading.Lock(), idle_seconds=10)  # the parent's thread: started, waiting
    trimmer.note_work()
    trimmer.idle_seconds = 0.05
    child = multiprocessing.get_context("fork").Process(target=_trims_in_child, args=(trimmer,))
    child.start()
    child.join(10)
    assert child.exitcode == 0
