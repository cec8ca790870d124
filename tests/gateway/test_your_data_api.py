"""The "your data" API: delete a playlist or the history, export everything, delete the account.

Owner only (another user's playlist is a 404), authenticated like the rest (Bearer without CSRF,
cookies and sessions with it), and a wrong password deletes nothing.
"""

from __future__ import annotations

import json

import pytest
from celery import signals
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.storage import api as storage_api
from apps.storage.models import DeadLetter, Outcome
from apps.storage.tasks import save_result
from tests.helpers import completed_job

PLAYLIST = {"songs": [{"id": 1, "title": "Song", "artist": "Artist", "valence": 1.0, "arousal": 2.0}], "catalog_version": "c", "engine_version": "e"}

pytestmark = pytest.mark.django_db(transaction=True)  # the dead-letter handler closes old connections

PASSWORD = "S3cret-pass-123"
LOGIN = "/api/v1/auth/login/"
ACCOUNT, EXPORT, HISTORY, DELETE_ACCOUNT = "/api/v1/account/", "/api/v1/account/export/", "/api/v1/account/playlists/", "/api/v1/account/delete/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, email=f"{username}@example.com", password=PASSWORD)


def make_job(user, text: str, failed: bool = False) -> str:
    state = storage_api.create_job(user_id=user.pk, text=text, target_emotion="fun", target_point=(8, 8), length=5)
    if failed:  # a step failed for good: the job fails and gets a dead letter
        signals.task_failure.send(
            sender=save_result, task_id=f"t-{state.job_id}", exception=RuntimeError("kaput"),
            args=({"job_id": state.job_id, "attempt": 1, "text": text},), kwargs={}, einfo=None,
        )
    return state.job_id


