"""WebSocket consumers of the gateway."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.accounts import api as accounts_api
from apps.core import context
from apps.core.events import job_group
from apps.core.metrics import WEBSOCKET_CONNECTIONS_OPEN
from apps.storage import api as storage_api

logger = logging.getLogger(__name__)

CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_JOB_NOT_FOUND = 4404
TERMINAL_EVENTS = ("job.completed", "job.failed")


def _query(scope) -> dict[str, str]:
    raw = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return {key: values[-1] for key, values in raw.items() if values}


class JobConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/jobs/<job_id>/[?last_seq=N][&keep_open=1]``: the live state of one of the user's jobs.

    Subscribe-then-snapshot: join the job's group, accept, then send the current state from the
    database, so a client that connects late still gets the result and no event falls between.
    Events with ``seq <= last_seq`` (the client's last seen) are not sent. After the terminal
    event the server closes (1000) unless ``keep_open=1``. Close codes: 4401 not authenticated,
    4404 job not found or not the user's.
    """

    group: str | None = None
    counted = False
    expiry: asyncio.TimerHandle | None = None

    async def connect(self):
        self.job_id = str(self.scope["url_route"]["kwargs"]["job_id"])
        query = _query(self.scope)
        self.last_seq = _int(query.get("last_seq"), default=-1)
        self.keep_open = query.get("keep_open", "") in ("1", "true", "yes")
        subprotocol = accounts_api.accepted_subprotocol(self.scope)
        user_id = accounts_api.websocket_user_id(self.scope)
        self._context = context.set_values(
            request_id=context.new_request_id(), job_id=self.job_id, user_id=user_id
        )
        if user_id is None:
            # accept() first: a close before accept reaches browsers as 1006 with no code (STACK-NOTES §3).
            await self.accept(subprotocol=subprotocol)
            logger.info("job socket refused: not authenticated")
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        if await database_sync_to_async(storage_api.get_job)(self.job_id, user_id) is None:
            await self.accept(subprotocol=subprotocol)
            logger.info("job socket refused: job not found or not the user's")
            await self.close(code=CLOSE_JOB_NOT_FOUND)
            return
        self.group = job_group(self.job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=subprotocol)
        WEBSOCKET_CONNECTIONS_OPEN.inc()
        self.counted = True
        self._close_when_token_expires()
        state = await database_sync_to_async(storage_api.get_job)(self.job_id, user_id)
        logger.info("job socket subscribed at seq %s", state["seq"])
        await self._deliver(storage_api.job_event(state, "job.snapshot"), terminal=state["status"] in ("completed", "failed"))
        # (A terminal snapshot the client has already seen, seq <= last_seq, is not sent: the socket just closes.)

    def _close_when_token_expires(self) -> None:
        """A token is checked only at connect: end the socket when it expires (the client reconnects)."""
        expires_at = accounts_api.websocket_token_expires_at(self.scope)
        if expires_at is None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, expires_at - time.time())
        self.expiry = loop.call_later(delay, lambda: loop.create_task(self.close(code=CLOSE_NOT_AUTHENTICATED)))

    async def disconnect(self, code):
        if self.expiry is not None:
            self.expiry.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        if self.counted:
            WEBSOCKET_CONNECTIONS_OPEN.dec()
            self.counted = False
            logger.info("job socket closed (%s)", code)
        if getattr(self, "_context", None):
            context.reset(self._context)
            self._context = []

    async def receive_json(self, content, **kwargs):
        """Clients need not send anything; a ``{"type": "ping"}`` gets a pong (keep-alive through proxies)."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def job_event(self, message):
        """A job event published to the group (see apps.core.events.publish)."""
        event = message["event"]
        await self._deliver(event, terminal=event["type"] in TERMINAL_EVENTS)

    async def _deliver(self, event: dict, *, terminal: bool) -> None:
        is_snapshot = event["type"] == "job.snapshot"
        newest = event["seq"] >= self.last_seq
        if event["seq"] > self.last_seq:
            self.last_seq = event["seq"]
            await self.send_json(event)
        # A late, out-of-order terminal event (older than what was sent) must not end the stream.
        if terminal and (is_snapshot or newest) and not self.keep_open:
            await self.close(code=1000)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
