"""Outcomes through the API: create, change and read, owner only; bad input is a 400 naming the field."""

from __future__ import annotations

import math

import pytest
from django.contrib.auth import get_user_model
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from apps.storage import api as storage_api
from tests.helpers import completed_job

pytestmark = pytest.mark.django_db

PLAYLIST = {"songs": [{"id": 1, "title": "T", "artist": "A", "album": "", "valence": 0.0, "arousal": 0.0, "url": None}], "notes": [],
            "engine_version": "engine-x"}
# The reading found sadness (-9, -8); the playlist walks towards happiness (10, 9).
BEFORE, TARGET = (-9.0, -8.0), (10.0, 9.0)


def _account(name: str) -> tuple[APIClient, object]:
    user = get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="S3cret-pass-123")
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.fixture
def ann():
    return _account("ann")


@pytest.fixture
def job_id(ann):
    return completed_job(ann[1].pk, PLAYLIST)


def url(job_id) -> str:
    return f"/api/v1/playlists/{job_id}/outcome/"


def reported(direction: str, changed: str) -> float:
    labels = {"direction": direction, "changed": changed, "model_version": "test-model", "engine_version": "engine-x"}
    return REGISTRY.get_sample_value("spg_outcomes_reported_total", labels) or 0.0


def test_create_read_and_change_an_outcome(ann, job_id):
    client, _ = ann
    assert client.get(url(job_id)).status_code == 404  # nothing reported yet
    toward_before = reported("toward", "no")

    created = client.put(url(job_id), {"valence": 0.5, "arousal": 0.5}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["job_id"] == job_id and body["target_emotion"] == "happiness"
    assert body["before_point"] == list(BEFORE) and body["after_point"] == [0.5, 0.5] and body["target_point"] == list(TARGET)
    assert body["after_emotion"] is None and body["toward_target"] is True
    assert body["distance_moved"] == pytest.approx(math.dist(BEFORE, (0.5, 0.5)), abs=1e-3)
    expected = (math.dist(BEFORE, TARGET) - math.dist((0.5, 0.5), TARGET)) / math.dist(BEFORE, TARGET)
    assert body["progress"] == pytest.approx(expected, abs=1e-3)
    assert client.get(url(job_id)).json() == body
    assert reported("toward", "no") == toward_before + 1

    away_before = reported("away", "yes")
    changed = client.put(url(job_id), {"emotion": "Sadness"}, format="json")  # case-insensitive, its place on the plane
    assert changed.status_code == 200
    assert changed.json()["after_emotion"] == "sadness" and changed.json()["after_point"] == [-10.0, -9.0]
    assert changed.json()["toward_target"] is False and changed.json()["created_at"] == body["created_at"]
    assert client.get(url(job_id)).json()["after_emotion"] == "sadness"
    assert reported("away", "yes") == away_before + 1
    assert [o["job_id"] for o in client.get("/api/v1/outcomes/").json()] == [job_id]


def test_another_users_playlist_is_not_found_and_left_alone(ann, job_id):
    ann[0].put(url(job_id), {"emotion": "love"}, format="json")
    bob, _ = _account("bob")
    assert bob.get(url(job_id)).status_code == 404
    assert bob.options(url(job_id)).status_code == 200  # DRF's metadata answer, without leaking the job
    response = bob.put(url(job_id), {"emotion": "sadness"}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert storage_api.get_outcome(job_id, ann[1].pk).after_emotion == "love"
    assert bob.get("/api/v1/outcomes/").json() == [] and bob.get("/api/v1/outcomes/summary/").json()["count"] == 0
    assert bob.get(f"/api/v1/outcomes/?job_id={job_id}").json() == []
    assert APIClient().put(url(job_id), {"emotion": "love"}, format="json").status_code == 401
    assert ann[0].put(url("6f1c1a7e-0000-4000-8000-000000000000"), {"emotion": "love"}, format="json").status_code == 404


def test_a_playlist_not_ready_yet_cannot_have_an_outcome(ann):
    queued = storage_api.create_job(user_id=ann[1].pk, text="x", target_emotion="fun", target_point=(8, 8), length=5)
    response = ann[0].put(url(queued.job_id), {"emotion": "fun"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "job_not_finished"
    assert storage_api.get_outcome(queued.job_id, ann[1].pk) is None


BAD = [
    ({}, "emotion"),
    ({"emotion": "euphoria"}, "emotion"),
    ({"emotion": ""}, "emotion"),
    ({"emotion": 3}, "emotion"),
    ({"emotion": "love", "valence": 1, "arousal": 1}, "emotion"),
    ({"valence": 1}, "arousal"),
    ({"arousal": 1}, "valence"),
    ({"valence": 10.5, "arousal": 0}, "valence"),
    ({"valence": 0, "arousal": -11}, "arousal"),
    ({"valence": "high", "arousal": 0}, "valence"),
    ({"valence": True, "arousal": 0}, "valence"),
    ({"valence": None, "arousal": 0}, "valence"),
    ({"valence": [1], "arousal": 0}, "valence"),
    ({"valence": 0, "arousal": "NaN"}, "arousal"),
    ({"valence": 0, "arousal": "Infinity"}, "arousal"),
    ({"valence": 0, "arousal": 0, "mood": "ok"}, "mood"),
]


@pytest.mark.parametrize(("body", "field"), BAD, ids=[repr(b) for b, _ in BAD])
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(ann, job_id, body, field):
    response = ann[0].put(url(job_id), body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    assert storage_api.get_outcome(job_id, ann[1].pk) is None


def test_a_body_that_is_not_an_object_is_a_400(ann, job_id):
    response = ann[0].put(url(job_id), "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert ann[0].put(url(job_id), "{", content_type="application/json").json()["error"]["code"] == "parse_error"


def test_the_summary_counts_moves_towards_the_target_per_target_best_first(ann):
    client, user = ann
    fun = {"target": ("fun", (8.0, 8.0))}
    reports = [
        (completed_job(user.pk, PLAYLIST), {"emotion": "happiness"}),  # reached the target
        (completed_job(user.pk, PLAYLIST), {"valence": -9, "arousal": -8}),  # did not move
        (completed_job(user.pk, PLAYLIST, **fun), {"emotion": "sadness"}),  # farther from fun
    ]
    for job_id, body in reports:
        assert client.put(url(job_id), body, format="json").status_code == 201
    summary = client.get("/api/v1/outcomes/summary/").json()
    assert summary["count"] == 3 and summary["toward_target"] == 1 and summary["share_toward_target"] == pytest.approx(0.333, abs=1e-3)
    assert summary["mean_distance_moved"] == pytest.approx((math.dist(BEFORE, TARGET) + 0 + math.dist(BEFORE, (-10, -9))) / 3, abs=1e-3)
    happiness, fun_group = summary["groups"]
    assert happiness["key"] == "happiness" and happiness["count"] == 2 and happiness["share_toward_target"] == 0.5
    assert happiness["mean_progress"] == pytest.approx(0.5, abs=1e-3)
    assert fun_group["key"] == "fun" and fun_group["toward_target"] == 0 and fun_group["mean_progress"] < 0

    listed = client.get(f"/api/v1/outcomes/?job_id={reports[0][0]}&job_id={reports[2][0]}").json()
    assert sorted(o["job_id"] for o in listed) == sorted([reports[0][0], reports[2][0]])
    too_many = "&".join(f"job_id={reports[0][0]}" for _ in range(51))
    response = client.get(f"/api/v1/outcomes/?{too_many}")
    assert response.status_code == 400 and "job_id" in response.json()["error"]["fields"]
    response = client.get("/api/v1/outcomes/?job_id=not-a-job")
    assert response.status_code == 400 and "job_id" in response.json()["error"]["fields"]


def test_no_outcomes_yet_is_an_empty_summary(ann):
    assert ann[0].get("/api/v1/outcomes/summary/").json() == {
        "count": 0, "toward_target": 0, "share_toward_target": None, "mean_distance_moved": None, "mean_progress": None, "groups": [],
    }
