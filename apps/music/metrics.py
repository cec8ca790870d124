"""Prometheus metrics of the music app (exported by django-prometheus at /metrics)."""

from prometheus_client import Counter

# Exposed as spg_playlist_cache_total{result="hit"|"miss"}.
PLAYLIST_CACHE = Counter("spg_playlist_cache", "Playlist cache lookups, by result.", ["result"])
