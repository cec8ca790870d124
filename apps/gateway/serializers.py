"""Request validation and response shapes of the API, jobs and auth (they also drive the browsable API and
the schema)."""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Mapping

from django.core.validators import MaxLengthValidator, validate_email
from rest_framework import serializers
from rest_framework.utils import html

from apps.accounts import api as accounts_api
from apps.emotion import api as emotion_api
from apps.gateway import jobs
from apps.storage import api as storage_api


class StrictCharField(serializers.CharField):
    """A string and nothing else: numbers and booleans are refused, not turned into text (NUL bytes are
    refused by CharField itself)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """Whole numbers only: JSON integers, or digit strings from an HTML form; no booleans, floats or '1.0'."""

    def get_value(self, dictionary):
        # DRF reads a form's empty input as an omitted field (so the default would apply); it is a value
        # that is not a number, as "" is in JSON.
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

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
        # Read when used, not at import; validators rather than a validate_text() so the schema shows them.
        self.fields["target_emotion"].choices = list(emotion_api.EMOTIONS)
        text = self.fields["text"]
        text.max_length = jobs.text_max_chars()
        text.validators.append(MaxLengthValidator(text.max_length))


class JobHistoryQuerySerializer(serializers.Serializer):
    """The history's filters (query parameters): an unknown or empty value is a 400 naming the parameter."""

    status = serializers.ChoiceField(choices=(), required=False, help_text="Only the jobs in this state.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = list(storage_api.JOB_STATUSES)


class JobAcceptedSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status_url = serializers.URLField(help_text="GET the job's state here (a fallback for clients without WebSockets).")
    ws_url = serializers.CharField(help_text="Open a WebSocket here to receive every stage as it happens.")


def _field_for(hint: object, metadata: Mapping) -> serializers.Field:
    """A DRF field for one ``JobState`` field, from its type hint and metadata."""
    options = {"help_text": metadata["doc"]} if "doc" in metadata else {}
    allow_null = False
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        members = [member for member in typing.get_args(hint) if member is not type(None)]
        hint, allow_null = members[0], True
    if dataclasses.is_dataclass(hint):
        return serializer_for(hint)(allow_null=allow_null, **options)
    if allow_null:
        options["allow_null"] = True
    if "choices" in metadata:
        return serializers.ChoiceField(choices=list(metadata["choices"]), **options)
    if typing.get_origin(hint) is tuple and typing.get_args(hint)[-1] is Ellipsis:  # tuple[Contract, ...]
        return serializer_for(typing.get_args(hint)[0])(many=True, **options)
    if typing.get_origin(hint) is tuple:
        size = len(typing.get_args(hint))
        return serializers.ListField(child=serializers.FloatField(), min_length=size, max_length=size, **options)
    by_format = {"uuid": serializers.UUIDField, "date-time": serializers.DateTimeField}
    by_type = {
        str: serializers.CharField, int: serializers.IntegerField, float: serializers.FloatField,
        bool: serializers.BooleanField, dict: serializers.DictField,
    }
    return (by_format.get(metadata.get("format")) or by_type[hint])(**options)


@functools.cache
def serializer_for(contract: type) -> type[serializers.Serializer]:
    """A read-only serializer whose fields are the frozen dataclass's (so the schema is the wire format)."""
    hints = typing.get_type_hints(contract)
    fields = {item.name: _field_for(hints[item.name], item.metadata) for item in dataclasses.fields(contract)}
    name = f"{contract.__name__}Serializer"
    return type(name, (serializers.Serializer,), {**fields, "__doc__": contract.__doc__, "__module__": __name__})


# The job state JSON (also the ``job`` field of every socket event), derived from storage's contract.
JobErrorSerializer = serializer_for(storage_api.JobError)
JobStateSerializer = serializer_for(storage_api.JobState)


# --- Outcomes: how a person felt after a playlist ------------------------------------------------------

OutcomeStateSerializer = serializer_for(storage_api.OutcomeState)
OutcomeSummarySerializer = serializer_for(storage_api.OutcomeSummary)


# --- Auth ---------------------------------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error, not silently ignored (the schema says so: additionalProperties false)."""

    refuses_unknown_fields = True

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class SignupRequestSerializer(StrictSerializer):
    """A new account."""

    def get_fields(self):
        # Limits and validators from apps.accounts, read when used: the schema shows what signup checks.
        rules = accounts_api.credential_rules()
        return {
            "username": StrictCharField(
                max_length=rules.username_max,
                validators=list(rules.username_validators),
                help_text="Letters, digits and @/./+/-/_ only; unique ignoring case.",
            ),
            "email": StrictCharField(max_length=rules.email_max, validators=[validate_email], help_text="Unique ignoring case."),
            "password": StrictCharField(
                max_length=rules.password_max,
                validators=list(rules.password_validators),
                trim_whitespace=False,
                write_only=True,
                help_text="Checked by Django's password validators (also: not too common, not all digits, "
                "not too similar to the username or email).",
            ),
        }


class LoginRequestSerializer(StrictSerializer):
    """Credentials."""

    def get_fields(self):
        rules = accounts_api.credential_rules()
        return {
            "username": StrictCharField(max_length=rules.username_max),
            "password": StrictCharField(max_length=rules.password_max, trim_whitespace=False, write_only=True),
        }


class RefreshRequestSerializer(StrictSerializer):
    """The refresh token to spend, or nothing for browsers that send the refresh cookie."""

    def get_fields(self):
        return {
            "refresh": StrictCharField(
                required=False,
                max_length=accounts_api.credential_rules().refresh_token_max,
                help_text="Refresh token; browsers may omit it and send the refresh cookie.",
            )
        }


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    is_staff = serializers.BooleanField()
    date_joined = serializers.DateTimeField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Access token (JWT): send as 'Authorization: Bearer <access>'.")
    refresh = serializers.CharField(help_text="Refresh token (JWT): single use, rotated by POST /refresh/.")


class LoginResponseSerializer(TokenPairSerializer):
    user = UserSerializer()


class PlaneCoordinateField(serializers.FloatField):
    """A finite number on the plane (-10..10): JSON numbers, or numeric strings from an HTML form; no booleans."""

    default_error_messages = {"invalid": "A number from -10 to 10 is required."}

    def __init__(self, **kwargs):
        super().__init__(min_value=-10.0, max_value=10.0, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class OutcomeRequestSerializer(StrictSerializer):
    """How you feel now, after the playlist: a named emotion, or a point (valence and arousal) tapped on the plane."""

    emotion = EmotionField(choices=(), required=False, help_text="One of the 13 emotions (case-insensitive); not with valence/arousal.")
    valence = PlaneCoordinateField(required=False, help_text="-10 (unpleasant) .. 10 (pleasant); with arousal, not with emotion.")
    arousal = PlaneCoordinateField(required=False, help_text="-10 (calm) .. 10 (energetic); with valence, not with emotion.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["emotion"].choices = list(emotion_api.EMOTIONS)

    def validate(self, data: dict) -> dict:
        point = [name for name in ("valence", "arousal") if name in data]
        if "emotion" in data and point:
            raise serializers.ValidationError({"emotion": ["Give either an emotion or valence and arousal, not both."]})
        if "emotion" not in data and not point:
            raise serializers.ValidationError({"emotion": ["Say how you feel now: an emotion, or valence and arousal."]})
        if len(point) == 1:
            missing = "arousal" if point == ["valence"] else "valence"
            raise serializers.ValidationError({missing: [f"This field is required with {point[0]}."]})
        return data

    def after(self) -> tuple[tuple[float, float], str]:
        """The reported point and the emotion it came from ("" for a tapped point)."""
        data = self.validated_data
        if "emotion" in data:
            return tuple(emotion_api.target_point(data["emotion"])), data["emotion"]
        return (data["valence"], data["arousal"]), ""


class OutcomeListQuerySerializer(serializers.Serializer):
    """The outcome list's filter (query parameters): a value that is not a job id is a 400 naming ``job_id``."""

    job_id = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=50, help_text="Only these playlists' outcomes (repeatable, at most 50)."
    )


# The request body as OpenAPI states it: exactly one of the two forms, nothing else.
_COORDINATE = {"type": "number", "minimum": -10, "maximum": 10}
OUTCOME_REQUEST_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "title": "A named emotion",
            "properties": {"emotion": {"type": "string", "enum": list(emotion_api.EMOTIONS)}},
            "required": ["emotion"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "title": "A point on the plane",
            "properties": {"valence": _COORDINATE, "arousal": _COORDINATE},
            "required": ["valence", "arousal"],
            "additionalProperties": False,
        },
    ]
}


