"""The channel layer: channels-redis's Redis pub/sub layer, reading as soon as it has a subscription.

channels-redis (4.3) reads a process's subscriptions in one loop that, while the process is subscribed
to nothing, sleeps 0.1 s between checks. A Daphne process with no open socket is in that state, so the
first socket after a quiet spell waited up to 100 ms for its snapshot's first event: with one client
the p50 POST→completed rose by about 40 ms (BENCHMARKS.md, "CPU per job, gateway side"). Here the loop
waits for the first subscription instead. Everything else is channels-redis's own.
"""

from __future__ import annotations

import asyncio
import logging

from channels_redis import pubsub
from channels_redis.utils import _wrap_close, decode_hosts

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

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)  # close the loop's connections with the loop, as channels-redis does
        return layer
