"""The look-back page (server-rendered SVG): the chart with outcomes, "no outcomes yet" without."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree
from django.contrib.auth import get_user_model

from apps.storage import api as storage_api
from tests.helpers import completed_job

pytestmark = pytest.mark.django_db
PLAYLIST = {"songs": [{"id": 1, "title": "T", "artist": "A", "album": "", "valence": 0.0, "arousal": 0.0, "url": None}]}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def user(client):
    user = get_user_model().objects.create_user(username="lou", email="lou@example.com", password="S3cret-pass-123")
    client.force_login(user)
    return user


def _svg(html: str, element_id: str):
    start = html.index(f'<svg xmlns="http://www.w3.org/2000/svg" class="look-back__{element_id}"')
    return ElementTree.fromstring(html[start : html.index("</svg>", start) + len("</svg>")])


def test_no_outcomes_yet_says_so_and_draws_no_chart(client, user):
    html = client.get("/look-back/").content.decode()
    assert "No outcomes yet." in html and "look-back-chart" not in html


def test_the_chart_has_a_bar_per_target_best_first(client, user):
    for target, after in ((("fun", (8.0, 8.0)), (8.0, 8.0)), (("fun", (8.0, 8.0)), (-10.0, -9.0)), (("relief", (8.0, -8.0)), (8.0, -8.0))):
        storage_api.record_outcome(completed_job(user.pk, PLAYLIST, target=target), user.pk, after)
    response = client.get("/look-back/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No outcomes yet." not in html and "2 of 3 (67%)" in html
    chart = _svg(html, "chart")  # well-formed SVG
    rows = chart.findall(f"{SVG}g")
    assert [row.get("data-target") for row in rows] == ["relief", "fun"]
    widths = [float(row.findall(f"{SVG}rect")[1].get("width")) for row in rows]
    assert widths == [300.0, 150.0]  # 100% and 50% of the bar
    plane = _svg(html, "plane")
    moves = plane.findall(f"{SVG}line")[2:]
    assert len(moves) == 3 and sum("chart__move--toward" in move.get("class") for move in moves) == 2


def test_the_page_needs_a_login(client):
    assert client.get("/look-back/").status_code == 302
