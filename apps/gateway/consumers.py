"""WebSocket consumers of the gateway."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class PingConsumer(AsyncJsonWebsocketConsumer):
    """A liveness check for the WebSocket path: answers {"type": "pong"} to anything."""

    async def connect(self):
        await self.accept()

    async def receive_json(self, content, **kwargs):
        await self.send_json({"type": "pong", "echo": content})
