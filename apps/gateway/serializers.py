"""Request validation and response shapes of the API, jobs and auth (they also drive the browsable API and
the schema)."""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Mapping
from typing import NamedTuple

from django.core.validators import MaxLengthValidator, validate_email
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from apps.accounts import api as accounts_api
from apps.emotion import api as emotion_api
from apps.gateway import jobs
from apps.music import api as music_api
from apps.storage import api as storage_api


class StrictCharField(serializers.CharField):
    """A string and nothing else: numbers and booleans are refused, not turned into text (NUL bytes are
    refused by CharField itself)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class _Null:
    """A form's "null" for a nullable field (forms cannot send JSON's null)."""


def _null_from_form(field: serializers.Field, dictionary) -> type[_Null] | None:
    if field.allow_null and html.is_html_input(dictionary) and dictionary.get(field.field_name) == "null":
        return _Null
    return None


class StrictIntegerField(serializers.IntegerField):
    """Whole numbers only: JSON integers, or digit strings from an HTML form; no booleans, floats or '1.0'."""

    def get_value(self, dictionary):
        # DRF reads a form's empty input as an omitted field (so the default would apply); it is a value
        # that is not a number, as "" is in JSON.
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return _null_from_form(self, dictionary) or super().get_value(dictionary)

    def validate_empty_values(self, data):
        return super().validate_empty_values(None if data is _Null else data)

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


def _limit_text(text: serializers.CharField) -> None:
    """JOB_TEXT_MAX_CHARS, read when used (not at import), as a validator so the schema shows it."""
    text.max_length = jobs.text_max_chars()
    text.validators.append(MaxLengthValidator(text.max_length))


class StrictFloatField(serializers.FloatField):
    """Finite numbers only: JSON numbers, or number strings from an HTML form; no booleans."""

    def get_value(self, dictionary):
        return _null_from_form(self, dictionary) or super().get_value(dictionary)

    def validate_empty_values(self, data):
        return super().validate_empty_values(None if data is _Null else data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class StrictBooleanField(serializers.BooleanField):
    """true or false: JSON booleans, or the words "true" / "false" from a form; not 0, 1, "yes" or "on"."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if data in ("true", "false"):
            return data == "true"
        self.fail("invalid", input=data)


class Place(NamedTuple):
    """A place on the plane from a request: the emotion named (None for a bare point) and its point."""

    emotion: str | None
    point: tuple[float, float]


_COORDINATE = {"type": "number", "minimum": music_api.PLANE_MIN, "maximum": music_api.PLANE_MAX}


class _FormPair(tuple):
    """A point's two numbers as typed in a form (text), told apart from a JSON list."""


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "enum": list(emotion_api.EMOTIONS), "description": "one of the 13 emotions (case-insensitive)"},
            {"type": "array", "items": _COORDINATE, "minItems": 2, "maxItems": 2, "description": "[valence, arousal]"},
        ]
    }
)
class PlaceField(serializers.Field):
    """One of the 13 emotions by name (case-insensitive), or any [valence, arousal] point of the plane."""

    default_error_messages = {
        "invalid": "Give one of the 13 emotions or a [valence, arousal] pair of numbers.",
        "unknown": "Unknown emotion {input!r}. Choose one of: {choices}.",
        "off_plane": f"A point must lie within {music_api.PLANE_MIN:g}..{music_api.PLANE_MAX:g} on both axes.",
    }

    def get_value(self, dictionary):
        # An HTML form (or a URL-encoded body) sends a point as the field twice: start=1.5&start=-2.
        if html.is_html_input(dictionary) and len(dictionary.getlist(self.field_name)) == 2:
            return _FormPair(dictionary.getlist(self.field_name))
        return super().get_value(dictionary)

    def to_internal_value(self, data) -> Place:
        if isinstance(data, _FormPair):
            try:
                data = [float(value) for value in data]
            except ValueError:
                self.fail("invalid")
        if isinstance(data, str):
            label = data.strip().lower()
            if label not in emotion_api.EMOTIONS:
                self.fail("unknown", input=data, choices=", ".join(emotion_api.EMOTIONS))
            return Place(label, tuple(emotion_api.target_point(label)))
        if not isinstance(data, (list, tuple)) or len(data) != 2:
            self.fail("invalid")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in data):
            self.fail("invalid")
        if not all(music_api.PLANE_MIN <= v <= music_api.PLANE_MAX for v in data):
            self.fail("off_plane")
        return Place(None, (float(data[0]), float(data[1])))

    def to_representation(self, value):
        return value.emotion or list(value.point)


