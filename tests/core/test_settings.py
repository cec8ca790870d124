"""Settings: importing them starts nothing; profiles; Celery routing; Redis DB per use; log formats."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from asgiref.sync import async_to_sync
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


# What a production deployment sets (no DJANGO_ENV: production is the default).
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x7Gk2pQ9vR4tY8wZ1aB5cD3eF6hJ0kL-mN_oP#sT@uV!wX$yZ%qW^eR&tY*uI(oP)",
    "DJANGO_ALLOWED_HOSTS": "playlists.example.com",
    "DATABASE_URL": "postgres://spg:secret@db.example.com:5432/spg",
    "REDIS_URL": "redis://redis.example.com:6379",
}


def _manage_check(tmp_path, *args: str, **changes: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ENV", *PRODUCTION_ENV}}
    env.update(PRODUCTION_ENV, SPG_VAR_DIR=str(tmp_path))
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_profile_is_the_default_and_passes_check_deploy(tmp_path):
    result = _manage_check(tmp_path, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"DJANGO_SECRET_KEY": None}, "Set DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "local-insecure-key-change-me-0123456789abcdefghijklmnop"}, "development key"),
        ({"JWT_SIGNING_KEY": "local-insecure-key-change-me-0123456789abcdefghijklmnop"}, "development key"),
        ({"DATABASE_URL": None}, "Set DATABASE_URL"),
        ({"REDIS_URL": None}, "Set REDIS_URL"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "Set DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_ENV": "staging", "REDIS_URL": None}, "Set REDIS_URL"),  # anything but local is production
    ],
)
def test_outside_local_settings_refuse_to_start_without_what_production_needs(tmp_path, changes, says):
    result = _manage_check(tmp_path, **changes)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and says in result.stderr
    assert "DJANGO_ENV=local" in result.stderr or "development key" in result.stderr


def test_local_profile_needs_nothing_set(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.PRODUCTION)"
    result = _run_python(code, DJANGO_ENV="local", DJANGO_SECRET_KEY=None, DATABASE_URL=None, SPG_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["True", "False"]


def test_celery_routes_each_service_to_its_queue():
    from config.celery import app

    router = app.amqp.router
    assert router.route({}, "apps.emotion.tasks.predict")["queue"].name == "emotion"
    assert router.route({}, "apps.music.tasks.generate")["queue"].name == "music"
    assert router.route({}, "apps.storage.tasks.save_result")["queue"].name == "storage"
    assert router.route({}, "apps.gateway.tasks.anything")["queue"].name == "gateway"
    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


def _run_python(code: str, **env_changes: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_importing_settings_starts_no_process(tmp_path):
    # Settings and the whole app registry load in a fresh interpreter with REDIS_URL unset; any
    # redis-server (or other process) started on the way would still be its child at this point.
    code = (
        "import os, django, psutil; django.setup(); from django.conf import settings; settings.CACHES; "
        "print(len(psutil.Process().children(recursive=True)), os.environ.get('REDIS_URL'), settings.REDIS_URL)"
    )
    result = _run_python(code, REDIS_URL=None, SPG_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    children, exported, configured = result.stdout.split()
    assert children == "0"
    assert exported == "None"  # nothing was started and exported
    assert configured == "redis://127.0.0.1:6379"


@pytest.mark.django_db
def test_cache_and_broker_each_write_to_their_own_redis_database_and_the_channel_layer_to_none():
    from channels.layers import get_channel_layer
    from django.core.cache import cache
    from kombu import Queue

    from config.celery import app

    marker = uuid.uuid4().hex
    databases = {
        "cache": redis.Redis.from_url(settings.REDIS_CACHE_URL),
        "channels": redis.Redis.from_url(settings.REDIS_CHANNELS_URL),
        "broker": redis.Redis.from_url(settings.REDIS_BROKER_URL),
    }
    assert len({db.connection_pool.connection_kwargs["db"] for db in databases.values()}) == 3

    def holders() -> set[str]:
        return {purpose for purpose, db in databases.items() if db.keys(f"*{marker}*")}

    try:
        cache.set(f"cache-{marker}", 1)
        assert holders() == {"cache"}
        async_to_sync(get_channel_layer().send)(f"channel-{marker}", {"type": "probe"})
        # Pub/sub stores nothing; its channels are kept apart by a prefix naming the channels DB index
        # (tests/core/test_channel_layer.py).
        assert holders() == {"cache"}
        queue = Queue(f"queue-{marker}")
        with app.producer_or_acquire() as producer:
            producer.publish({"probe": True}, routing_key=queue.name, declare=[queue])
        assert holders() == {"cache", "broker"}
        assert databases["broker"].llen(queue.name) == 1
    finally:
        for db in databases.values():
            for key in db.keys(f"*{marker}*"):
                db.delete(key)


LOG_A_RECORD = (
    "import logging, django; django.setup(); from apps.core import context; "
    "ctx = context.bind(request_id='req-0123456789', job_id='42'); ctx.__enter__(); "
    "logging.getLogger('spg.probe').warning('probe message')"
)


def test_json_log_format_writes_one_json_object_per_line_with_the_context_ids(tmp_path):
    result = _run_python(LOG_A_RECORD, LOG_FORMAT="json", SPG_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["message"] == "probe message" and record["level"] == "WARNING" and record["logger"] == "spg.probe"
    assert record["request_id"] == "req-0123456789" and record["job_id"] == "42"


def test_console_log_format_is_a_readable_line_with_the_context_ids(tmp_path):
    result = _run_python(LOG_A_RECORD, LOG_FORMAT="console", SPG_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert not line.startswith("{")
    assert "WARNING" in line and "spg.probe" in line and "probe message" in line
    assert line.endswith("[request_id=req-0123456789 job_id=42]")


@pytest.mark.parametrize(
    ("profile", "expected"),
    [({"DJANGO_ENV": "local"}, "console"), ({"DJANGO_ENV": None, **PRODUCTION_ENV}, "json")],
)
def test_log_format_defaults_to_console_locally_and_json_elsewhere(tmp_path, profile, expected):
    code = "import django; django.setup(); from django.conf import settings; print(settings.LOG_FORMAT)"
    result = _run_python(code, LOG_FORMAT=None, SPG_VAR_DIR=str(tmp_path), **profile)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == expected


def test_an_unknown_log_format_is_refused(tmp_path):
    result = _run_python("import django; django.setup()", LOG_FORMAT="xml", SPG_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "LOG_FORMAT must be 'console' or 'json'" in result.stderr


@pytest.mark.parametrize(
    ("profile", "expected"),
    [({"DJANGO_ENV": "local"}, "0"), ({"DJANGO_ENV": None, **PRODUCTION_ENV}, "90"),
     ({"DJANGO_ENV": "local", "JOB_TEXT_RETENTION_DAYS": "30"}, "30")],
)
def test_text_retention_is_off_locally_and_on_elsewhere_and_beat_runs_it(tmp_path, profile, expected):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CELERY_BEAT_SCHEDULE['erase-expired-texts']['task'], settings.JOB_TEXT_RETENTION_DAYS)"
    )
    result = _run_python(code, JOB_TEXT_RETENTION_DAYS=profile.pop("JOB_TEXT_RETENTION_DAYS", None), SPG_VAR_DIR=str(tmp_path), **profile)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["apps.gateway.tasks.erase_expired_texts", expected]


def test_a_negative_retention_is_refused(tmp_path):
    result = _run_python("import django; django.setup()", DJANGO_ENV="local", JOB_TEXT_RETENTION_DAYS="-1", SPG_VAR_DIR=str(tmp_path))
    assert result.returncode != 0 and "JOB_TEXT_RETENTION_DAYS must be 0 (off)" in result.stderr


def test_an_unknown_emotion_quantization_is_refused(tmp_path):
    result = _run_python("import django; django.setup()", EMOTION_QUANTIZATION="int4", SPG_VAR_DIR=str(tmp_path), DJANGO_ENV="local")
    assert result.returncode != 0
    assert "EMOTION_QUANTIZATION must be auto, int8 or none, not 'int4'" in result.stderr
