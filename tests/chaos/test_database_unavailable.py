"""A database that is locked past its busy timeout, or unreachable, answers the API's 503 envelope
(never a 500) and saves nothing. The end-to-end version (a real SQLite lock under load) is in
test_chaos.py; this one is fast and runs against either database."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError
from rest_framework.test import APIClient

from apps.storage import api as storage_api

pytestmark = pytest.mark.django_db

URL = "/api/v1/playlists/"
VALID = {"text": "Feeling a bit down today.", "target_emotion": "happiness"}


@pytest.mark.parametrize("error", [OperationalError("database is locked"), InterfaceError("connection already closed")])
def test_database_errors_on_job_creation_answer_503_json_and_save_nothing(monkeypatch, error):
    user = get_user_model().objects.create_user(username="lou", email="lou@example.com", password="S3cret-pass-123")
    client = APIClient()
    client.force_authenticate(user)

    def unavailable(**_):
        raise error

    monkeypatch.setattr(storage_api, "create_job", unavailable)
    response = client.post(URL, VALID, format="json")

    assert response.status_code == 503
    assert response.json() == {
        "error": {"code": "unavailable", "message": "The service is busy or unreachable right now. Please try again shortly."}
    }
    assert response["Retry-After"] == "5"
    assert storage_api.count_jobs(user.pk) == 0
