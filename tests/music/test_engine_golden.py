"""The engine's playlists, bit for bit, against outputs recorded before `plan_path` was split into steps.

The cases are seeded: the property tests' dense catalog and seeds, small catalogs full of exact ties
and shared artists (with exclusions), catalogs crowded by one artist (the pool widens), and catalogs
with empty regions. Re-record only for an intended change of behaviour:
`.venv/bin/python -m tests.music.test_engine_golden --record`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from apps.music.engine import CatalogIndex, plan_path
from tests.music.catalogs import crowded_catalog, dense_catalog

GOLDEN = Path(__file__).with_name("golden") / "engine_plans.json"


def _ties(rng: np.random.Generator) -> CatalogIndex:
    size = int(rng.integers(1, 60))
    points = rng.integers(-3, 4, size=(size, 2)).astype(np.float64) * 2.5  # many songs on the same spot
    return CatalogIndex.build(np.arange(1, size + 1), points, rng.integers(0, 4, size))


def _clustered(rng: np.random.Generator) -> CatalogIndex:
    centre = rng.uniform(-8, 8, size=2)
    points = centre + rng.normal(0, 1.0, size=(300, 2))
    return CatalogIndex.build(np.arange(1, 301), np.clip(points, -10, 10), rng.integers(0, 40, 300))


def cases():
    """(name, index, start, target, length, seed, exclude_ids), all from fixed seeds."""
    rng = np.random.default_rng(2026)
    dense = dense_catalog()

    def inputs(max_length: int):
        start, target = (tuple(float(v) for v in rng.uniform(-10, 10, 2)) for _ in range(2))
        seed = None if rng.random() < 0.3 else int(rng.integers(0, 2**32))
        return start, target, int(rng.integers(1, max_length + 1)), seed

    for i in range(60):
        yield (f"dense-{i}", dense, *inputs(50), ())
    yield ("dense-same-point", dense, (2.0, 3.0), (2.0, 3.0), 10, 5, ())
    for i in range(80):
        index = _ties(rng)
        exclude = tuple(int(v) for v in rng.integers(1, 61, int(rng.integers(0, 10))))
        if len(set(exclude) & set(index.ids.tolist())) == index.size:
            exclude = ()
        yield (f"ties-{i}", index, *inputs(30), exclude)
    for i in range(10):
        yield (f"crowded-{i}", crowded_catalog(rng), (-9.0, -9.0), (9.0, 9.0), 10, int(rng.integers(0, 100)), ())
    for i in range(30):
        index = _clustered(rng)
        yield (f"clustered-{i}", index, *inputs(40), tuple(range(1, int(rng.integers(1, 40)))))


def _plans() -> dict:
    plans = {}
    for name, index, start, target, length, seed, exclude in cases():
        plan = plan_path(index, start, target, length, seed=seed, exclude_ids=exclude)
        plans[name] = {"rows": list(plan.rows), "notes": list(plan.notes)}
    return plans


def test_playlists_match_the_recorded_ones_bit_for_bit():
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    plans = _plans()
    assert plans.keys() == recorded.keys()
    changed = [name for name in plans if plans[name] != recorded[name]]
    assert not changed, f"{len(changed)} playlists changed, first {changed[:5]}"


if __name__ == "__main__" and "--record" in sys.argv:
    GOLDEN.write_text(json.dumps(_plans(), separators=(",", ":")) + "\n", encoding="utf-8")
