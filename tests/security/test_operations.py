"""/metrics through a real Daphne: closed without the bearer token, open with it."""

from __future__ import annotations

import pytest

from tests.security.conftest import METRICS_TOKEN

pytestmark = pytest.mark.slow


def test_metrics_are_refused_without_the_token(http):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {METRICS_TOKEN}"}):
        refused = http.get("/metrics", headers=headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "permission_denied"
        assert "django_http" not in refused.text


def test_metrics_answer_the_bearer_token(http):
    scraped = http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scraped.status_code == 200
    assert "django_http_requests_total_by_method_total" in scraped.text


def test_the_websocket_ping_endpoint_is_gone(http):
    assert http.get("/ws/ping/").status_code == 404
