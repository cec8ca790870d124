"""Settings profiles: production passes `check --deploy`; Celery routing matches the design."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_production_profile_passes_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "x7Gk2pQ9vR4tY8wZ1aB5cD3eF6hJ0kL-mN_oP#sT@uV!wX$yZ%qW^eR&tY*uI(oP)",
        "DJANGO_ALLOWED_HOSTS": "playlists.example.com",
        "SPG_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_requires_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update(DJANGO_ENV="production", DJANGO_ALLOWED_HOSTS="example.com", SPG_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_celery_routes_each_service_to_its_queue():
    from config.celery import app

    router = app.amqp.router
    assert router.route({}, "apps.emotion.tasks.predict")["queue"].name == "emotion"
    assert router.route({}, "apps.music.tasks.generate")["queue"].name == "music"
    assert router.route({}, "apps.storage.tasks.save_result")["queue"].name == "storage"
    assert router.route({}, "apps.gateway.tasks.anything")["queue"].name == "gateway"
    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


def test_redis_uses_separate_databases_per_purpose():
    urls = {settings.REDIS_BROKER_URL, settings.REDIS_CHANNELS_URL, settings.REDIS_CACHE_URL}
    assert len(urls) == 3
