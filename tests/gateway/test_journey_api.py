"""The job API's journey fields: target and start as an emotion or a point, waypoints, pacing, seed."""

from __future__ import annotations

import pytest

from tests.gateway.test_jobs_api import URL, client, job_count, user  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

TEXT = "Tired but hopeful."


def _post(client, **fields):  # noqa: F811
    return client.post(URL, {"text": TEXT, **fields}, format="json")


def test_a_point_target_a_chosen_start_waypoints_and_pacing_are_stored_with_the_job(client, user):  # noqa: F811
    response = _post(
        client,
        target=[7.5, -2.25],
        start="Sadness",
        waypoints=["relief", [0, 0], [-3.5, 6]],
        length=12,
        stay=3,
        max_step=4.5,
        artist_cap=1,
        seed=42,
    )
    assert response.status_code == 202, response.content
    job = client.get(response.json()["status_url"]).json()
    assert job["target_emotion"] is None and job["target_point"] == [7.5, -2.25]
    journey = job["journey"]
    assert journey["start_point"] == [-10.0, -9.0]  # "sadness" on the plane
    assert journey["waypoints"][1:] == [[0.0, 0.0], [-3.5, 6.0]] and len(journey["waypoints"]) == 3
    assert (journey["stay"], journey["max_step"], journey["artist_cap"], journey["seed"]) == (3, 4.5, 1, 42)
    assert journey["rerouted_from"] is None and journey["exclude_song_ids"] == []


def test_a_named_target_and_the_old_field_mean_the_same(client):  # noqa: F811
    named = client.get(_post(client, target="fun").json()["status_url"]).json()
    legacy = client.get(_post(client, target_emotion="fun").json()["status_url"]).json()
    assert (named["target_emotion"], named["target_point"]) == (legacy["target_emotion"], legacy["target_point"]) == ("fun", [8.0, 8.0])


@pytest.mark.parametrize(("length", "stay"), [(3, 1), (5, 1), (6, 2), (10, 2), (11, 3), (50, 3)])
def test_without_a_stay_the_measured_default_applies(client, length, stay):  # noqa: F811
    job = client.get(_post(client, target="love", length=length).json()["status_url"]).json()
    assert job["journey"]["stay"] == stay


def test_shuffle_draws_a_seed_and_a_given_seed_is_kept(client):  # noqa: F811
    seeds = {client.get(_post(client, target="love", shuffle=True).json()["status_url"]).json()["journey"]["seed"] for _ in range(3)}
    assert None not in seeds and len(seeds) == 3
    kept = client.get(_post(client, target="love", shuffle=True, seed=7).json()["status_url"]).json()
    assert kept["journey"]["seed"] == 7
    plain = client.get(_post(client, target="love").json()["status_url"]).json()
    assert plain["journey"]["seed"] is None


BAD = [
    ({"target": [11, 0]}, "target"),  # off the plane
    ({"target": [0, -10.5]}, "target"),
    ({"target": [0]}, "target"),
    ({"target": [True, 1]}, "target"),
    ({"target": "euphoria"}, "target"),  # unknown emotion
    ({"target": 5}, "target"),
    ({}, "target"),
    ({"target": "fun", "target_emotion": "fun"}, "target"),
    ({"target": "fun", "start": [3, 99]}, "start"),
    ({"target": "fun", "start": "elated"}, "start"),
    ({"target": "fun", "waypoints": ["relief", [0, 0], [1, 1], [2, 2]]}, "waypoints"),  # too many
    ({"target": "fun", "waypoints": [[0, 20]]}, "waypoints"),
    ({"target": "fun", "waypoints": ["nope"]}, "waypoints"),
    ({"target": "fun", "waypoints": "relief"}, "waypoints"),
    ({"target": "fun", "length": 10, "stay": 10}, "stay"),  # k not less than the length
    ({"target": "fun", "length": 5, "stay": 7}, "stay"),
    ({"target": "fun", "stay": -1}, "stay"),
    ({"target": "fun", "stay": 1.5}, "stay"),
    ({"target": "fun", "max_step": 0.1}, "max_step"),
    ({"target": "fun", "max_step": 100}, "max_step"),
    ({"target": "fun", "max_step": True}, "max_step"),
    ({"target": "fun", "max_step": "far"}, "max_step"),
    ({"target": "fun", "artist_cap": 0}, "artist_cap"),
    ({"target": "fun", "artist_cap": 51}, "artist_cap"),
    ({"target": "fun", "seed": -1}, "seed"),
    ({"target": "fun", "seed": 2**53}, "seed"),
    ({"target": "fun", "seed": "x"}, "seed"),
    ({"target": "fun", "shuffle": "maybe"}, "shuffle"),
]


