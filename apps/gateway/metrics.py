"""The gateway's own metrics."""

from __future__ import annotations

from prometheus_client import Gauge

WEBSOCKET_CONNECTIONS_OPEN = Gauge(
    "spg_websocket_connections_open",
    "Job WebSocket connections currently open (accepted and authorised).",
    multiprocess_mode="livesum",
)
