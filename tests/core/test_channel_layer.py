"""The channel layer (apps/core/channel_layer.py) against the test session's Redis."""

from __future__ import annotations

import asyncio
import time

from channels.layers import get_channel_layer
from django.conf import settings


async def _drop(layer, channel: str) -> None:
    """Unsubscribe ``channel`` the way a closing consumer does: its pending receive is cancelled."""
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0.02)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)


async def test_the_first_subscription_after_a_quiet_spell_is_read_at_once():
    """channels-redis's pub/sub reader naps 0.1 s while subscribed to nothing: the first socket after a
    quiet spell waited up to that long (with one client, every socket). Ours waits for the subscription."""
    layer = get_channel_layer()
    delays = []
    try:
        for quiet in (0.13, 0.17, 0.21, 0.25, 0.29):  # quiet spells at different phases of a 0.1 s nap
            await _drop(layer, await layer.new_channel())
            await asyncio.sleep(quiet)  # subscribed to nothing: the stock reader is napping now
            channel = await layer.new_channel()
            started = time.monotonic()
            await layer.send(channel, {"type": "hello"})
            assert await asyncio.wait_for(layer.receive(channel), timeout=2) == {"type": "hello"}
            delays.append(time.monotonic() - started)
            await _drop(layer, channel)
    finally:
        await layer.flush()
    assert max(delays) < 0.02, delays  # ours: 1-3 ms; the stock reader: 10-90 ms across these phases


async def test_groups_reach_their_members_only():
    layer = get_channel_layer()
    try:
        member, outsider = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("job.test-group", member)
        await layer.group_send("job.test-group", {"type": "event.message", "event": {"seq": 1}})
        assert await asyncio.wait_for(layer.receive(member), timeout=2) == {"type": "event.message", "event": {"seq": 1}}
        outsider_got = asyncio.ensure_future(layer.receive(outsider))
        await asyncio.sleep(0.2)
        assert not outsider_got.done()
        outsider_got.cancel()
    finally:
        await layer.flush()


def test_pub_sub_channel_names_carry_the_channels_db_index():
    """Pub/sub ignores Redis DB indexes: two stacks on one server must not hear each other's groups
    (``user.<id>`` repeats across them), so the prefix names the DB index."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    db_index = settings.REDIS_CHANNELS_URL.rsplit("/", 1)[-1]
    assert config["prefix"] == f"spg{db_index}."
