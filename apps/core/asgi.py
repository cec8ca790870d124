"""Django's ASGI handler on a few long-lived threads, so each keeps its database connection.

Django runs each request's synchronous code (middleware, views, the ORM) on a thread made for that
request (a ``ThreadSensitiveContext`` per request). Database connections belong to threads, so every
request also opened a new connection and paid its setup again (on SQLite: the file, the pragmas, the SQL
functions, the schema); CONN_MAX_AGE could not keep one. Here a request borrows one of ``lanes``
single-thread executors for its whole life: a lane's thread keeps its connection across requests for
CONN_MAX_AGE, as a WSGI worker thread does, and no thread is started or joined per request. When every
lane is busy, a request waits for the first one free.
"""

from __future__ import annotations

import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler


class LanedASGIHandler(ASGIHandler):
    def __init__(self, lanes: int) -> None:
        super().__init__()
        if lanes < 1:
            raise ValueError("an ASGI handler needs at least one lane")
        self.lanes = lanes
        # Per event loop (Daphne has one; tests may run several): an asyncio.Queue belongs to its loop.
        self._free: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Queue] = weakref.WeakKeyDictionary()

    def _free_lanes(self) -> asyncio.Queue:
        loop = asyncio.get_running_loop()
        free = self._free.get(loop)
        if free is None:
            free = self._free[loop] = asyncio.Queue()
            for number in range(self.lanes):
                free.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-lane-{number}"))
        return free

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        free = self._free_lanes()
        lane = await free.get()
        try:
            async with ThreadSensitiveContext(executor=lane):
                await self.handle(scope, receive, send)
        finally:
            free.put_nowait(lane)


def get_laned_asgi_application() -> LanedASGIHandler:
    """``django.core.asgi.get_asgi_application`` with ``settings.ASGI_THREADS`` lanes."""
    import django
    from django.conf import settings

    django.setup(set_prefix=False)
    return LanedASGIHandler(settings.ASGI_THREADS)