# --- Your data (account page, export, deletion; docs/privacy.md) ----------------------------------------


class AccountDeleteRequestSerializer(StrictSerializer):
    password = StrictCharField(
        min_length=1, max_length=256, trim_whitespace=False, write_only=True, help_text="Your current password, to confirm."
    )


class AccountRecordSerializer(UserSerializer):
    last_login = serializers.DateTimeField(allow_null=True)


class StoredCountsSerializer(serializers.Serializer):
    playlists = serializers.IntegerField(min_value=0)
    texts_kept = serializers.IntegerField(min_value=0, help_text="Playlists whose text is still stored.")
    texts_erased = serializers.IntegerField(min_value=0, help_text="Playlists whose text retention has erased.")
    outcomes = serializers.IntegerField(min_value=0, help_text="How you felt after a playlist, reported by you.")
    failure_records = serializers.IntegerField(min_value=0, help_text="Dead letters of your playlists (no text).")


class StoredDataSerializer(serializers.Serializer):
    account = AccountRecordSerializer()
    counts = StoredCountsSerializer()
    retention_days = serializers.IntegerField(min_value=0, help_text="Texts are erased this many days after writing; 0: kept until you delete them.")
    kept_after_deletion = serializers.CharField(help_text="What deleting does not remove.")


class ExportedPlaylistSerializer(JobStateSerializer):
    text_erased_at = serializers.DateTimeField(allow_null=True, help_text="When retention erased the text (then text is empty).")
    outcome = serializer_for(storage_api.OutcomeState)(allow_null=True, help_text="How you felt after it, if you said.")


class FailureRecordSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    task = serializers.CharField()
    created_at = serializers.DateTimeField()
    status = serializers.CharField()


class DataExportSerializer(serializers.Serializer):
    format = serializers.CharField(help_text="spg-export/1")
    exported_at = serializers.DateTimeField()
    account = AccountRecordSerializer()
    retention_days = serializers.IntegerField(min_value=0)
    playlists = ExportedPlaylistSerializer(many=True, help_text="Every playlist, oldest first, with its text.")
    failure_records = FailureRecordSerializer(many=True)
    kept_after_deletion = serializers.CharField()


class HistoryDeletedSerializer(serializers.Serializer):
    playlists = serializers.IntegerField(min_value=0, help_text="Playlists deleted.")
    outcomes = serializers.IntegerField(min_value=0, help_text="Outcomes deleted with them.")
    failure_records = serializers.IntegerField(min_value=0, help_text="Failure records (dead letters) deleted with them.")
