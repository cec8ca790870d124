"""Defaults shared by the emotion management commands."""

from pathlib import Path

from django.conf import settings

SHARED_DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
DEFAULT_EMOTION_CSV = SHARED_DATA / "text_emotion" / "train.csv"
DEFAULT_EMOBANK_CSV = SHARED_DATA / "emobank" / "train.csv"
DEFAULT_GOEMOTIONS_DIR = SHARED_DATA / "goemotions"
