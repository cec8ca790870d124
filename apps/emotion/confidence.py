"""How sure the start point is: a halo radius on the plane, and a 0..1 confidence from it.

The radius is the root mean square distance, under the 13-way distribution, from the start point to
the emotions' own points: sqrt(spread^2 + disagreement^2), where `spread` is how widely the
distribution scatters over the plane and `disagreement` is how far the regressor's point (the start
point) lies from the class-weighted average the classifier implies. A confident reading concentrates
on one emotion whose point agrees with the regressor: a small halo. A reading split between distant
emotions, or whose two heads disagree, gets a large one. No calibration data is needed, and the
radius is in the plane's own units; `bench/emotion.py` measures how well it tracks the real error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from apps.emotion.labels import EMOTION_POINTS, PLANE_LIMIT

# A radius this large (plane units) means no confidence at all: 1.5 x the half-width of the plane.
NO_CONFIDENCE_RADIUS = 1.5 * PLANE_LIMIT
# Below this confidence the page says the reading is unsure (radius above 7.5 plane units).
UNSURE_BELOW = 0.5


def halo_radius(probabilities: Mapping[str, float], start: tuple[float, float]) -> float:
    """sqrt(sum p_i * |point_i - start|^2): the spread of the emotions' points around the start point."""
    total = 0.0
    for label, probability in probabilities.items():
        x, y = EMOTION_POINTS[label]
        total += probability * ((x - start[0]) ** 2 + (y - start[1]) ** 2)
    return math.sqrt(max(total, 0.0))


def confidence_of(radius: float) -> float:
    """1 for a point-sized halo, falling linearly to 0 at NO_CONFIDENCE_RADIUS."""
    return max(0.0, min(1.0, 1.0 - radius / NO_CONFIDENCE_RADIUS))
