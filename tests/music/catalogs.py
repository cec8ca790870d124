"""Seeded synthetic catalogs shared by the engine's property and golden tests."""

from __future__ import annotations

import numpy as np

from apps.music.engine import CatalogIndex


def dense_catalog() -> CatalogIndex:
    """5,000 songs spread uniformly over the plane, two per artist."""
    rng = np.random.default_rng(11)
    points = rng.uniform(-10, 10, size=(5000, 2))
    return CatalogIndex.build(np.arange(1, 5001), points, np.arange(5000) // 2)


def crowded_catalog(rng: np.random.Generator) -> CatalogIndex:
    """Each of 10 waypoints on the diagonal crowded by one artist's songs; another artist sits just beyond."""
    points, artists = [], []
    for i in range(10):
        v = -9 + 2 * i
        points += [(v + dx, v + dy) for dx, dy in rng.uniform(-0.05, 0.05, size=(12, 2))]
        artists += [0] * 12
        points.append((v + 0.3, v - 0.3))
        artists.append(1 + i)
    return CatalogIndex.build(np.arange(1, len(points) + 1), points, artists)
