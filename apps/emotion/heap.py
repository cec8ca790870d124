"""The worker's heap: which allocator runs it, and handing freed memory back once the worker falls idle.

Workers run on jemalloc where the system has it (`deploy/with-jemalloc`): under load it held a worker's
peak at 572–588 MB where glibc's malloc reached 587–639 MB, as glibc's heap happened to fragment, and its
background thread hands freed pages back by itself (BENCHMARKS.md). Without it, on glibc's malloc, a
worker's batches and occlusion passes left 17–92 MB of freed heap behind, so an idle worker held
562–645 MB where its live memory needs about 540. `malloc_trim(0)` returns those pages in 1–7 ms, but the
passes after a trim fault them back in: trimming after every pass cost batches 10–25 % of their speed,
and trimming every second under load cost jobs up to 10 %. So on glibc the trim waits for a pause.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager


def _glibc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to hand back this way
        return None


_GLIBC_TRIM = _glibc_trim()


def allocator() -> str:
    """Which malloc this process runs on: jemalloc (preloaded), glibc's own, or "other"."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            if any("/libjemalloc" in line for line in maps):
                return "jemalloc"
    except OSError:  # not Linux
        return "other"
    return "glibc" if _GLIBC_TRIM is not None else "other"


ALLOCATOR = allocator()
# Only glibc's malloc needs the trim; under jemalloc glibc's arenas are idle and jemalloc returns its own.
_MALLOC_TRIM = _GLIBC_TRIM if ALLOCATOR == "glibc" else None


def return_freed_heap() -> bool:
    """Hand glibc's freed heap pages back to the system now; False where malloc is not glibc's."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True


class IdleHeapTrimmer:
    """Trims the heap once no work has been noted (`note_work`) for `idle_seconds`, holding `busy` (the
    model's lock, so a trim never runs inside a forward pass). `idle_seconds` 0 turns it off.

    A daemon thread per process does the waiting; a forked child starts its own on its first work."""

    def __init__(self, busy: AbstractContextManager, idle_seconds: float):
        self._busy = busy
        self.idle_seconds = idle_seconds
        self.trims = 0
        self._pid: int | None = None
        self._worked = threading.Event()
        self._start_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.idle_seconds > 0 and _MALLOC_TRIM is not None

    def note_work(self) -> None:
        if not self.enabled:
            return
        if self._pid != os.getpid():
            self._start()
        self._worked.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._worked = threading.Event()  # never one a thread of the parent was waiting on
            threading.Thread(target=self._run, args=(self._worked,), name="idle-heap-trimmer", daemon=True).start()

    def _run(self, worked: threading.Event) -> None:
        while True:
            worked.wait()
            worked.clear()
            while True:  # wait until a whole idle_seconds passes with no work noted
                time.sleep(self.idle_seconds)
                if not worked.is_set():
                    break
                worked.clear()
            with self._busy:
                return_freed_heap()
            self.trims += 1
