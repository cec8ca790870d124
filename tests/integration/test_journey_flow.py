"""A shaped journey end to end: the POST's start, waypoint, pacing and seed reach the playlist step (real worker)."""

from __future__ import annotations

import math

import pytest
from asgiref.sync import sync_to_async

from tests.integration.conftest import make_user
from tests.integration.test_job_flow import final, logged_in_client, post_job, run_to_end

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker", "channel_layer")]


async def test_the_playlist_follows_the_chosen_start_waypoint_and_pacing_and_the_seed_reproduces_it():
    user = await sync_to_async(make_user)("wanda")
    client = await logged_in_client(user)
    body = {
        "text": "Restless and a little angry.",
        "target": [6.0, -6.0],
        "start": [-6.0, -6.0],
        "waypoints": [[0.0, 6.0]],
        "length": 9,
        "stay": 2,
        "max_step": 5.0,
        "artist_cap": 1,
        "seed": 11,
    }
    accepted = await post_job(client, body)
    events, _ = await run_to_end(accepted["job_id"], user)
    playlist = final(events, "completed")["playlist"]

    assert playlist["start"] == [-6.0, -6.0] and playlist["target"] == [6.0, -6.0]  # the chosen start, not the reading
    assert playlist["waypoints"] == [[0.0, 6.0]] and playlist["seed"] == 11
    assert playlist["pacing"] == {"stay": 2, "max_step": 5.0, "artist_cap": 1}
    points = [(song["valence"], song["arousal"]) for song in playlist["songs"]]
    assert len(points) == 9
    assert min(math.dist(p, (0.0, 6.0)) for p in points) < 2.5  # the starter catalog is sparse: near, not on
    assert all(math.dist(p, (-6.0, -6.0)) < 3 for p in points[:2])
    assert playlist["metrics"]["largest_step"] <= 5.0 or any("longer than the limit" in n for n in playlist["notes"])
    assert len({song["artist"] for song in playlist["songs"]}) == 9 or any("more than 1" in n for n in playlist["notes"])

    again = await post_job(client, body)
    events, _ = await run_to_end(again["job_id"], user)
    assert [s["id"] for s in final(events, "completed")["playlist"]["songs"]] == [s["id"] for s in playlist["songs"]]


async def test_a_reroute_replans_the_songs_not_yet_played_as_a_new_linked_job():
    user = await sync_to_async(make_user)("rhea")
    client = await logged_in_client(user)
    first = await post_job(client, {"text": "Angry and tense after the meeting.", "target": "relief", "length": 10})
    events, _ = await run_to_end(first["job_id"], user)
    parent = final(events, "completed")
    played = [song["id"] for song in parent["playlist"]["songs"][:3]]

    response = await client.post(
        f"/api/v1/playlists/{first['job_id']}/reroute/", {"position": 2, "start": [-2.0, 3.0]}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    child_id = response.json()["job_id"]
    events, _ = await run_to_end(child_id, user)
    child = final(events, "completed")

    assert child["journey"]["rerouted_from"] == first["job_id"]
    assert child["journey"]["exclude_song_ids"] == played and child["journey"]["start_point"] == [-2.0, 3.0]
    assert (child["target_emotion"], child["target_point"]) == (parent["target_emotion"], parent["target_point"])
    songs = [song["id"] for song in child["playlist"]["songs"]]
    assert len(songs) == 7 and not set(songs) & set(played)  # the rest of the way, nothing played again
    assert child["playlist"]["start"] == [-2.0, 3.0]

    # Nothing after the last song: a conflict with this playlist, naming the position.
    last = await client.post(f"/api/v1/playlists/{first['job_id']}/reroute/", {"position": 9, "text": "fine"}, content_type="application/json")
    assert last.status_code == 409 and "position" in last.json()["error"]["fields"]
    # History shows the chain: the re-route, newest first, links to the playlist it re-planned.
    history = (await client.get("/api/v1/playlists/")).json()["results"]
    assert [job["job_id"] for job in history[:2]] == [child_id, first["job_id"]]
    assert history[0]["journey"]["rerouted_from"] == first["job_id"] and history[1]["journey"]["rerouted_from"] is None
