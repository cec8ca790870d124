"""Server-rendered pages. Each page is a template plus plain ES modules from ``static/``.

The pages talk to the same JSON API and WebSocket as any other client (one auth path,
one job pipeline); the views here only render the shell and what the shell needs to
know up front (the emotions and their places on the valence-arousal plane).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET

from apps.emotion import api as emotion
from apps.gateway import jobs, privacy
from apps.music import api as music

# How the home page groups the 13 target emotions. Presentation only: the labels and
# their coordinates come from apps.emotion.api. A label missing here lands in "Neutral".
EMOTION_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Positive", ("happiness", "love", "fun", "enthusiasm", "relief", "surprise")),
    ("Neutral", ("neutral", "boredom", "empty")),
    ("Negative", ("sadness", "worry", "anger", "hate")),
)
DEFAULT_TARGET = "happiness"


def _emotion_points() -> list[dict]:
    """Every emotion with its (valence, arousal) target point, in the model's label order."""
    points = []
    for label in emotion.EMOTIONS:
        valence, arousal = emotion.target_point(label)
        points.append({"label": label, "valence": valence, "arousal": arousal})
    return points


def _result_context() -> dict:
    """What the result panel (home and result pages) needs up front: the emotions' places, the listen players."""
    return {"emotion_points": _emotion_points(), "listen_players": music.listen_players()}


def _grouped_emotions(points: list[dict]) -> list[dict]:
    by_label = {point["label"]: point for point in points}
    placed: set[str] = set()
    groups = []
    for name, labels in EMOTION_GROUPS:
        members = [by_label[label] for label in labels if label in by_label]
        placed.update(point["label"] for point in members)
        groups.append({"name": name, "emotions": members})
    leftovers = [point for point in points if point["label"] not in placed]
    if leftovers:
        next(group for group in groups if group["name"] == "Neutral")["emotions"].extend(leftovers)
    return [group for group in groups if group["emotions"]]


def _safe_next(request: HttpRequest) -> str:
    """Where to go after login: a path on this site only (no open redirects).

    Django's own check decides; a target with any control character or whitespace is refused as well,
    since browsers drop tabs and newlines from URLs (``/%09/evil.example`` would become ``//evil.example``).
    """
    target = request.GET.get("next", "")
    if (
        target.startswith("/")
        and not any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        return target
    return "/"


@require_GET
@ensure_csrf_cookie
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("pages:home")
    return render(request, "pages/signup.html", {"next": _safe_next(request)})


@require_GET
@ensure_csrf_cookie
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    return render(request, "pages/login.html", {"next": _safe_next(request)})


@require_GET
@ensure_csrf_cookie
def logout(request: HttpRequest) -> HttpResponse:
    """A page with a single "Log out" button (logging out is a POST to the auth API)."""
    return render(request, "pages/logout.html")


@require_GET
@ensure_csrf_cookie
@login_required
def home(request: HttpRequest) -> HttpResponse:
    panel = _result_context()
    return render(
        request,
        "pages/home.html",
        {
            **panel,
            "emotion_groups": _grouped_emotions(panel["emotion_points"]),
            "default_target": DEFAULT_TARGET,
            # The same limits the job API validates, so the form can say so before sending.
            "text_max_chars": jobs.text_max_chars(),
            "length_min": jobs.MIN_LENGTH,
            "length_default": jobs.DEFAULT_LENGTH,
            "length_max": jobs.MAX_LENGTH,
            "max_step_min": music.MIN_MAX_STEP,
            "max_step_max": music.MAX_MAX_STEP,
        },
    )


@require_GET
@ensure_csrf_cookie
@login_required
def result(request: HttpRequest, job_id: UUID) -> HttpResponse:
    return render(request, "pages/result.html", {"job_id": str(job_id), **_result_context()})


@require_GET
@ensure_csrf_cookie
@login_required
def history(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/history.html", {"emotion_points": _emotion_points()})


@require_GET
@ensure_csrf_cookie
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """What is stored about you, and the three actions: download it, delete the history, delete the account."""
    return render(request, "pages/account.html", {"stored": privacy.stored_data(request.user)})


@require_GET
def account_deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/account_deleted.html", {"kept_after_deletion": privacy.KEPT_AFTER_DELETION})


@csrf_exempt  # any method: nothing is done but answering 404 (or redirecting a GET)
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Every unknown /api/ path (a malformed job id too) answers the JSON error envelope, even under DEBUG
    (where Django's own 404 handler would answer its HTML debug page). A GET of a known path without its
    trailing slash is still redirected, as APPEND_SLASH did before this catch-all matched everything."""
    if request.method in ("GET", "HEAD") and not request.path_info.endswith("/") and _is_api_view(request.path_info + "/"):
        return redirect(request.get_full_path(force_append_slash=True), permanent=True)
    return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)


def _is_api_view(path: str) -> bool:
    try:
        return resolve(path).url_name != "api-not-found"
    except Resolver404:
        return False


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request)
    return render(request, "404.html", status=404)
