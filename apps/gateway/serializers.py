"""Request validation and response shapes of the job API (also drive the browsable API and the schema)."""

from __future__ import annotations

from rest_framework import serializers

from apps.emotion import api as emotion_api
from apps.gateway import jobs


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """Whole numbers only: JSON integers, or digit strings from an HTML form; no booleans, floats or '1.0'."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("invalid")
        if isinstance(data, str) and not data.strip().lstrip("-").isdigit():
            self.fail("invalid")
        return super().to_internal_value(data)


class EmotionField(serializers.ChoiceField):
    """One of the 13 emotion labels, case-insensitive."""

    default_error_messages = {"invalid_choice": "Unknown emotion {input!r}. Choose one of: {choices_list}."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data, choices_list=", ".join(self.choices))
        label = data.strip().lower()
        if label not in self.choices:
            self.fail("invalid_choice", input=data, choices_list=", ".join(self.choices))
        return label


class PlaylistRequestSerializer(serializers.Serializer):
    text = StrictCharField(
        trim_whitespace=True,
        help_text="How you feel, in your own words (at most JOB_TEXT_MAX_CHARS characters, 2000 by default).",
        style={"base_template": "textarea.html", "rows": 4},
    )
    target_emotion = EmotionField(choices=(), help_text="How you want to feel: one of the 13 emotions (case-insensitive).")
    length = StrictIntegerField(
        required=False,
        default=jobs.DEFAULT_LENGTH,
        min_value=jobs.MIN_LENGTH,
        max_value=jobs.MAX_LENGTH,
        help_text=f"Number of songs, {jobs.MIN_LENGTH} to {jobs.MAX_LENGTH} (default {jobs.DEFAULT_LENGTH}).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_emotion"].choices = list(emotion_api.EMOTIONS)  # read when used, not at import

    def validate_text(self, value: str) -> str:
        limit = jobs.text_max_chars()
        if len(value) > limit:
            raise serializers.ValidationError(f"Ensure this field has no more than {limit} characters (it has {len(value)}).")
        return value


class JobAcceptedSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status_url = serializers.URLField(help_text="GET the job's state here (a fallback for clients without WebSockets).")
    ws_url = serializers.CharField(help_text="Open a WebSocket here to receive every stage as it happens.")


class JobErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class JobStateSerializer(serializers.Serializer):
    """The job state JSON (also the ``job`` field of every socket event)."""

    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["queued", "predicting", "generating", "saving", "completed", "failed"])
    seq = serializers.IntegerField()
    text = serializers.CharField()
    target_emotion = serializers.CharField()
    target_point = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2)
    length = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    prediction = serializers.JSONField(allow_null=True, help_text="apps.emotion Prediction.to_dict()")
    playlist = serializers.JSONField(allow_null=True, help_text="apps.music Playlist.to_dict()")
    error = JobErrorSerializer(allow_null=True)
