"""The Celery app. Tasks are routed to one queue per service (see settings.CELERY_TASK_ROUTES)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Every task's monitoring events (Flower) carry no payload: apps/core/privacy.py.
app = Celery("spg", task_cls="apps.core.privacy:PrivateTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Context propagation, logging and worker metrics are wired by the shared kernel.
import apps.core.celery_signals  # noqa: E402,F401
