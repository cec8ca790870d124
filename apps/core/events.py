"""Publishing events to Channels groups from synchronous code (Celery tasks, views).

Each process keeps one publisher: its own channel-layer instance driven by one event loop
in a daemon thread, so every publish reuses the same Redis connection pool instead of
paying for a new thread, event loop and TCP connection each time (``async_to_sync`` per
call does all three). It is created lazily and re-created after a fork (the pid changes),
so prefork Celery children never share their parent's loop or sockets. The layer instance
is private, so flushing or closing the default layer elsewhere (tests, Daphne) does not
touch its connections.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5.0


class _Publisher:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="spg-event-publisher", daemon=True)
        self.thread.start()

    def usable(self) -> bool:
        return self.pid == os.getpid() and self.thread.is_alive() and not self.loop.is_closed()

    def send(self, group: str, message: dict) -> None:
        future = asyncio.run_coroutine_threadsafe(self.layer.group_send(group, message), self.loop)
        try:
            future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
        except TimeoutError:
            future.cancel()
            raise


_publisher: _Publisher | None = None
_lock = threading.Lock()


def _current_publisher() -> _Publisher:
    global _publisher
    with _lock:
        if _publisher is None or not _publisher.usable():
            _publisher = _Publisher()
        return _publisher


def publish(group: str, event: dict) -> bool:
    """Send ``event`` to every socket in ``group`` (handler ``event.message``). Returns False (and logs) on failure.

    A lost publish must not fail the caller's committed work: the owner of the data keeps the
    truth, and its consumers re-read it (see docs/jobs.md). Blocks for at most ``PUBLISH_TIMEOUT_SECONDS``.
    """
    try:
        _current_publisher().send(group, {"type": "event.message", "event": event})
        return True
    except Exception:
        logger.warning("could not publish event to %s", group, exc_info=True)
        return False
