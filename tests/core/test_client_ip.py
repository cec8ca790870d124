"""The client IP: X-Forwarded-For counts only as far as trusted proxies vouch for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.core.client_ip import resolve


def meta(remote: str, forwarded: str | None = None) -> dict:
    return {"REMOTE_ADDR": remote, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})}


def test_without_trusted_proxies_the_header_is_ignored():
    assert resolve(meta("198.51.100.7", "10.9.9.9"), 0, []) == "198.51.100.7"


@pytest.mark.parametrize(
    ("forwarded", "count", "client"),
    [
        ("203.0.113.5", 1, "203.0.113.5"),  # one proxy appended what it saw
        ("6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),  # the client's own entry on the left is ignored
        ("6.6.6.6, 203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),
        ("", 1, "10.0.0.1"),  # no header: did not come through the proxy
        ("203.0.113.5", 2, "10.0.0.1"),  # fewer hops than proxies
        ("not-an-ip", 1, "10.0.0.1"),
    ],
)
def test_a_proxy_count_takes_the_entry_that_many_hops_from_the_right(forwarded, count, client):
    assert resolve(meta("10.0.0.1", forwarded), count, []) == client


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("10.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.5, 10.0.0.2", "203.0.113.5"),  # walks past trusted hops only
        ("198.51.100.7", "203.0.113.5", "198.51.100.7"),  # the peer is no trusted proxy: header ignored
        ("10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # all trusted: the leftmost
        ("10.0.0.1", "junk, 10.0.0.2", "10.0.0.1"),
        ("::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_trusted_networks_walk_from_the_nearest_hop(remote, forwarded, client):
    assert resolve(meta(remote, forwarded), 0, ["10.0.0.0/8", "::1"]) == client


def test_logs_throttles_and_the_request_see_the_same_address(client, settings, caplog):
    settings.TRUSTED_PROXY_COUNT = 1
    with caplog.at_level("INFO", logger="apps.access"):
        response = client.get("/healthz", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    assert response.status_code == 200
    assert [record.client_ip for record in caplog.records if record.name == "apps.access"] == ["203.0.113.5"]


def test_a_bad_trusted_network_is_refused_at_startup(tmp_path):
    env = {**os.environ, "TRUSTED_PROXY_NETWORKS": "10.0.0.0/33", "SPG_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=Path(__file__).resolve().parents[2], env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0 and "TRUSTED_PROXY_NETWORKS" in result.stderr
