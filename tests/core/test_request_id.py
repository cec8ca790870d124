import json
import logging

import pytest

from apps.core import context
from apps.core.logging import ContextFilter


def test_a_request_id_is_made_and_returned(client):
    response = client.get("/healthz")
    assert len(response["X-Request-ID"]) == 32


def test_a_valid_incoming_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-1234-XYZ")
    assert response["X-Request-ID"] == "abc-1234-XYZ"


@pytest.mark.parametrize("bad", ["short", "has space in it", "x" * 65, "evil\nInjected: 1", '{"json":1}'])
def test_an_invalid_incoming_request_id_is_replaced(client, bad):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert len(response["X-Request-ID"]) == 32


def test_log_lines_of_a_request_carry_its_id(client, capsys):
    logger = logging.getLogger("tests.request_id")

    from django.http import JsonResponse
    from django.urls import path

    # Any log line emitted while handling the request is stamped by the context filter.
    record_holder = {}

    def view(request):
        record = logger.makeRecord(logger.name, logging.INFO, __file__, 0, "inside view", (), None)
        ContextFilter().filter(record)
        record_holder["request_id"] = record.request_id
        return JsonResponse({})

    from django.test import override_settings

    urls = type("urls", (), {"urlpatterns": [path("probe", view)]})
    with override_settings(ROOT_URLCONF=urls):
        response = client.get("/probe", HTTP_X_REQUEST_ID="req-12345678")
    assert record_holder["request_id"] == "req-12345678"
    assert response["X-Request-ID"] == "req-12345678"


def test_json_formatter_writes_context_fields():
    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    fmt = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(fmt["fmt"], rename_fields=fmt["rename_fields"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    with context.bind(request_id="r-123456789", job_id="j1", user_id=7, task_id="t1"):
        ContextFilter().filter(record)
    line = json.loads(formatter.format(record))
    assert line["message"] == "hello"
    assert line["level"] == "INFO"
    assert (line["request_id"], line["job_id"], line["user_id"], line["task_id"]) == ("r-123456789", "j1", "7", "t1")


def test_context_travels_into_celery_task_headers():
    from config.celery import app

    captured = {}

    @app.task(name="tests.capture_context", bind=True)
    def capture(self):
        captured.update(context.snapshot())

    # before_task_publish copies the caller's context into headers; task_prerun restores it.
    from celery import signals

    headers: dict = {}
    with context.bind(request_id="req-abcdefgh", job_id="job-1", user_id=3):
        signals.before_task_publish.send(sender="tests.capture_context", headers=headers, body=None)
    assert headers == {"spg_request_id": "req-abcdefgh", "spg_job_id": "job-1", "spg_user_id": "3"}
    capture.apply(headers=headers, task_id="task-42")
    assert captured == {"request_id": "req-abcdefgh", "job_id": "job-1", "user_id": "3", "task_id": "task-42"}
    assert context.snapshot() == {}


def test_each_request_writes_one_json_access_line_with_its_id(client):
    import io

    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    fmt = settings.LOGGING["formatters"]["json"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(fmt["fmt"], rename_fields=fmt["rename_fields"]))
    handler.addFilter(ContextFilter())
    logging.getLogger("apps.access").addHandler(handler)
    try:
        client.get("/healthz", HTTP_X_REQUEST_ID="access-log-123")
    finally:
        logging.getLogger("apps.access").removeHandler(handler)
    access = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(access) == 1
    assert access[0]["request_id"] == "access-log-123"
    assert access[0]["path"] == "/healthz" and access[0]["status"] == 200
    assert access[0]["duration_ms"] >= 0
