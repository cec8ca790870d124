"""The channel layer: channels-redis's Redis pub/sub layer, reading as soon as it has a subscription.

channels-redis (4.3) reads a process's subscriptions in one loop that, while the process is subscribed
to nothing, sleeps 0.1 s between checks. A Daphne process with no open socket is in that state, so the
first socket after a quiet spell waited up to 100 ms for its snapshot's first event: with one client
the p50 POST→completed rose by about 40 ms (BENCHMARKS.md, "CPU per job, gateway side"). Here the loop
waits for the first subscription instead. Everything else is channels-redis's own.

Synchronous code (Celery tasks, views) publishes with ``group_send_blocking``: the same PUBLISH of the
same serialized message on the same channel, from a blocking redis-py client in the calling thread. A
publish through ``group_send`` from such code needs an event loop in another thread, and handing each
message to it and back cost the worker's pool children about a tenth of their busy time (BENCHMARKS.md,
"Fewer cycles per job").
"""

from __future__ import annotations

import asyncio
import logging
import threading

import redis
from channels_redis import pubsub
from channels_redis.utils import _consistent_hash, _wrap_close, decode_hosts

logger = logging.getLogger(__name__)


class _PromptShard(pubsub.RedisSingleShardConnection):
    def __init__(self, host, channel_layer):
        super().__init__(host, channel_layer)
        self._subscribed = asyncio.Event()

    async def subscribe(self, channel):
        await super().subscribe(channel)
        self._subscribed.set()

    async def _do_receiving(self):
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    self._receive_message(message)
                else:
                    self._subscribed.clear()  # no await since the check: a subscribe cannot slip in between
                    await self._subscribed.wait()
            except (TimeoutError, asyncio.CancelledError, GeneratorExit):
                raise
            except BaseException:
                logger.exception("Unexpected exception in receive task")
                await asyncio.sleep(1)


class _LoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, hosts=None, *args, **kwargs):
        super().__init__(hosts, *args, **kwargs)
        self._shards = [_PromptShard(host, self) for host in decode_hosts(hosts)]


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    """``channels_redis.pubsub.RedisPubSubChannelLayer`` (one layer per event loop) with prompt reads."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # By timeout: each caller's timeout bounds its own connections. Set here: the base class answers
        # unknown attribute names with a per-loop layer, which needs a running loop.
        self._blocking: dict[float, list[redis.Redis]] = {}

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)  # close the loop's connections with the loop, as channels-redis does
        return layer

    def group_channel(self, group: str) -> str:
        """The pub/sub channel of ``group``: channels-redis's own naming (``RedisPubSubLoopLayer``)."""
        return f"{self._kwargs.get('prefix', 'asgi')}__group__{group}"

    def group_send_blocking(self, group: str, message: dict, timeout: float) -> None:
        """``group_send`` for synchronous code: one PUBLISH in the calling thread, at most ``timeout`` s a step."""
        channel = self.group_channel(group)
        clients = self._blocking_clients(timeout)
        clients[_consistent_hash(channel, len(clients))].publish(channel, self.serialize(message))

    def _blocking_clients(self, timeout: float) -> list[redis.Redis]:
        """One blocking client per shard whose connections time out after ``timeout`` s (built once)."""
        # redis-py's pools are thread-safe and start afresh in a forked child (they check the pid).
        clients = self._blocking.get(timeout)
        if clients is None:
            with _BLOCKING_LOCK:
                clients = self._blocking.get(timeout)
                if clients is None:
                    clients = self._blocking[timeout] = [_blocking_client(host, timeout) for host in self._hosts()]
        return clients

    def _hosts(self) -> list[dict]:
        return decode_hosts(self._kwargs.get("hosts", self._args[0] if self._args else None))


_BLOCKING_LOCK = threading.Lock()


def _blocking_client(host: dict, timeout: float) -> redis.Redis:
    options = dict(host)
    if "address" not in options:
        raise NotImplementedError("a blocking publish needs a host given by its address (no sentinels)")
    options["socket_timeout"] = min(float(options.get("socket_timeout") or timeout), timeout)
    options["socket_connect_timeout"] = min(float(options.get("socket_connect_timeout") or timeout), timeout)
    return redis.Redis(connection_pool=redis.ConnectionPool.from_url(options.pop("address"), **options))