@pytest.mark.parametrize(("fields", "bad"), BAD)
def test_every_bad_value_is_a_400_naming_its_field_and_creates_nothing(client, user, fields, bad):  # noqa: F811
    response = _post(client, **fields)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"].get(bad), error
    assert TEXT not in response.content.decode()
    assert job_count(user) == 0


def test_the_schema_documents_the_journey_fields_with_their_constraints(client):  # noqa: F811
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    request = schema["components"]["schemas"]["PlaylistRequest"]["properties"]
    place = request["target"]
    assert {"type": "array", "items": {"type": "number", "minimum": -10.0, "maximum": 10.0}, "minItems": 2, "maxItems": 2}.items() <= next(
        option for option in place["oneOf"] if option["type"] == "array"
    ).items()
    assert "fun" in next(option for option in place["oneOf"] if option["type"] == "string")["enum"]
    assert request["waypoints"]["maxItems"] == 3
    assert (request["stay"]["minimum"], request["stay"]["maximum"]) == (0, 49)
    assert (request["max_step"]["minimum"], request["max_step"]["maximum"], request["max_step"]["nullable"]) == (0.5, 28.3, True)
    assert (request["artist_cap"]["minimum"], request["artist_cap"]["maximum"]) == (1, 50)
    assert (request["seed"]["minimum"], request["seed"]["maximum"]) == (0, 2**53 - 1)
    assert schema["components"]["schemas"]["PlaylistRequest"]["oneOf"] == [{"required": ["target"]}, {"required": ["target_emotion"]}]
    assert schema["components"]["schemas"]["RerouteRequest"]["anyOf"] == [{"required": ["text"]}, {"required": ["start"]}]
    journey = schema["components"]["schemas"]["Journey"]["properties"]
    assert {"start_point", "waypoints", "stay", "max_step", "artist_cap", "seed", "rerouted_from", "exclude_song_ids"} <= set(journey)


# --- re-route while listening ------------------------------------------------------------------------


def _reroute(client, job_id, **fields):  # noqa: F811
    return client.post(f"/api/v1/playlists/{job_id}/reroute/", fields, format="json")


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"text": "better now"}, "position"),
        ({"position": -1, "text": "better now"}, "position"),
        ({"position": 1}, "text"),  # neither text nor start
        ({"position": 1, "text": "  "}, "text"),
        ({"position": 1, "start": [0, 12]}, "start"),
        ({"position": 1, "text": "x" * 2001}, "text"),
    ],
)
def test_a_bad_reroute_is_a_400_naming_its_field_and_creates_nothing(client, user, fields, bad):  # noqa: F811
    from apps.storage import api as storage_api

    parent = storage_api.create_job(user_id=user.pk, text="t", target_emotion="fun", target_point=(8, 8), length=10)
    response = _reroute(client, parent.job_id, **fields)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"].get(bad)
    assert job_count(user) == 1


def test_a_playlist_not_finished_yet_is_a_409_conflict_naming_the_job(client, user):  # noqa: F811
    from apps.storage import api as storage_api

    parent = storage_api.create_job(user_id=user.pk, text="t", target_emotion="fun", target_point=(8, 8), length=10)
    response = _reroute(client, parent.job_id, position=1, text="better now")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "conflict" and response.json()["error"]["fields"]["job"]
    assert job_count(user) == 1


def test_only_your_own_playlists_can_be_rerouted(client):  # noqa: F811
    from django.contrib.auth import get_user_model

    from apps.storage import api as storage_api

    other = get_user_model().objects.create_user(username="cid", email="cid@example.com", password="S3cret-pass-123")
    theirs = storage_api.create_job(user_id=other.pk, text="t", target_emotion="fun", target_point=(8, 8), length=10)
    assert _reroute(client, theirs.job_id, position=1, text="hi").status_code == 404


def test_a_form_sends_a_point_as_the_field_twice(client):  # noqa: F811
    from urllib.parse import urlencode

    form = urlencode([("text", TEXT), ("target", "2.5"), ("target", "-3"), ("start", "fun")])
    response = client.post(URL, form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 202, response.content
    job = client.get(response.json()["status_url"]).json()
    assert job["target_point"] == [2.5, -3.0] and job["journey"]["start_point"] == [8.0, 8.0]
    bad = urlencode([("text", TEXT), ("target", "x"), ("target", "1")])
    assert client.post(URL, bad, content_type="application/x-www-form-urlencoded").json()["error"]["fields"]["target"]


def test_a_form_sends_waypoints_flat(client):  # noqa: F811
    from urllib.parse import urlencode

    form = urlencode([("text", TEXT), ("target", "fun"), ("waypoints", "relief"), ("waypoints", "1.5"), ("waypoints", "-2")])
    response = client.post(URL, form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 202, response.content
    assert client.get(response.json()["status_url"]).json()["journey"]["waypoints"] == [[8.0, -8.0], [1.5, -2.0]]
