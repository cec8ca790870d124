"""Publishing job events from synchronous code (apps/core/events.py) to a real Redis, received by the real layer."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from channels_redis import pubsub
from django.conf import settings
from django.test import override_settings

from apps.core import events


@pytest.fixture
def fresh_publisher():
    """Each test builds this process's publisher from the settings it runs under."""
    events._publisher = None
    yield
    events._publisher = None


async def _published_to_a_member(group: str, event: dict) -> dict:
    receiver = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    try:
        member = await receiver.new_channel()
        await receiver.group_add(group, member)
        assert await sync_to_async(events.publish, thread_sensitive=False)(group, event) is True
        return await asyncio.wait_for(receiver.receive(member), timeout=2)
    finally:
        await receiver.flush()


async def test_a_publish_from_sync_code_reaches_the_group_without_an_event_loop_thread(fresh_publisher):
    got = await _published_to_a_member("job.events-blocking", {"seq": 3, "status": "predicting"})
    assert got == {"type": "event.message", "event": {"seq": 3, "status": "predicting"}}
    assert not [t for t in threading.enumerate() if t.name == "spg-event-publisher"]  # published in the caller


@override_settings(
    CHANNEL_LAYERS={
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": settings.CHANNEL_LAYERS["default"]["CONFIG"]}
    }
)
async def test_a_layer_without_a_blocking_publish_is_driven_by_the_publisher_loop(fresh_publisher):
    got = await _published_to_a_member("job.events-loop", {"seq": 4})
    assert got == {"type": "event.message", "event": {"seq": 4}}
    assert [t for t in threading.enumerate() if t.name == "spg-event-publisher"]


def test_the_blocking_publish_names_group_channels_as_channels_redis_does():
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    library = pubsub.RedisPubSubLoopLayer(config["hosts"], prefix=config["prefix"], channel_layer=layer)
    assert layer.group_channel("job.abc") == library._get_group_channel_name("job.abc")


def test_a_dead_redis_fails_the_publish_quickly_and_returns_false(fresh_publisher):
    dead = {**settings.CHANNEL_LAYERS["default"]["CONFIG"], "hosts": [{"address": "redis://127.0.0.1:9"}]}
    with override_settings(CHANNEL_LAYERS={"default": {**settings.CHANNEL_LAYERS["default"], "CONFIG": dead}}):
        assert events.publish("job.nowhere", {"seq": 1}) is False


def test_each_blocking_publish_timeout_bounds_its_own_connections():
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    short, long = layer._blocking_clients(0.5), layer._blocking_clients(3.0)
    assert [c.connection_pool.connection_kwargs["socket_timeout"] for c in short] == [0.5] * len(short)
    assert [c.connection_pool.connection_kwargs["socket_timeout"] for c in long] == [3.0] * len(long)
    assert layer._blocking_clients(0.5) is short  # built once per timeout, then reused
