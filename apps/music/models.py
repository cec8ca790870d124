"""The song catalog: songs as points on the valence–arousal plane, and the catalog version."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

PLANE_MIN = -10.0
PLANE_MAX = 10.0
_on_plane = [MinValueValidator(PLANE_MIN), MaxValueValidator(PLANE_MAX)]
_unit = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class Song(models.Model):
    title = models.CharField(max_length=300)
    artist = models.CharField(max_length=300)
    album = models.CharField(max_length=300, blank=True, default="")
    valence = models.FloatField(validators=_on_plane, help_text="x on the plane, -10 (negative) .. 10 (positive)")
    arousal = models.FloatField(validators=_on_plane, help_text="y on the plane, -10 (calm) .. 10 (energetic)")
    # Raw features the coordinates came from, where known (Spotify audio features).
    spotify_valence = models.FloatField(null=True, blank=True, validators=_unit)
    spotify_energy = models.FloatField(null=True, blank=True, validators=_unit)
    tempo = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)], help_text="beats per minute")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True, default="")
    url = models.URLField(max_length=500, blank=True, default="")
    source = models.CharField(max_length=50, default="starter", help_text="where the song came from: starter, spotify, …")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["title", "artist", "source"], name="music_song_title_artist_source_uniq"),
            models.CheckConstraint(
                condition=Q(valence__gte=PLANE_MIN, valence__lte=PLANE_MAX, arousal__gte=PLANE_MIN, arousal__lte=PLANE_MAX),
                name="music_song_on_plane",
            ),
        ]
        indexes = [
            models.Index(fields=["valence", "arousal"], name="music_song_point_idx"),
            models.Index(fields=["artist"], name="music_song_artist_idx"),
            models.Index(fields=["source"], name="music_song_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.artist}"

    @property
    def quadrant(self) -> str:
        return quadrant_of(self.valence, self.arousal)


def quadrant_of(valence: float, arousal: float) -> str:
    """Q1 (+,+) happy/excited, Q2 (-,+) angry/tense, Q3 (-,-) sad/tired, Q4 (+,-) calm/content; 'axis' on an axis."""
    if valence == 0 or arousal == 0:
        return "axis"
    if valence > 0:
        return "Q1" if arousal > 0 else "Q4"
    return "Q2" if arousal > 0 else "Q3"


class CatalogState(models.Model):
    """One row (pk=1) whose ``version`` token changes with every change to the catalog.

    A random token, not a counter: a rolled-back bump must never let a later, different
    catalog reuse a version that an index or a cached playlist was already built for.
    """

    version = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"catalog {self.version}"
