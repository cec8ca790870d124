"""Storage's side of a person's data: dead letters keep no text (nor the words of it that moved the reading),
deletion is complete, retention erases old texts with those words."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from celery import signals
from django.contrib.auth import get_user_model
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.gateway.tasks import erase_expired_texts
from apps.storage import api
from apps.storage.models import DeadLetter, PlaylistJob
from apps.storage.tasks import save_result

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "my sister is ill and nobody at work knows"
# The words of SECRET that moved its reading, as emotion's Prediction.to_dict() lists them.
WORDS = [
    {"word": "sister", "position": 1, "span": 1, "weight": 0.21, "valence_shift": -1.2},
    {"word": "ill", "position": 3, "span": 1, "weight": 0.34, "valence_shift": -2.5},
]
READING = {
    "top_emotion": "sadness", "valence": -9.0, "arousal": -8.0, "model_version": "test-model",
    "confidence": 0.43, "unsure": True, "halo_radius": 8.5, "words": WORDS, "explanation_method": "leave-one-word-out occlusion",
}


@pytest.fixture
def user():
    return get_user_model().objects.create_user(username="pia", email="pia@example.com", password="S3cret-pass-123")


def new_job(user, text: str = SECRET, days_old: float = 0, finished: bool = True) -> str:
    state = api.create_job(user_id=user.pk, text=text, target_emotion="fun", target_point=(8, 8), length=5)
    created = timezone.now() - timedelta(days=days_old)
    PlaylistJob.objects.filter(pk=state.job_id).update(
        created_at=created, updated_at=created, status="completed" if finished else "predicting"
    )
    return state.job_id


def fail_task(job_id: str, text: str, task_id: str) -> None:
    """A chain step failing for good with the whole payload, as Celery reports it."""
    signals.task_failure.send(
        sender=save_result, task_id=task_id, exception=RuntimeError(f"could not read {text!r}"),  # an exception quoting it
        args=({"job_id": job_id, "attempt": 1, "text": text, "prediction": {"top_emotion": "sadness"}},), kwargs={}, einfo=None,
    )


def erased_total() -> float:
    return REGISTRY.get_sample_value("spg_job_texts_erased_total") or 0.0


def test_a_dead_letter_keeps_no_copy_of_the_text(user):
    state = api.create_job(user_id=user.pk, text=SECRET, target_emotion="fun", target_point=(8, 8), length=5)
    fail_task(state.job_id, SECRET, "t-1")
    fail_task(str(uuid.uuid4()), SECRET, "t-2")  # a job already deleted: the letter is kept for the record
    letters = DeadLetter.objects.all()
    assert letters.count() == 2
    for letter in letters:
        assert SECRET not in str(letter.args) + str(letter.kwargs) + letter.exception_message + letter.traceback
        assert letter.args[0]["text"] == "[redacted]" and letter.args[0]["prediction"] == {"top_emotion": "sadness"}
        assert letter.exception_message == "could not read '[redacted]'"


def test_retention_erases_texts_older_than_the_setting_and_nothing_newer(user, settings):
    settings.JOB_TEXT_RETENTION_DAYS = 30
    old = new_job(user, "an old sorrow", days_old=31)
    old_failed = new_job(user, "an old failure", days_old=45)
    PlaylistJob.objects.filter(pk=old_failed).update(status="failed", error_code="prediction_failed")
    recent = new_job(user, "a recent worry", days_old=29)
    running = new_job(user, "still being read", days_old=40, finished=False)  # its steps still need the text
    # A letter written before letters stopped keeping texts, quoting it in its message too.
    DeadLetter.objects.create(
        task_name="apps.emotion.tasks.predict", task_id="legacy", job_id=old_failed,
        args=[{"job_id": old_failed, "text": "an old failure"}], exception_message="could not read 'an old failure'",
        traceback="ValueError: an old failure",
    )
    before = erased_total()

    assert erase_expired_texts() == 2  # the beat task
    assert erase_expired_texts() == 0  # nothing twice

    texts = {str(pk): text for pk, text in PlaylistJob.objects.values_list("pk", "text")}
    assert texts[old] == "" and texts[old_failed] == ""
    assert texts[recent] == "a recent worry" and texts[running] == "still being read"
    erased = api.get_job(old, user.pk)
    assert erased.text == "" and erased.playlist is None and erased.status == "completed"  # the playlist row stays
    letter = DeadLetter.objects.get(task_id="legacy")
    assert "an old failure" not in str(letter.args) + letter.exception_message + letter.traceback
    assert erased_total() == before + 2
    assert api.stored_counts(user.pk) == {"playlists": 4, "texts_kept": 2, "texts_erased": 2, "outcomes": 0, "failure_records": 1}
    [result] = api.replay_dead_letters(ids=[letter.pk])
    assert result["replayed"] is False and "erased" in result["reason"]


def test_retention_erases_the_words_that_moved_the_reading_and_keeps_the_reading(user, settings):
    settings.JOB_TEXT_RETENTION_DAYS = 30
    old, recent = new_job(user, days_old=31), new_job(user, days_old=2)
    PlaylistJob.objects.filter(pk__in=[old, recent]).update(prediction=READING)

    assert erase_expired_texts() == 1

    stored = PlaylistJob.objects.get(pk=old).prediction
    assert "words" not in stored and "sister" not in str(stored)  # dropped, not left for the position to find
    assert {key: stored[key] for key in ("top_emotion", "confidence", "unsure", "halo_radius")} == {
        "top_emotion": "sadness", "confidence": 0.43, "unsure": True, "halo_radius": 8.5,
    }
    erased = api.get_job(old)
    assert erased.text == "" and erased.prediction["words"] == [] and erased.prediction["halo_radius"] == 8.5
    exported = {job["job_id"]: job for job in api.export_user_data(user.pk)["playlists"]}
    assert "sister" not in str(exported[old]) and " ill" not in str(exported[old])
    assert api.get_job(recent).prediction["words"] == WORDS  # not yet due
    assert api.erase_expired_texts(days=1) == 1 and "words" not in PlaylistJob.objects.get(pk=recent).prediction


def test_a_dead_letter_keeps_none_of_the_words_that_moved_the_reading(user):
    state = api.create_job(user_id=user.pk, text=SECRET, target_emotion="fun", target_point=(8, 8), length=5)
    signals.task_failure.send(  # the last step failing, its payload carrying the reading, its exception quoting a word
        sender=save_result, task_id="t-words", exception=RuntimeError("nothing to save for 'sister'"),
        args=({"job_id": state.job_id, "attempt": 1, "text": SECRET, "prediction": READING},), kwargs={}, einfo=None,
    )
    letter = DeadLetter.objects.get(task_id="t-words")
    assert "sister" not in str(letter.args) + letter.exception_message + letter.traceback
    assert [word["word"] for word in letter.args[0]["prediction"]["words"]] == ["[redacted]", "[redacted]"]
    assert letter.args[0]["prediction"]["words"][1]["position"] == 3  # the rest of the reading is kept for the operator
    assert letter.exception_message == "nothing to save for '[redacted]'"


def test_retention_is_off_at_zero(user, settings):
    settings.JOB_TEXT_RETENTION_DAYS = 0
    job_id = new_job(user, days_old=4000)
    assert erase_expired_texts() == 0
    assert api.get_job(job_id).text == SECRET


def test_deleting_a_job_deletes_its_letters_and_nothing_of_anyone_else(user):
    other = get_user_model().objects.create_user(username="quin", email="quin@example.com", password="S3cret-pass-123")
    mine, theirs = new_job(user, finished=False), new_job(other, finished=False)
    for job_id in (mine, theirs):
        fail_task(job_id, SECRET, f"t-{job_id}")
    assert api.delete_job(theirs, user.pk) is False  # not mine: nothing happens
    assert api.delete_job("not-a-uuid", user.pk) is False
    assert api.delete_job(mine, user.pk) is True
    assert api.delete_job(mine, user.pk) is False
    assert api.get_job(mine) is None and api.get_job(theirs) is not None
    assert [str(job_id) for job_id in DeadLetter.objects.values_list("job_id", flat=True)] == [theirs]
