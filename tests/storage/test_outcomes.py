"""Outcomes in storage: the measures, one row per job (changeable), the summaries, the admin."""

from __future__ import annotations

import math

import pytest
from django.contrib.auth import get_user_model

from apps.storage import api
from apps.storage.outcomes import measure
from tests.helpers import completed_job

pytestmark = pytest.mark.django_db

PLAYLIST = {"songs": [{"id": 1, "title": "T", "artist": "A", "album": "", "valence": 0.0, "arousal": 0.0, "url": None}],
            "engine_version": "engine-a"}


@pytest.fixture
def user():
    return get_user_model().objects.create_user(username="kim", email="kim@example.com", password="S3cret-pass-123")


def test_measures():
    reached = measure((-9, -8), (10, 9), (10, 9))
    assert reached.toward_target and reached.progress == 1 and reached.distance_moved == pytest.approx(math.dist((-9, -8), (10, 9)))
    still = measure((-9, -8), (-9, -8), (10, 9))
    assert not still.toward_target and still.progress == 0 and still.distance_moved == 0
    away = measure((0, 0), (-5, 0), (5, 0))
    assert not away.toward_target and away.progress == -1
    at_target = measure((5, 5), (4, 5), (5, 5))
    assert at_target.progress is None and not at_target.toward_target


def test_the_before_is_the_start_the_person_chose_when_they_corrected_the_reading(user):
    read = completed_job(user.pk, PLAYLIST)  # the reading found (-9, -8)
    corrected = completed_job(user.pk, PLAYLIST, journey=api.Journey(start_point=(2.0, 3.0)))
    assert api.record_outcome(read, user.pk, (5.0, 5.0))[0].before_point == (-9.0, -8.0)
    outcome, _ = api.record_outcome(corrected, user.pk, (5.0, 5.0))
    assert outcome.before_point == (2.0, 3.0)
    assert outcome.distance_moved == pytest.approx(math.dist((2.0, 3.0), (5.0, 5.0)), abs=1e-3)


def test_one_outcome_per_job_changeable_and_removed_with_its_job(user):
    job_id = completed_job(user.pk, PLAYLIST)
    first, created = api.record_outcome(job_id, user.pk, (1.0, 2.0))
    assert created and first.after_point == (1.0, 2.0)
    second, created = api.record_outcome(job_id, user.pk, (10.0, 9.0), "happiness")
    assert not created and second.after_emotion == "happiness" and second.progress == 1
    assert [o.job_id for o in api.list_outcomes(user.pk)] == [job_id]
    assert api.record_outcome("not-a-uuid", user.pk, (0.0, 0.0)) is None
    get_user_model().objects.filter(pk=user.pk).delete()
    assert api.outcome_summary().count == 0


def test_the_operator_summary_groups_by_model_and_engine_version(user):
    a = completed_job(user.pk, PLAYLIST)
    b = completed_job(user.pk, {**PLAYLIST, "engine_version": "engine-b"})
    api.record_outcome(a, user.pk, (10.0, 9.0), "happiness")
    api.record_outcome(b, user.pk, (-10.0, -9.0), "sadness")
    groups = api.outcome_summary(by="version").groups
    assert [(g.key, g.count, g.toward_target) for g in groups] == [("test-model / engine-a", 1, 1), ("test-model / engine-b", 1, 0)]


def test_admin_lists_outcomes_with_the_summary(user, client):
    job_id = completed_job(user.pk, PLAYLIST)
    admin = get_user_model().objects.create_superuser(username="root", email="root@example.com", password="S3cret-pass-123")
    client.force_login(admin)
    empty = client.get("/admin/storage/outcome/")
    assert empty.status_code == 200 and b"No outcomes reported yet." in empty.content
    api.record_outcome(job_id, user.pk, (10.0, 9.0), "happiness")
    listing = client.get("/admin/storage/outcome/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert 'id="outcomes-by-version"' in html and "test-model / engine-a" in html and "100%" in html
    assert client.get(f"/admin/storage/outcome/{job_id}/change/").status_code == 200
    job_page = client.get(f"/admin/storage/playlistjob/{job_id}/change/")  # the outcome shows on its job's page too
    assert job_page.status_code == 200 and b"happiness" in job_page.content and b"Toward target" in job_page.content
