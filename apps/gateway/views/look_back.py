"""The look-back page: has listening helped? A person's outcomes summed up and drawn as server-rendered SVG.

Storage sums the outcomes (``outcome_summary``); this module only lays out the chart: one bar per
target emotion (how often a playlist towards it moved the person nearer to it, best first) and the
plane with each reported move (start → after) beside its target. No script, no charting library.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.storage import api as storage_api

# Bar chart geometry (SVG user units).
LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH, ROW_HEIGHT, TOP = 110, 300, 150, 30, 24
# The moves plane: -10..10 on both axes inside a margin.
PLANE_SIZE, PLANE_MARGIN = 340, 24  # the margin leaves room for target labels at the edge
MAX_MOVES = 60  # the newest; more would only clutter the picture


def _bars(groups: tuple[storage_api.OutcomeGroup, ...]) -> dict:
    rows = []
    for index, group in enumerate(groups):
        y = TOP + index * ROW_HEIGHT
        rows.append(
            {
                "group": group,
                "percent": round(group.share_toward_target * 100),
                "y": y,
                "text_y": y + 15,
                "width": round(BAR_WIDTH * group.share_toward_target, 1),
            }
        )
    return {
        "rows": rows,
        "width": LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
        "height": TOP + len(rows) * ROW_HEIGHT + 8,
        "bar_x": LABEL_WIDTH,
        "bar_width": BAR_WIDTH,
        "value_x": LABEL_WIDTH + BAR_WIDTH + 8,
        "half_x": LABEL_WIDTH + BAR_WIDTH / 2,
        "axis_bottom": TOP + len(rows) * ROW_HEIGHT,
    }


def _plane_xy(point: tuple[float, float]) -> tuple[float, float]:
    span = PLANE_SIZE - 2 * PLANE_MARGIN
    return (
        round(PLANE_MARGIN + (point[0] + 10) / 20 * span, 1),
        round(PLANE_MARGIN + (10 - point[1]) / 20 * span, 1),
    )


def _anchor(x: float) -> str:
    """Labels near the left or right edge grow inwards, so they are never cut off."""
    if x > PLANE_SIZE - 3 * PLANE_MARGIN:
        return "end"
    return "start" if x < 3 * PLANE_MARGIN else "middle"


def _moves(outcomes: list[storage_api.OutcomeState]) -> dict:
    moves, targets = [], {}
    for outcome in outcomes[:MAX_MOVES]:
        (x1, y1), (x2, y2) = _plane_xy(outcome.before_point), _plane_xy(outcome.after_point)
        moves.append({"x1": x1, "y1": y1, "x2": x2, "y2": y2, "toward": outcome.toward_target, "outcome": outcome})
        targets.setdefault(outcome.target_emotion, _plane_xy(outcome.target_point))
    middle = PLANE_SIZE / 2
    return {
        "moves": moves,
        "targets": [{"label": label, "x": x, "y": y, "anchor": _anchor(x)} for label, (x, y) in sorted(targets.items())],
        "size": PLANE_SIZE,
        "margin": PLANE_MARGIN,
        "span": PLANE_SIZE - 2 * PLANE_MARGIN,
        "middle": middle,
        "far": PLANE_SIZE - PLANE_MARGIN,
    }


@require_GET
@login_required
def look_back(request: HttpRequest) -> HttpResponse:
    summary = storage_api.outcome_summary(request.user.pk)
    context = {"summary": summary}
    if summary.count:
        context.update(
            bars=_bars(summary.groups),
            plane=_moves(storage_api.list_outcomes(request.user.pk)),
            share_percent=round((summary.share_toward_target or 0) * 100),
        )
    return render(request, "pages/look_back.html", context)
