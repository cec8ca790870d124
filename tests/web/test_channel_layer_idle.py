"""A job socket that waits quietly must stay up: the channel layer's blocking receive outlives a cycle.

The list-based channels-redis layer waited on BZPOPMIN for 5 s at a time; with redis-py 8's default 5 s
socket timeout the read lost that race and the consumer died ("Timeout reading from ..."), dropping the
browser's socket whenever a job went quiet for a few seconds (a cold model, a queue). The pub/sub layer
now configured reads in short polls; this keeps whichever layer is configured honest about it.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer


async def test_an_idle_receive_outlives_a_blocking_pop_cycle():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    with pytest.raises(asyncio.TimeoutError):  # our own deadline, not redis' "Timeout reading"
        await asyncio.wait_for(layer.receive(channel), timeout=7)
