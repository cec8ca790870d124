"""The job API's input validation, ownership and broker-outage behaviour (no worker needed)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.storage import api as storage_api
from config.celery import app as celery_app
from tests.integration.conftest import purge_queues

pytestmark = pytest.mark.django_db

URL = "/api/v1/playlists/"
VALID = {"text": "Feeling a bit down today.", "target_emotion": "happiness"}


@pytest.fixture
def user():
    return get_user_model().objects.create_user(username="ann", email="ann@example.com", password="S3cret-pass-123")


@pytest.fixture
def client(user):
    api_client = APIClient()
    api_client.force_authenticate(user)
    yield api_client
    purge_queues()  # jobs enqueued here have no worker; do not leave them to later tests


def job_count(user) -> int:
    return storage_api.count_jobs(user.pk)


BAD_BODIES = [
    ({"target_emotion": "happiness"}, "text"),
    ({"text": "", "target_emotion": "happiness"}, "text"),
    ({"text": "   \n\t ", "target_emotion": "happiness"}, "text"),
    ({"text": "x" * 2001, "target_emotion": "happiness"}, "text"),
    ({"text": 12345, "target_emotion": "happiness"}, "text"),
    ({"text": ["sad"], "target_emotion": "happiness"}, "text"),
    ({"text": None, "target_emotion": "happiness"}, "text"),
    ({"text": "bad\x00byte", "target_emotion": "happiness"}, "text"),
    ({"text": "sad"}, "target_emotion"),
    ({"text": "sad", "target_emotion": "euphoria"}, "target_emotion"),
    ({"text": "sad", "target_emotion": ""}, "target_emotion"),
    ({"text": "sad", "target_emotion": 3}, "target_emotion"),
    ({"text": "sad", "target_emotion": ["happiness"]}, "target_emotion"),
    ({**VALID, "length": 2}, "length"),
    ({**VALID, "length": 51}, "length"),
    ({**VALID, "length": -5}, "length"),
    ({**VALID, "length": "ten"}, "length"),
    ({**VALID, "length": 5.5}, "length"),
    ({**VALID, "length": True}, "length"),
    ({**VALID, "length": None}, "length"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_input_gets_a_field_error_and_creates_nothing(client, user, body, field):
    response = client.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"] and error["fields"][field]
    assert job_count(user) == 0


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ('"text"', "application/json"), ("", "application/json")],
)
def test_malformed_bodies_get_a_400_json_error(client, user, payload, content_type):
    response = client.generic("POST", URL, payload, content_type=content_type)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in {"parse_error", "invalid"}
    assert job_count(user) == 0


def test_unsupported_media_type_is_a_json_error(client, user):
    response = client.generic("POST", URL, "text=hi", content_type="text/plain")
    assert response.status_code == 415 and response.json()["error"]["message"]
    assert job_count(user) == 0


def test_valid_request_is_accepted_with_its_urls(client, user):
    response = client.post(URL, {"text": "  so happy!  ", "target_emotion": "  SADNESS ", "length": 12}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status_url"] == f"http://testserver/api/v1/jobs/{body['job_id']}/"
    assert body["ws_url"] == f"ws://testserver/ws/jobs/{body['job_id']}/"
    assert response["Location"] == body["status_url"]
    job = client.get(body["status_url"]).json()
    assert job["status"] == "queued" and job["seq"] == 0
    assert (job["text"], job["target_emotion"], job["length"], job["target_point"]) == ("so happy!", "sadness", 12, [-10.0, -9.0])
    assert job["prediction"] is None and job["playlist"] is None and job["error"] is None


def test_text_at_the_limit_and_form_input_are_accepted(client, user):
    assert client.post(URL, {"text": "y" * 2000, "target_emotion": "love"}, format="json").status_code == 202
    form = urlencode({"text": "from a form", "target_emotion": "Fun", "length": "7"})  # the browsable API's form
    assert client.post(URL, form, content_type="application/x-www-form-urlencoded").status_code == 202
    assert job_count(user) == 2


def test_anonymous_requests_are_refused():
    anonymous = APIClient()
    assert anonymous.post(URL, VALID, format="json").status_code in (401, 403)
    assert anonymous.get(URL).status_code in (401, 403)


def test_history_is_paginated_newest_first_and_private(client, user):
    other = get_user_model().objects.create_user(username="bea", email="bea@example.com", password="S3cret-pass-123")
    ids = [
        storage_api.create_job(user_id=user.pk, text=f"t{i}", target_emotion="fun", target_point=(8, 8), length=10).job_id
        for i in range(23)
    ]
    foreign = storage_api.create_job(user_id=other.pk, text="theirs", target_emotion="fun", target_point=(8, 8), length=10)
    first = client.get(URL).json()
    assert first["count"] == 23 and len(first["results"]) == 20 and first["next"]
    second = client.get(first["next"]).json()
    listed = [job["job_id"] for job in first["results"] + second["results"]]
    assert listed == list(reversed(ids))
    assert client.get(f"/api/v1/playlists/{foreign.job_id}/").status_code == 404
    assert client.get(f"/api/v1/jobs/{foreign.job_id}/").status_code == 404
    assert client.get(f"/api/v1/playlists/{ids[0]}/").json()["job_id"] == ids[0]
    assert client.get(URL, {"status": "completed"}).json()["count"] == 0


@pytest.mark.parametrize("page_number", ["", "0", "last", "x", "2"])  # not "page": pytest-playwright's fixture
def test_a_page_that_is_not_there_is_a_json_404(client, page_number):
    response = client.get(f"{URL}?page={page_number}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["status=bogus", "status=", "status=COMPLETED"])
def test_history_filter_refuses_bad_values_naming_the_parameter(client, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == ["status"]


def test_an_empty_length_in_a_form_is_refused_not_defaulted(client, user):
    form = urlencode({"text": "from a form", "target_emotion": "love", "length": ""})
    response = client.post(URL, form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["length"]
    assert job_count(user) == 0


def test_broker_down_answers_503_and_leaves_no_job(client, user):
    """Redis unreachable for the broker: a clear 503 JSON error, no half-created job."""
    conf, amqp = celery_app.conf, celery_app.amqp
    saved = conf.broker_url, celery_app._pool, amqp._producer_pool
    conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    celery_app._pool = amqp._producer_pool = None
    try:
        response = client.post(URL, VALID, format="json")
    finally:
        conf.broker_url, celery_app._pool, amqp._producer_pool = saved
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable" and response["Retry-After"]
    assert job_count(user) == 0


def _created(exported: str) -> float:
    return next(float(line.split()[-1]) for line in exported.splitlines() if line.startswith("spg_jobs_created_total "))


def test_job_metrics_are_exported(client):
    before = _created(client.get("/metrics").content.decode())
    assert client.post(URL, VALID, format="json").status_code == 202
    exported = client.get("/metrics").content.decode()
    assert _created(exported) == before + 1
    for name in (
        "spg_jobs_created_total",
        "spg_job_duration_ms_bucket",
        "spg_job_stage_duration_ms_bucket",
        "spg_jobs_finished_total",
        "spg_dead_letters_created_total",
        "spg_websocket_connections_open",
    ):
        assert f"# TYPE {name.removesuffix('_bucket').removesuffix('_total')}" in exported, name


def test_the_browsable_api_lists_reads_and_posts(user, client):
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    job = storage_api.create_job(user_id=user.pk, text="t", target_emotion="fun", target_point=(8, 8), length=10)
    listing = browser.get(URL, HTTP_ACCEPT="text/html")
    assert listing.status_code == 200 and b'name="target_emotion"' in listing.content
    for url in (f"/api/v1/jobs/{job.job_id}/", f"/api/v1/playlists/{job.job_id}/"):
        assert browser.get(url, HTTP_ACCEPT="text/html").status_code == 200
    # The HTML form posts multipart/form-data.
    assert browser.post(URL, {"text": "from the form", "target_emotion": "love"}, HTTP_ACCEPT="text/html").status_code == 202
    assert browser.post(URL, {"text": " ", "target_emotion": "love"}, HTTP_ACCEPT="text/html").status_code == 400


def test_job_creation_is_throttled_but_reading_is_not(client, user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"job_create": "2/minute"}}
    assert [client.post(URL, VALID, format="json").status_code for _ in range(2)] == [202, 202]
    refused = client.post(URL, VALID, format="json")
    assert refused.status_code == 429 and refused["Retry-After"] and refused.json()["error"]["message"]
    assert job_count(user) == 2
    assert all(client.get(URL).status_code == 200 for _ in range(4))


def test_the_chain_is_published_without_a_repr_of_the_payload(client, user, monkeypatch):
    """Each step's message names its argument's shape only; Celery is not left to repr the payload first.

    The repr was computed and then thrown away by the redacting publish hook: pure CPU, on every step.
    """
    import celery.app.amqp
    from celery import signals

    reprs, published = [], []
    real_saferepr = celery.app.amqp.saferepr
    monkeypatch.setattr(celery.app.amqp, "saferepr", lambda *a, **k: reprs.append(a) or real_saferepr(*a, **k))

    def capture(body=None, headers=None, **_):
        published.append((dict(headers), body))

    signals.before_task_publish.connect(capture, weak=False, dispatch_uid="test.capture")
    try:
        assert client.post(URL, VALID, format="json").status_code == 202
    finally:
        signals.before_task_publish.disconnect(dispatch_uid="test.capture")
    assert reprs == []
    (headers, (args, kwargs, embed)), = published
    assert headers["argsrepr"] == "(1 argument: [redacted])" and VALID["text"] not in repr(headers)
    # The later steps carry the same option, so the worker's sends skip the repr too.
    assert [step["options"]["argsrepr"] for step in embed["chain"]] == ["(1 argument: [redacted])"] * 2
