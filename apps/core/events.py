"""Publishing events to Channels groups from synchronous code (Celery tasks, views).

Each process keeps one publisher with its own channel-layer instance, created lazily and re-created
after a fork (the pid changes), so prefork Celery children never share their parent's sockets. The
instance is private, so flushing or closing the default layer elsewhere (tests, Daphne) does not touch
its connections. Our layer (``apps.core.channel_layer``) publishes in the calling thread on pooled
blocking connections (``group_send_blocking``). Any other layer is driven by one event loop in a daemon
thread, so a publish still reuses one connection pool instead of paying for a new thread, event loop and
TCP connection each time (``async_to_sync`` per call does all three).
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
        # Looked up on the class: channels-redis's pub/sub layer answers unknown attributes only in an event loop.
        self.blocking_send = self.layer.group_send_blocking if hasattr(type(self.layer), "group_send_blocking") else None
        self.loop: asyncio.AbstractEventLoop | None = None
        if self.blocking_send is None:
            self.loop = asyncio.new_event_loop()
            self.thread = threading.Thread(target=self.loop.run_forever, name="spg-event-publisher", daemon=True)
            self.thread.start()

    def usable(self) -> bool:
        if self.pid != os.getpid():
            return False
        return self.loop is None or (self.thread.is_alive() and not self.loop.is_closed())

    def send(self, group: str, message: dict) -> None:
        if self.blocking_send is not None:
            self.blocking_send(group, message, PUBLISH_TIMEOUT_SECONDS)
            return
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
