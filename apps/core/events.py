"""Publishing events to Channels groups from synchronous code (Celery tasks, views).

Safe in prefork workers: with no running loop, ``async_to_sync`` runs the send on a
fresh loop and channels-redis closes that loop's connection pool with it.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def job_group(job_id: object) -> str:
    """The Channels group a job's events go to (names allow [A-Za-z0-9._-] only)."""
    return f"job.{job_id}"


def publish(group: str, event: dict) -> bool:
    """Send ``event`` to every socket in ``group``. Returns False (and logs) on failure.

    A lost publish is not fatal: the job row is the source of truth, and sockets read
    it on connect and on reconnect.
    """
    layer = get_channel_layer()
    try:
        async_to_sync(layer.group_send)(group, {"type": "job.event", "event": event})
        return True
    except Exception:
        logger.warning("could not publish event to %s", group, exc_info=True)
        return False
