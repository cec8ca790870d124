"""A person's data with the real worker, real Redis and real WebSockets: deleting closes their open
sockets, and after a real job the prediction and playlist caches hold no trace of the text."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django_redis import get_redis_connection
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.storage import api as storage_api
from apps.storage.models import DeadLetter, Outcome
from tests.integration.conftest import make_user, open_job_socket, receive_until_closed
from tests.integration.test_job_flow import logged_in_client, post_job, run_to_end
from tests.integration.test_job_ownership import task_log, wait_for  # noqa: F401  (task_log is a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker", "channel_layer")]

PASSWORD = "S3cret-pass-123"  # tests.integration.conftest.make_user's
TEXT = "Quietly terrified of Thursday's scan results, zebra-lantern."


async def finished_job_with_open_socket(user, text: str = TEXT):
    """A completed job and a socket on it that stays open (keep_open=1), its snapshot already read."""
    job_id = (await post_job(await logged_in_client(user), {"text": text, "target_emotion": "relief"}))["job_id"]
    await run_to_end(job_id, user)
    socket, connected = await open_job_socket(job_id, user, "keep_open=1")
    assert connected
    snapshot = await socket.receive_json_from(timeout=10)
    assert snapshot["status"] == "completed" and snapshot["job"]["text"] == text
    return job_id, socket


async def closed_with(socket, timeout: float = 10) -> int | None:
    events, code = await receive_until_closed(socket, timeout)
    assert events == []
    return code


def api_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def test_deleting_the_account_closes_every_open_socket_and_leaves_no_row(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    alice = await sync_to_async(make_user)("alice")
    bystander = await sync_to_async(make_user)("zoe")
    job_id, socket = await finished_job_with_open_socket(alice)
    other_id, other_socket = await finished_job_with_open_socket(bystander, "zoe's text")
    await sync_to_async(storage_api.record_outcome)(job_id, alice.pk, (4.0, 2.0))  # how she felt after

    def delete_account():
        client = Client()
        assert client.post("/api/v1/auth/login/", {"username": "alice", "password": PASSWORD}, content_type="application/json").status_code == 200
        wrong = client.post("/api/v1/account/delete/", {"password": "nope"}, content_type="application/json")
        assert wrong.status_code == 400
        return client.post("/api/v1/account/delete/", {"password": PASSWORD}, content_type="application/json")

    response = await sync_to_async(delete_account)()
    assert response.status_code == 204, response.content
    assert await closed_with(socket) == 4401  # the account is gone: not authenticated any more
    # The bystander's socket is untouched: it still answers a ping.
    await other_socket.send_json_to({"type": "ping"})
    assert await other_socket.receive_json_from(timeout=5) == {"type": "pong"}
    await other_socket.disconnect()

    def leftovers() -> dict:
        sessions = [s for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(alice.pk)]
        return {
            "user": get_user_model().objects.filter(pk=alice.pk).count(),
            "jobs": storage_api.count_jobs(alice.pk),
            "letters": DeadLetter.objects.filter(job_id=job_id).count(),
            "outcomes": Outcome.objects.filter(job_id=job_id).count(),
            "tokens": OutstandingToken.objects.filter(user_id=alice.pk).count(),
            "sessions": len(sessions),
        }

    assert await sync_to_async(leftovers)() == {"user": 0, "jobs": 0, "letters": 0, "outcomes": 0, "tokens": 0, "sessions": 0}
    assert await sync_to_async(storage_api.get_job)(other_id) is not None
    # A reconnect is refused as unauthenticated.
    again, connected = await open_job_socket(job_id)
    assert connected and await closed_with(again) == 4401


async def test_deleting_a_playlist_or_the_history_closes_the_sockets_on_them():
    bea = await sync_to_async(make_user)("bea")
    first, first_socket = await finished_job_with_open_socket(bea, "first text")
    second, second_socket = await finished_job_with_open_socket(bea, "second text")
    client = await sync_to_async(api_client)(bea)

    assert (await sync_to_async(client.delete)(f"/api/v1/playlists/{first}/")).status_code == 204
    assert await closed_with(first_socket) == 4404
    await second_socket.send_json_to({"type": "ping"})  # the other playlist's socket stays
    assert await second_socket.receive_json_from(timeout=5) == {"type": "pong"}

    assert (await sync_to_async(client.delete)("/api/v1/account/playlists/")).json()["playlists"] == 1
    assert await closed_with(second_socket) == 4404
    assert await sync_to_async(storage_api.count_jobs)(bea.pk) == 0


async def test_the_caches_hold_no_text_after_a_real_job():
    cal = await sync_to_async(make_user)("cal")
    job_id = (await post_job(await logged_in_client(cal), {"text": TEXT, "target_emotion": "relief"}))["job_id"]
    events, _ = await run_to_end(job_id, cal)
    assert events[-1]["status"] == "completed"
    await asyncio.sleep(0.2)

    def cache_contents() -> dict[bytes, bytes]:
        redis = get_redis_connection("default")
        types = {key: redis.type(key) for key in redis.scan_iter(count=1000)}
        # django-redis stores plain strings (JSON here); the throttles' sliding logs are sorted sets of times.
        assert set(types.values()) <= {b"string", b"zset"}
        assert all(b":throttle-log:" in key for key, kind in types.items() if kind == b"zset")
        return {
            key: (redis.get(key) or b"") if kind == b"string" else b" ".join(redis.zrange(key, 0, -1))
            for key, kind in types.items()
        }

    contents = await sync_to_async(cache_contents)()
    keys = b" ".join(contents)
    assert b"emotion:prediction" in keys and b"music:playlist" in keys  # both caches were written by this job
    fragments = [TEXT, TEXT.lower(), "zebra-lantern", "terrified", "Thursday"]
    for key, value in contents.items():
        for fragment in fragments:
            assert fragment.encode() not in key and fragment.encode() not in value, (key, fragment)


async def test_a_job_deleted_while_it_runs_stays_deleted(task_log):  # noqa: F811  (the imported fixture)
    """The chain's next step meets the gate with no job: it is skipped; nothing is saved or dead-lettered."""
    dan = await sync_to_async(make_user)("dan")
    client = await logged_in_client(dan)
    job_id = (await post_job(client, {"text": TEXT, "target_emotion": "relief"}))["job_id"]
    response = await client.delete(f"/api/v1/playlists/{job_id}/")
    assert response.status_code == 204
    await wait_for(
        lambda: any(entry[1] == job_id and entry[3] == "IGNORED" for entry in task_log.finished), what="a skipped step"
    )
    assert await sync_to_async(storage_api.get_job)(job_id) is None
    assert not await sync_to_async(DeadLetter.objects.filter(job_id=job_id).exists)()
