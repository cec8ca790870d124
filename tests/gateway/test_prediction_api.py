"""The reading through the API: how sure it is (confidence, unsure, halo_radius) and which words moved it
(words, explanation_method), documented in the schema, in the job state, the history and the export; an
older stored prediction without them still answers, with nulls and no words."""

from __future__ import annotations

import jsonschema
import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.emotion import api as emotion_api
from tests.gateway.test_openapi import schema
from tests.helpers import completed_job

pytestmark = pytest.mark.django_db

TEXT = "My landlord kept the whole deposit. I am furious, I could scream."
PLAYLIST = {"songs": [{"id": 1, "title": "T", "artist": "A", "valence": -8.0, "arousal": 7.0}], "notes": []}
NEW_KEYS = ("confidence", "unsure", "halo_radius", "words", "explanation_method")


def reading() -> dict:
    """A prediction as emotion's own result type serialises it (no model needed): what the worker stores."""
    probabilities = dict.fromkeys(emotion_api.EMOTIONS, 0.02)
    probabilities.update(hate=0.5, anger=0.26)
    words = (
        emotion_api.WordInfluence(word="furious", position=8, weight=0.31, valence_shift=-1.5),
        emotion_api.WordInfluence(word="scream", position=11, weight=0.12, valence_shift=-0.4),
    )
    return emotion_api.Prediction.build(
        probabilities, valence=-8.6, arousal=7.4, model_version="test-model", halo_radius=8.56, confidence=0.43, words=words
    ).to_dict()


def older_reading() -> dict:
    """A prediction stored before the reading said how sure it is and which words moved it."""
    return {key: value for key, value in reading().items() if key not in NEW_KEYS}


@pytest.fixture
def client_and_user():
    user = get_user_model().objects.create_user(username="ann", email="ann@example.com", password="S3cret-pass-123")
    client = APIClient()
    client.force_authenticate(user)
    return client, user


def json_schema(node: object) -> object:
    """An OpenAPI 3.0 schema as JSON Schema, as schemathesis reads it: ``nullable`` also allows null, even
    beside an ``allOf`` of a reference (drf-spectacular's way to say a nullable nested object)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") else converted


def conforms(instance: object, component: str, spec: dict) -> None:
    """``instance`` is valid against the schema's component (every required property present, types, bounds)."""
    document = {"$ref": f"#/components/schemas/{component}", "components": json_schema(spec["components"])}
    jsonschema.Draft4Validator(document).validate(instance)


def test_the_schema_documents_how_sure_the_reading_is_and_which_words_moved_it():
    components = schema()["components"]["schemas"]
    for holder in ("JobState", "ExportedPlaylist"):
        prediction = components[holder]["properties"]["prediction"]
        assert prediction["allOf"] == [{"$ref": "#/components/schemas/Prediction"}] and prediction["nullable"] is True

    properties, required = components["Prediction"]["properties"], set(components["Prediction"]["required"])
    assert set(NEW_KEYS) <= required  # always present: null (or no words) for an older reading
    assert all(properties[key]["description"] for key in NEW_KEYS)
    assert (properties["confidence"]["type"], properties["confidence"]["minimum"], properties["confidence"]["maximum"]) == ("number", 0, 1)
    assert (properties["halo_radius"]["type"], properties["halo_radius"]["minimum"]) == ("number", 0)
    assert properties["unsure"]["type"] == "boolean" and properties["explanation_method"]["type"] == "string"
    assert all(properties[key]["nullable"] is True for key in ("confidence", "unsure", "halo_radius", "explanation_method"))
    assert "plane units" in properties["halo_radius"]["description"]
    words = properties["words"]
    assert (words["type"], words["items"]) == ("array", {"$ref": "#/components/schemas/InfluentialWord"}) and "nullable" not in words

    word = components["InfluentialWord"]
    assert set(word["required"]) == {"word", "position", "span", "weight", "valence_shift"}
    assert (word["properties"]["position"]["type"], word["properties"]["position"]["minimum"]) == ("integer", 0)
    assert (word["properties"]["span"]["type"], word["properties"]["span"]["minimum"]) == ("integer", 1)
    assert "normalised text" in word["properties"]["position"]["description"]
    assert all(word["properties"][key]["description"] for key in ("word", "position", "span", "weight", "valence_shift"))
    assert set(components["EmotionProbabilities"]["required"]) == set(emotion_api.EMOTIONS)
    assert components["EmotionEnum"]["enum"] == list(emotion_api.EMOTIONS)


def test_a_finished_job_returns_the_words_and_how_sure_the_reading_is(client_and_user):
    client, user = client_and_user
    job_id = completed_job(user.pk, PLAYLIST, prediction=reading(), text=TEXT)
    spec = schema(client)

    job = client.get(f"/api/v1/jobs/{job_id}/").json()
    conforms(job, "JobState", spec)
    prediction = job["prediction"]
    assert (prediction["confidence"], prediction["unsure"], prediction["halo_radius"]) == (0.43, True, 8.56)
    assert prediction["explanation_method"] == "leave-one-word-out occlusion"
    assert prediction["words"][0] == {"word": "furious", "position": 8, "span": 1, "weight": 0.31, "valence_shift": -1.5}
    assert [TEXT.split(" ")[w["position"]].strip(",.") for w in prediction["words"]] == ["furious", "scream"]

    [listed] = client.get("/api/v1/playlists/").json()["results"]
    assert listed["prediction"] == prediction
    export = client.get("/api/v1/account/export/").json()
    conforms(export, "DataExport", spec)
    assert export["playlists"][0]["prediction"]["words"] == prediction["words"]  # the person's own data


def test_an_older_prediction_answers_with_nulls_and_no_words(client_and_user):
    client, user = client_and_user
    job_id = completed_job(user.pk, PLAYLIST, prediction=older_reading(), text=TEXT)
    spec = schema(client)

    for response in (client.get(f"/api/v1/jobs/{job_id}/"), client.get(f"/api/v1/playlists/{job_id}/")):
        assert response.status_code == 200
        conforms(response.json(), "JobState", spec)
        prediction = response.json()["prediction"]
        assert {key: prediction[key] for key in NEW_KEYS} == dict.fromkeys(NEW_KEYS) | {"words": []}
        assert prediction["top_emotion"] == "hate" and prediction["valence"] == -8.6  # the rest as stored
    history = client.get("/api/v1/playlists/")
    assert history.status_code == 200 and history.json()["results"][0]["prediction"]["words"] == []
    export = client.get("/api/v1/account/export/")
    assert export.status_code == 200
    conforms(export.json(), "DataExport", spec)