class PlacesField(serializers.ListField):
    """A list of places. A form sends it flat, the field repeated: a name is one place, two numbers in a
    row are one point (waypoints=relief&waypoints=1.5&waypoints=-2 is ["relief", [1.5, -2]])."""

    def get_value(self, dictionary):
        if not html.is_html_input(dictionary) or self.field_name not in dictionary:
            return super().get_value(dictionary)
        tokens, places = dictionary.getlist(self.field_name), []
        while tokens:
            token, tokens = tokens[0], tokens[1:]
            if _is_number(token) and tokens and _is_number(tokens[0]):
                places.append(_FormPair((token, tokens[0])))
                tokens = tokens[1:]
            else:
                places.append(token)
        return places


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class PlaylistRequestSerializer(serializers.Serializer):
    # Exactly one way to name the goal (stay < length cannot be said in JSON Schema: its description says it).
    schema_rules = {"oneOf": [{"required": ["target"]}, {"required": ["target_emotion"]}]}

    text = StrictCharField(
        trim_whitespace=True,
        help_text="How you feel, in your own words (at most JOB_TEXT_MAX_CHARS characters, 2000 by default).",
        style={"base_template": "textarea.html", "rows": 4},
    )
    target_emotion = EmotionField(
        choices=(), required=False, help_text="How you want to feel: one of the 13 emotions (case-insensitive). Or use target."
    )
    target = PlaceField(
        required=False, help_text="Where you want to get to: an emotion or any [valence, arousal] point (instead of target_emotion)."
    )
    start = PlaceField(
        required=False,
        help_text="Where you are now, if the reading of your text placed you wrong: an emotion or a [valence, arousal] point.",
    )
    waypoints = PlacesField(
        child=PlaceField(),
        required=False,
        max_length=music_api.MAX_WAYPOINTS,
        help_text=f"Up to {music_api.MAX_WAYPOINTS} moods to pass through on the way, in order (emotions or points).",
    )
    length = StrictIntegerField(
        required=False,
        default=jobs.DEFAULT_LENGTH,
        min_value=jobs.MIN_LENGTH,
        max_value=jobs.MAX_LENGTH,
        help_text=f"Number of songs, {jobs.MIN_LENGTH} to {jobs.MAX_LENGTH} (default {jobs.DEFAULT_LENGTH}).",
    )
    stay = StrictIntegerField(
        required=False,
        min_value=0,
        max_value=jobs.MAX_LENGTH - 1,
        help_text="Songs that stay with your current mood before the path moves (iso principle); must be less than length. "
        "Default by length: 1 (3–5 songs), 2 (6–10), 3 (11 and more), measured in BENCHMARKS.md.",
    )
    max_step = StrictFloatField(
        required=False,
        allow_null=True,
        min_value=music_api.MIN_MAX_STEP,
        max_value=music_api.MAX_MAX_STEP,
        help_text="Largest distance on the plane between two songs in a row (no sudden jumps); null: no limit.",
    )
    artist_cap = StrictIntegerField(
        required=False, allow_null=True, min_value=1, max_value=jobs.MAX_LENGTH, help_text="Most songs by one artist; null: no cap."
    )
    seed = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=jobs.MAX_SEED,
        help_text="Picks one of the about equally good paths; the same seed gives the same playlist. Null: the best path.",
    )
    shuffle = StrictBooleanField(
        required=False, default=False, help_text="Another path for the same request: the server picks a seed (returned in the job)."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when used, not at import; validators rather than a validate_text() so the schema shows them.
        self.fields["target_emotion"].choices = list(emotion_api.EMOTIONS)
        _limit_text(self.fields["text"])

    def validate(self, attrs: dict) -> dict:
        errors = {}
        if "target" in attrs and "target_emotion" in attrs:
            errors["target"] = ["Give target or target_emotion, not both."]
        elif "target" not in attrs and "target_emotion" not in attrs:
            message = "Say where you want to get to: target (an emotion or a point) or target_emotion."
            errors["target"] = errors["target_emotion"] = [message]
        stay = attrs.get("stay")
        if stay is not None and stay >= attrs["length"]:
            errors["stay"] = [f"Must be less than the length ({attrs['length']})."]
        if errors:
            raise serializers.ValidationError(errors)
        if "target_emotion" in attrs:
            label = attrs.pop("target_emotion")
            attrs["target"] = Place(label, tuple(emotion_api.target_point(label)))
        if attrs.get("stay") is None:
            attrs["stay"] = music_api.default_stay(attrs["length"])
        return attrs


class RerouteRequestSerializer(serializers.Serializer):
    """"I feel different now": re-plan the songs not yet played, from how you feel now to the same goal."""

    schema_rules = {"anyOf": [{"required": ["text"]}, {"required": ["start"]}]}

    position = StrictIntegerField(
        min_value=0,
        max_value=jobs.MAX_LENGTH - 2,
        help_text="The song playing now (0 = the first); it and the songs before it count as played. "
        "There must be at least one song after it.",
    )
    text = StrictCharField(
        required=False,
        trim_whitespace=True,
        help_text="How you feel now, in your own words (read like a new request). Give text or start, or both.",
    )
    start = PlaceField(
        required=False,
        help_text="Where you are now, tapped on the plane: an emotion or a [valence, arousal] point (wins over the text's reading).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_text(self.fields["text"])

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("text") and "start" not in attrs:
            message = "Say how you feel now (text) or tap where you are on the plane (start)."
            raise serializers.ValidationError({"text": [message], "start": [message]})
        return attrs


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
    if typing.get_origin(hint) is tuple:
        members = typing.get_args(hint)
        if members[-1] is Ellipsis and dataclasses.is_dataclass(members[0]):  # tuple[Contract, ...]
            return serializer_for(members[0])(many=True, **options)
        if members[-1] is Ellipsis:  # tuple[X, ...]: a list of X
            return serializers.ListField(child=_field_for(members[0], {}), **options)
        return serializers.ListField(child=serializers.FloatField(), min_length=len(members), max_length=len(members), **options)
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


# --- The reading: emotion's Prediction.to_dict(), as storage keeps it with the job ---------------------

_PROBABILITY = {"min_value": 0.0, "max_value": 1.0}
_PLANE = {"min_value": music_api.PLANE_MIN, "max_value": music_api.PLANE_MAX}
_EMOTION_CHOICES = list(emotion_api.EMOTIONS)

EmotionProbabilitiesSerializer = type(
    "EmotionProbabilitiesSerializer",
    (serializers.Serializer,),
    {
        **{label: serializers.FloatField(**_PROBABILITY) for label in emotion_api.EMOTIONS},
        "__doc__": "The probability of each of the 13 emotions (they sum to 1).",
        "__module__": __name__,
    },
)


class EmotionShareSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=_EMOTION_CHOICES)
    probability = serializers.FloatField(**_PROBABILITY)


class InfluentialWordSerializer(serializers.Serializer):
    """A word of the person's text (or a run of neighbouring words, in a long text) that moved the reading:
    the text was read again without it, and the top emotion's probability dropped by ``weight``."""

    word = serializers.CharField(help_text="As written, without the punctuation around it (several words when span > 1).")
    position = serializers.IntegerField(
        min_value=0,
        help_text="Index of its first word among the words of the normalised text: NFC, every run of whitespace made one "
        "space, trimmed, then split on spaces.",
    )
    span = serializers.IntegerField(min_value=1, help_text="How many words from position it covers (1, or more in a long text).")
    weight = serializers.FloatField(
        min_value=-1.0, max_value=1.0,
        help_text="How much reading the text without it lowers the top emotion's probability (negative: it held the reading back).",
    )
    valence_shift = serializers.FloatField(
        help_text="Plane units the start point's valence moves because of it (with it minus without it)."
    )


class PredictionSerializer(serializers.Serializer):
    """What the model read in the person's text: the 13 emotions, the start point on the plane, how sure it
    is of that point and which words moved the reading."""

    probabilities = EmotionProbabilitiesSerializer()
    top_emotion = serializers.ChoiceField(choices=_EMOTION_CHOICES, help_text="The most probable emotion.")
    emotions = EmotionShareSerializer(many=True, help_text="The emotions at 5% or more, most probable first.")
    others = serializers.FloatField(**_PROBABILITY, help_text="The emotions under 5%, summed.")
    valence = serializers.FloatField(**_PLANE, help_text="The start point's valence: -10 unpleasant .. 10 pleasant.")
    arousal = serializers.FloatField(**_PLANE, help_text="The start point's arousal: -10 calm .. 10 energetic.")
    model_version = serializers.CharField()
    truncated = serializers.BooleanField(help_text="The text was longer than the model reads (256 tokens): its start was read.")
    confidence = serializers.FloatField(
        **_PROBABILITY, allow_null=True,
        help_text="How sure the start point is: 0 (not at all) .. 1, falling as halo_radius grows. Null for a reading made "
        "before confidences.",
    )
    unsure = serializers.BooleanField(
        allow_null=True,
        help_text="True when confidence is below 0.5: the result page then says the reading is unsure. Null for a reading made "
        "before confidences.",
    )
    halo_radius = serializers.FloatField(
        min_value=0.0, allow_null=True,
        help_text="Radius, in plane units, of the region around the start point where the person likely is (drawn as a halo "
        "around 'you now'). Null for a reading made before confidences.",
    )
    words = InfluentialWordSerializer(
        many=True,
        help_text="The words of the text that moved the reading most (at most five), strongest first. Empty when no word moved "
        "it by a percentage point or more, for a reading made before explanations, and once retention has erased the text.",
    )
    explanation_method = serializers.CharField(
        allow_null=True, help_text="How words were found, e.g. 'leave-one-word-out occlusion'. Null for a reading made before explanations."
    )


# The job state JSON (also the ``job`` field of every socket event), derived from storage's contract; storage
# keeps the prediction as emotion made it, so its shape is stated here.
JobErrorSerializer = serializer_for(storage_api.JobError)


class JobStateSerializer(serializer_for(storage_api.JobState)):
    prediction = PredictionSerializer(allow_null=True, help_text="What the model read in the text; null until it has been read.")


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
