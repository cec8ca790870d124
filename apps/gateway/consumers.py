"""WebSocket consumers of the gateway."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.accounts import api as accounts_api
from apps.core import context
from apps.gateway import privacy
from apps.gateway.metrics import WEBSOCKET_CONNECTIONS_OPEN
from apps.storage import api as storage_api

logger = logging.getLogger(__name__)

CLOSE_NOT_AUTHENTICATED = accounts_api.WS_CLOSE_UNAUTHENTICATED
CLOSE_JOB_NOT_FOUND = 4404
# While the job is in progress the socket re-reads it this often and sends a snapshot when the
# database is ahead of what the client has: an event lost between a commit and its publish
# reaches the page within this delay (docs/jobs.md, "Re-sync").
RESYNC_SECONDS = 2.0
# A transition younger than this may still have its event on the way: wait a tick before re-sending.
RESYNC_GRACE_SECONDS = 1.0


def _query(scope) -> dict[str, str]:
    raw = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return {key: values[-1] for key, values in raw.items() if values}


class JobConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/jobs/<job_id>/[?last_seq=N][&keep_open=1]``: the live state of one of the user's jobs.

    Subscribe-then-snapshot: join the job's group, read the job (the ownership check and the snapshot
    are one read), accept, then send that state, so a client that connects late still gets the result
    and no event falls between. Nothing from the groups reaches the client before that read has
    proved the job the user's (``self.owner``), not even events queued while it ran.
    Events with ``seq <= last_seq`` (the client's last seen) are not sent. While the job is in
    progress the state is re-read every ``RESYNC_SECONDS`` (a missed event is re-sent as a snapshot).
    After the terminal event the server closes (1000) unless ``keep_open=1``. Close codes: 4401
    not authenticated (or the account was just deleted), 4404 job not found or not the user's (or
    just deleted). The socket also joins the user's group, so deleting the account or the history
    reaches every socket of theirs.
    """

    group: str | None = None
    user_group: str | None = None
    owner = False  # set once the read proved the job this user's: only then do group events reach the client
    counted = False
    expiry: asyncio.TimerHandle | None = None
    resync: asyncio.Task | None = None

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
            # accept() first: a close before accept reaches browsers as 1006 with no code.
            await self.accept(subprotocol=subprotocol)
            logger.info("job socket refused: not authenticated")
            await self.close(code=CLOSE_NOT_AUTHENTICATED)
            return
        self.user_id = user_id
        self.group = storage_api.job_group(self.job_id)
        self.user_group = privacy.user_group(user_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        state = await database_sync_to_async(storage_api.get_job)(self.job_id, user_id)
        if state is None:
            await self._leave_groups()
            await self.accept(subprotocol=subprotocol)
            logger.info("job socket refused: job not found or not the user's")
            await self.close(code=CLOSE_JOB_NOT_FOUND)
            return
        self.owner = True
        await self.accept(subprotocol=subprotocol)
        WEBSOCKET_CONNECTIONS_OPEN.inc()
        self.counted = True
        self._close_when_token_expires()
        logger.info("job socket subscribed at seq %s", state.seq)
        await self._deliver(state.event(storage_api.EventType.SNAPSHOT), terminal=state.terminal)
        # (A terminal snapshot the client has already seen, seq <= last_seq, is not sent: the socket just closes.)
        if not state.terminal:
            self.resync = asyncio.get_running_loop().create_task(self._resync())

    async def _resync(self) -> None:
        """Until the job ends: send the database's state when it is ahead of the last event sent."""
        read = database_sync_to_async(storage_api.get_job)
        while True:
            await asyncio.sleep(RESYNC_SECONDS)
            state = await read(self.job_id, self.user_id)
            if state is None:
                return
            if state.seq > self.last_seq:
                age = time.time() - datetime.fromisoformat(state.updated_at).timestamp()
                if age < RESYNC_GRACE_SECONDS:
                    continue  # its event may still be on the way; a terminal state too is re-read next tick
                logger.info("job socket re-synced at seq %s (an event was missed)", state.seq)
                await self._deliver(state.event(storage_api.EventType.SNAPSHOT), terminal=state.terminal)
            if state.terminal:
                return

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
        if self.resync is not None:
            self.resync.cancel()
            self.resync = None
        await self._leave_groups()
        if self.counted:
            WEBSOCKET_CONNECTIONS_OPEN.dec()
            self.counted = False
            logger.info("job socket closed (%s)", code)
        if getattr(self, "_context", None):
            context.reset(self._context)
            self._context = []

    async def _leave_groups(self) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        if self.user_group is not None:
            await self.channel_layer.group_discard(self.user_group, self.channel_name)
            self.user_group = None

    async def dispatch(self, message):
        """Channels' dispatch without its thread hop per message.

        Channels (4.2+) runs ``close_old_connections`` in a worker thread before every message, for
        consumers that use the ORM directly. This one reaches the database only through
        ``database_sync_to_async``, which does that in its own thread, so the extra hop (one per event,
        per ping, at connect and twice at disconnect: 7 of a job socket's 11 thread hops) was pure
        overhead (BENCHMARKS.md, "CPU per job, gateway side").
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message):
        """As Channels' own, less its ``close_old_connections`` hop (see ``dispatch``)."""
        for group in self.groups:  # Channels' declared groups (none here; ours are left in disconnect)
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def receive_json(self, content, **kwargs):
        """Clients need not send anything; a ``{"type": "ping"}`` gets a pong (keep-alive through proxies)."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def event_message(self, message):
        """A job event published to the group (storage publishes through apps.core.events.publish)."""
        if not self.owner:
            return  # queued while connect() was still checking the job: not proven this user's
        event = message["event"]
        if event["type"] in _CLOSE_ON:
            logger.info("job socket closed: %s", event["type"])
            await self.close(code=_CLOSE_ON[event["type"]])
            return
        await self._deliver(event, terminal=event["type"] in storage_api.TERMINAL_EVENTS)

    async def _deliver(self, event: dict, *, terminal: bool) -> None:
        is_snapshot = event["type"] == storage_api.EventType.SNAPSHOT
        newest = event["seq"] >= self.last_seq
        if event["seq"] > self.last_seq:
            self.last_seq = event["seq"]
            await self.send_json(event)
        # A late, out-of-order terminal event (older than what was sent) must not end the stream.
        if terminal and (is_snapshot or newest) and not self.keep_open:
            await self.close(code=1000)


# Deletions end the sockets they concern: the job or the history is gone (4404), the account is gone (4401).
_CLOSE_ON = {
    storage_api.EventType.DELETED: CLOSE_JOB_NOT_FOUND,
    privacy.HISTORY_DELETED: CLOSE_JOB_NOT_FOUND,
    privacy.ACCOUNT_DELETED: CLOSE_NOT_AUTHENTICATED,
}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
