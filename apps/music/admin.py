"""Admin for the song catalog: search, quadrant/source filters, coordinates, and a scatter view."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path

from apps.music.models import CatalogState, Song, quadrant_of

SCATTER_MAX_POINTS = 5000
QUADRANTS = {
    "Q1": ("Q1 · positive, energetic", Q(valence__gt=0, arousal__gt=0)),
    "Q2": ("Q2 · negative, energetic", Q(valence__lt=0, arousal__gt=0)),
    "Q3": ("Q3 · negative, calm", Q(valence__lt=0, arousal__lt=0)),
    "Q4": ("Q4 · positive, calm", Q(valence__gt=0, arousal__lt=0)),
    "axis": ("on an axis", Q(valence=0) | Q(arousal=0)),
}


class QuadrantFilter(admin.SimpleListFilter):
    title = "quadrant"
    parameter_name = "quadrant"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in QUADRANTS.items()]

    def queryset(self, request, queryset):
        if self.value() in QUADRANTS:
            return queryset.filter(QUADRANTS[self.value()][1])
        return queryset


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = ("title", "artist", "valence", "arousal", "quadrant", "source", "updated_at")
    list_filter = (QuadrantFilter, "source")
    search_fields = ("title", "artist", "album")
    readonly_fields = ("created_at", "updated_at")
    list_per_page = 50
    show_full_result_count = False  # counting a million rows on every page is not worth it
    change_list_template = "admin/music/song/change_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("title", "artist", "album", "source")}),
        ("Place on the plane (-10..10)", {"fields": ("valence", "arousal")}),
        ("Raw features", {"fields": ("spotify_valence", "spotify_energy", "tempo", "duration_ms"), "classes": ("collapse",)}),
        ("Links", {"fields": ("external_id", "url")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="quadrant")
    def quadrant(self, song: Song) -> str:
        return quadrant_of(song.valence, song.arousal)

    def get_urls(self):
        scatter = path("scatter/", self.admin_site.admin_view(self.scatter_view), name="music_song_scatter")
        return [scatter, *super().get_urls()]

    def scatter_view(self, request):
        """Every song (a sample of at most SCATTER_MAX_POINTS) as a dot on the plane, as inline SVG."""
        songs = self.get_queryset(request).order_by("?" if self.get_queryset(request).count() > SCATTER_MAX_POINTS else "id")
        points = [
            {"x": (v + 10) * 20, "y": (10 - a) * 20, "label": f"{t} — {ar} ({v:g}, {a:g})"}
            for t, ar, v, a in songs.values_list("title", "artist", "valence", "arousal")[:SCATTER_MAX_POINTS]
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Songs on the valence–arousal plane",
            "opts": self.model._meta,
            "points": points,
            "total": self.get_queryset(request).count(),
        }
        return TemplateResponse(request, "admin/music/song/scatter.html", context)


@admin.register(CatalogState)
class CatalogStateAdmin(admin.ModelAdmin):
    list_display = ("version", "updated_at")
    readonly_fields = ("version", "updated_at")

    def has_add_permission(self, request):
        return False
