"""The redacting log filter and the redacted task arguments (apps/core/privacy.py, celery_signals)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from celery import signals
from django.http import HttpResponse

from apps.core import privacy

TEXT = "I miss my grandmother so much today"


def emit(logger_name: str, message, args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.getLogger(logger_name).makeRecord(logger_name, logging.INFO, __file__, 1, message, args, exc_info, extra=extra)
    privacy.RedactingFilter().filter(record)
    return record


def test_celery_success_and_failure_lines_lose_arguments_and_return_values():
    context = {"id": "t1", "name": "apps.emotion.tasks.predict", "runtime": 0.1, "return_value": repr({"text": TEXT}),
               "args": repr(({"text": TEXT},)), "kwargs": "{}"}
    record = emit("celery.app.trace", "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s", context,
                  data=dict(context))
    assert TEXT not in record.getMessage() and "[redacted]" in record.getMessage()
    assert TEXT not in repr(record.data) and record.data["name"] == "apps.emotion.tasks.predict"


def test_while_a_task_runs_its_text_is_removed_from_messages_and_tracebacks():
    try:
        raise ValueError(f"cannot read {TEXT!r}")
    except ValueError as error:
        with privacy.hidden({"job_id": "42", "text": TEXT}):
            record = emit("apps.anything", "failed on %s", (str(error),), exc_info=(type(error), error, error.__traceback__))
    rendered = logging.Formatter().format(record)
    assert TEXT not in rendered
    assert "failed on cannot read '[redacted]'" in rendered and "ValueError" in rendered
    assert emit("apps.anything", "later: %s", (TEXT,)).getMessage() == f"later: {TEXT}"  # only while hidden


def test_while_a_later_step_runs_the_words_that_moved_its_reading_stay_out_of_the_logs():
    """Steps after the reading carry prediction.words (fragments of the text, not the text): each one is hidden too."""
    word = {"word": "grandmother", "position": 3, "span": 1, "weight": 0.3, "valence_shift": -2.0}
    payload = {"job_id": "42", "text": TEXT, "prediction": {"top_emotion": "sadness", "words": [word]}}
    task = SimpleNamespace(request=SimpleNamespace())
    signals.task_prerun.send(sender=None, task_id="t-words", task=task, args=(payload,), kwargs={})
    try:
        record = emit("apps.music.tasks", "no song near %s", ("grandmother",))
        quoted = emit("apps.music.tasks", "failed on %r", (payload["prediction"],))
    finally:
        signals.task_postrun.send(sender=None, task_id="t-words")
    assert record.getMessage() == "no song near [redacted]"
    assert "grandmother" not in quoted.getMessage() and "'position': 3" in quoted.getMessage()
    assert emit("apps.music.tasks", "later: %s", ("grandmother",)).getMessage() == "later: grandmother"  # only while it runs


def test_published_task_messages_describe_their_arguments_without_content():
    headers: dict = {}
    signals.before_task_publish.send(sender="apps.emotion.tasks.predict", headers=headers, body=(({"text": TEXT},), {}, {}))
    assert headers["argsrepr"] == "(1 argument: [redacted])" and headers["kwargsrepr"] == "{}"


def test_worker_events_carry_no_return_value_or_exception_text():
    from celery.utils.imports import symbol_by_name

    from apps.emotion.tasks import predict

    assert isinstance(predict, privacy.PrivateTask)
    assert symbol_by_name(predict.Request) is privacy.RedactedEventsRequest
    sent = []
    request = object.__new__(privacy.RedactedEventsRequest)  # only what send_event reads
    request._eventer = SimpleNamespace(enabled=True, send=lambda type, **fields: sent.append((type, fields)))
    request._task = SimpleNamespace(send_events=True)
    request.id = "t1"
    request.send_event("task-succeeded", result=repr({"text": TEXT}), runtime=0.1)
    request.send_event("task-failed", exception=f"ValueError({TEXT!r})", traceback=TEXT)
    assert TEXT not in repr(sent)
    assert sent[0] == ("task-succeeded", {"uuid": "t1", "result": "[redacted]", "runtime": 0.1})


def test_while_a_request_is_served_its_json_values_stay_out_of_the_logs(rf, caplog):
    def failing_view(request):
        try:
            raise RuntimeError(f"could not handle {TEXT}")
        except RuntimeError:
            logging.getLogger("django.request").exception("Internal Server Error: %s", request.path)
        return HttpResponse(status=500)

    request = rf.post("/api/v1/playlists/", {"text": TEXT, "target_emotion": "happiness"}, content_type="application/json")
    with caplog.at_level(logging.ERROR):
        caplog.handler.addFilter(privacy.RedactingFilter())
        privacy.PrivateRequestMiddleware(failing_view)(request)
    assert "RuntimeError" in caplog.text and "[redacted]" in caplog.text
    assert TEXT not in caplog.text