def log_in(username: str) -> tuple[Client, dict]:
    """A browser-like client (CSRF enforced) after a real login: session, token cookies, and the JSON pair."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": username, "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 200, response.content
    return client, response.json()


def bearer(tokens: dict) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}


def csrf(client: Client) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def sessions_of(user_id: int) -> int:
    return sum(1 for session in Session.objects.all() if session.get_decoded().get(SESSION_KEY) == str(user_id))


@pytest.fixture
def ann():
    return make_user("ann")


@pytest.fixture
def bob():
    return make_user("bob")


def test_delete_one_playlist_owner_only(ann, bob):
    mine, keep = make_job(ann, "mine to delete", failed=True), make_job(ann, "mine to keep")
    theirs = make_job(bob, "bob's")
    client, tokens = log_in("ann")

    assert client.delete(f"/api/v1/playlists/{theirs}/", **bearer(tokens)).status_code == 404  # not yours: as if missing
    assert storage_api.get_job(theirs) is not None
    response = client.delete(f"/api/v1/playlists/{mine}/", **bearer(tokens))
    assert response.status_code == 204
    assert client.get(f"/api/v1/playlists/{mine}/", **bearer(tokens)).status_code == 404
    assert client.delete(f"/api/v1/playlists/{mine}/", **bearer(tokens)).json()["error"]["code"] == "not_found"
    assert not DeadLetter.objects.filter(job_id=mine).exists()
    assert storage_api.get_job(keep) is not None


def test_unsafe_calls_with_cookies_need_the_csrf_header_and_anonymous_ones_are_refused(ann):
    job_id = make_job(ann, "x")
    client, _ = log_in("ann")
    for method, url in (("delete", f"/api/v1/playlists/{job_id}/"), ("delete", HISTORY), ("post", DELETE_ACCOUNT)):
        response = getattr(client, method)(url, {"password": PASSWORD}, content_type="application/json")
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
        assert getattr(Client(), method)(url, {"password": PASSWORD}, content_type="application/json").status_code == 401
    assert storage_api.get_job(job_id) is not None and get_user_model().objects.filter(pk=ann.pk).exists()
    assert client.delete(f"/api/v1/playlists/{job_id}/", **csrf(client)).status_code == 204  # with the header: fine


def test_delete_all_history_leaves_the_account_and_other_people_alone(ann, bob):
    for index in range(3):
        make_job(ann, f"ann {index}", failed=index == 0)
    storage_api.record_outcome(completed_job(ann.pk, PLAYLIST), ann.pk, (5.0, 5.0))
    theirs = make_job(bob, "bob's", failed=True)
    bobs_outcome = completed_job(bob.pk, PLAYLIST)
    storage_api.record_outcome(bobs_outcome, bob.pk, (1.0, 1.0))
    client, _ = log_in("ann")
    response = client.delete(HISTORY, **csrf(client))
    assert response.status_code == 200 and response.json() == {"playlists": 4, "outcomes": 1, "failure_records": 1}
    assert str(Outcome.objects.get().job_id) == bobs_outcome
    assert storage_api.count_jobs(ann.pk) == 0 and storage_api.get_job(theirs) is not None
    assert DeadLetter.objects.filter(job_id=theirs).count() == 1
    assert client.get(ACCOUNT).json()["counts"] == {"playlists": 0, "texts_kept": 0, "texts_erased": 0, "outcomes": 0, "failure_records": 0}


def test_export_round_trips_every_playlist_and_nothing_of_anyone_else(ann, bob):
    mine = [make_job(ann, f"ann's day {index}: <b>grey</b> ☁", failed=index == 1) for index in range(4)]
    mine.append(completed_job(ann.pk, PLAYLIST, text="ann's finished day"))
    storage_api.record_outcome(mine[-1], ann.pk, (6.0, 2.0), "relief")
    make_job(bob, "bob's secret")
    storage_api.record_outcome(completed_job(bob.pk, PLAYLIST, text="bob's finished day"), bob.pk, (1.0, 1.0))
    client, tokens = log_in("ann")

    response = client.get(EXPORT, **bearer(tokens))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="spg-export-ann-')
    data = json.loads(response.content)
    assert data["format"] == "spg-export/1"
    assert data["account"]["username"] == "ann" and data["account"]["email"] == "ann@example.com"
    assert "password" not in json.dumps(data["account"])
    assert [playlist["job_id"] for playlist in data["playlists"]] == mine  # every one, oldest first
    for playlist in data["playlists"]:
        detail = client.get(f"/api/v1/playlists/{playlist['job_id']}/", **bearer(tokens)).json()
        assert {key: value for key, value in playlist.items() if key not in ("text_erased_at", "outcome")} == detail
        assert playlist["text_erased_at"] is None
    outcomes = {playlist["job_id"]: playlist["outcome"] for playlist in data["playlists"]}
    assert outcomes[mine[-1]] == storage_api.get_outcome(mine[-1], ann.pk).to_dict()
    assert outcomes[mine[-1]]["after_emotion"] == "relief" and [o for o in outcomes.values() if o] == [outcomes[mine[-1]]]
    assert [record["job_id"] for record in data["failure_records"]] == [mine[1]]
    assert "bob" not in response.content.decode()
    assert data["kept_after_deletion"]


def test_the_account_summary_counts_what_is_stored(ann):
    make_job(ann, "one", failed=True)
    make_job(ann, "two")
    client, tokens = log_in("ann")
    body = client.get(ACCOUNT, **bearer(tokens)).json()
    assert body["account"]["username"] == "ann"
    assert body["counts"] == {"playlists": 2, "texts_kept": 2, "texts_erased": 0, "outcomes": 0, "failure_records": 1}
    assert body["retention_days"] == 0 and "metrics" in body["kept_after_deletion"]


@pytest.mark.parametrize(
    ("body", "code"),
    [({"password": "wrong password"}, "invalid"), ({}, "invalid"), ({"password": ""}, "invalid"),
     ({"password": 123}, "invalid"), ({"password": PASSWORD, "extra": 1}, "invalid")],
)
def test_a_wrong_or_missing_password_answers_400_and_deletes_nothing(ann, body, code):
    job_id = make_job(ann, "stays", failed=True)
    client, tokens = log_in("ann")
    response = client.post(DELETE_ACCOUNT, body, content_type="application/json", **csrf(client))
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["fields"]
    if body == {"password": "wrong password"}:
        assert error["fields"] == {"password": ["Wrong password."]}
    assert get_user_model().objects.filter(pk=ann.pk).exists()
    assert storage_api.get_job(job_id) is not None and DeadLetter.objects.filter(job_id=job_id).exists()
    assert OutstandingToken.objects.filter(user_id=ann.pk).exists() and sessions_of(ann.pk) == 1
    assert client.get("/api/v1/auth/me/", **bearer(tokens)).status_code == 200


def test_deleting_the_account_leaves_no_row_that_refers_to_the_person(ann, bob):
    jobs = [make_job(ann, "first", failed=True), make_job(ann, "second"), completed_job(ann.pk, PLAYLIST)]
    storage_api.record_outcome(jobs[-1], ann.pk, (3.0, 3.0))
    theirs = make_job(bob, "bob's", failed=True)
    client, tokens = log_in("ann")
    other_browser, _ = log_in("ann")  # a second session and token pair
    client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, content_type="application/json")  # a spent token
    bob_client, _ = log_in("bob")

    response = client.post(DELETE_ACCOUNT, {"password": PASSWORD}, content_type="application/json", **csrf(client))

    assert response.status_code == 204, response.content
    assert response.cookies["spg_access"].value == "" and response.cookies["spg_refresh"].value == ""
    assert not get_user_model().objects.filter(pk=ann.pk).exists()
    assert all(storage_api.get_job(job_id) is None for job_id in jobs) and storage_api.count_jobs(ann.pk) == 0
    assert not DeadLetter.objects.filter(job_id__in=jobs).exists()
    assert not Outcome.objects.filter(job_id__in=jobs).exists() and Outcome.objects.count() == 0
    assert not OutstandingToken.objects.filter(user_id=ann.pk).exists()
    assert not BlacklistedToken.objects.filter(token__user_id=ann.pk).exists()
    assert not any(f'"user_id":{ann.pk},' in token.replace(" ", "") for token in OutstandingToken.objects.values_list("token", flat=True))
    assert sessions_of(ann.pk) == 0
    # The old credentials no longer work anywhere; the other person is untouched.
    assert client.get("/api/v1/auth/me/", **bearer(tokens)).json()["error"]["code"] == "user_not_found"
    assert other_browser.get(ACCOUNT).status_code in (401, 403)
    assert bob_client.get(ACCOUNT).status_code == 200 and storage_api.get_job(theirs) is not None
    assert DeadLetter.objects.filter(job_id=theirs).count() == 1 and sessions_of(bob.pk) == 1


def test_deleting_the_account_with_a_bearer_token_needs_no_csrf(ann):
    _, tokens = log_in("ann")
    response = Client(enforce_csrf_checks=True).post(
        DELETE_ACCOUNT, {"password": PASSWORD}, content_type="application/json", **bearer(tokens)
    )
    assert response.status_code == 204
    assert not get_user_model().objects.filter(pk=ann.pk).exists()


def test_account_deletion_is_throttled(ann, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "account_delete": "2/hour"}}
    client, tokens = log_in("ann")
    codes = [
        client.post(DELETE_ACCOUNT, {"password": f"guess {n}"}, content_type="application/json", **bearer(tokens)).status_code
        for n in range(3)
    ]
    assert codes == [400, 400, 429]
    assert get_user_model().objects.filter(pk=ann.pk).exists()


def test_the_schema_documents_every_data_endpoint_with_the_error_envelope():
    schema = Client().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    envelope = "#/components/schemas/ErrorEnvelope"

    def errors(operation: dict) -> dict[str, str]:
        return {
            status: response["content"]["application/json"]["schema"]["$ref"]
            for status, response in operation["responses"].items() if status.startswith(("4", "5"))
        }

    assert set(errors(paths["/api/v1/playlists/{job_id}/"]["delete"])) == {"401", "403", "404", "503"}
    assert "204" in paths["/api/v1/playlists/{job_id}/"]["delete"]["responses"]
    delete_account = paths["/api/v1/account/delete/"]["post"]
    assert set(errors(delete_account)) == {"400", "401", "403", "415", "429", "503"}
    assert all(ref == envelope for ref in errors(delete_account).values())
    body = schema["components"]["schemas"]["AccountDeleteRequest"]
    assert body["required"] == ["password"]
    assert (body["properties"]["password"]["minLength"], body["properties"]["password"]["maxLength"]) == (1, 256)
    assert set(errors(paths["/api/v1/account/playlists/"]["delete"])) == {"401", "403", "503"}
    for path in ("/api/v1/account/", "/api/v1/account/export/"):
        assert set(errors(paths[path]["get"])) == {"401", "403", "503"}
    export = schema["components"]["schemas"]["DataExport"]["properties"]
    assert export["playlists"]["items"]["$ref"].endswith("/ExportedPlaylist")


def test_the_admin_user_page_shows_the_same_counts(ann, client):
    make_job(ann, "one", failed=True)
    make_job(ann, "two")
    staff = get_user_model().objects.create_superuser(username="root", email="root@example.com", password=PASSWORD)
    client.force_login(staff)
    page = client.get(f"/admin/accounts/user/{ann.pk}/change/").content.decode()
    assert "playlists: 2, texts kept: 2, texts erased: 0, outcomes: 0, failure records: 1" in page


def test_deleting_a_user_in_the_admin_is_as_complete(ann, bob, client):
    job_id = make_job(ann, "gone with the account", failed=True)
    log_in("ann")
    staff = get_user_model().objects.create_superuser(username="root", email="root@example.com", password=PASSWORD)
    client.force_login(staff)
    response = client.post(f"/admin/accounts/user/{ann.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302, response.content[:300]
    assert not get_user_model().objects.filter(pk=ann.pk).exists()
    assert storage_api.get_job(job_id) is None and not DeadLetter.objects.filter(job_id=job_id).exists()
    assert not OutstandingToken.objects.filter(user_id=ann.pk).exists() and sessions_of(ann.pk) == 0
    assert get_user_model().objects.filter(pk=bob.pk).exists()


def test_after_deletion_old_tokens_leave_no_new_row_and_the_export_is_json_for_any_accept(ann):
    client, tokens = log_in("ann")
    export = client.get(EXPORT, HTTP_ACCEPT="text/html,application/xhtml+xml")  # a browser following the link
    assert export.status_code == 200 and export["Content-Type"].startswith("application/json")
    assert client.post(DELETE_ACCOUNT, {"password": PASSWORD}, content_type="application/json", **csrf(client)).status_code == 204
    for url in ("/api/v1/auth/logout/", "/api/v1/auth/refresh/"):
        response = Client().post(url, {"refresh": tokens["refresh"]}, content_type="application/json")
        assert response.status_code == 401 and response.json()["error"]["code"] == "user_not_found"
    assert OutstandingToken.objects.count() == 0  # a logout with a dead user's token records nothing
