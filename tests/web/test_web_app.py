"""The web app in headless Chromium against the real stack (Daphne + Celery worker + Redis)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import ARTIFACTS, JOB_CREATE_RATE_PER_MINUTE
from tests.web.pages import (
    SocketLog,
    log_in_through_api,
    new_account,
    sign_in_through_api,
    submit_mood,
    wait_until_finished,
)

pytestmark = pytest.mark.browser

STAGES = ("predicting", "generating", "saving", "completed")


def _completed_job(log: SocketLog) -> dict:
    finished = [event for event in log.events if event.get("type") == "job.completed"]
    assert finished, f"no job.completed event among {[e.get('type') for e in log.events]}"
    return finished[-1]["job"]


def test_signup_login_submit_watch_it_live_history_logout(page: Page, stack):
    account = new_account()

    # Sign up (the page logs the new account in), then log out and back in through the forms.
    page.goto("/signup/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="How are you feeling today?")).to_be_visible()
    page.get_by_role("button", name=re.compile("Log out")).click()
    page.wait_for_url(re.compile(r"/login/$"))
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="How are you feeling today?")).to_be_visible()

    # The 13 target emotions, grouped, as radio buttons one can walk with the arrow keys.
    for group in ("Positive", "Neutral", "Negative"):
        expect(page.get_by_role("group", name=group)).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(13)
    page.get_by_role("radio", name="Happiness").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Love")).to_be_checked()
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

    # Submit while the worker is paused, so the socket is open before the job starts moving:
    # then every stage has to arrive over it.
    log = SocketLog().attach(page)
    text = "Long week. I'm exhausted and worried about tomorrow's exam, but I'd love to feel calm and relieved."
    stack.pause_worker()
    try:
        submit_mood(page, text, target="relief")
        log.wait_for_events(page, 1)
    finally:
        stack.resume_worker()
    wait_until_finished(page)

    statuses = [event["status"] for event in log.events]
    seqs = [event["seq"] for event in log.events]
    assert log.events[0]["type"] == "job.snapshot" and statuses[0] == "queued"
    assert [status for status in statuses if status in STAGES] == list(STAGES), statuses
    assert seqs == sorted(set(seqs)), seqs
    assert len(log.urls) == 1 and "last_seq" not in log.urls[0]
    for stage in ("predicting", "generating", "saving"):
        expect(page.locator(f'.stage[data-stage="{stage}"]')).to_have_attribute("data-state", "done")
    expect(page.locator("#status-line")).to_have_text("Your playlist is ready.")
    job = _completed_job(log)

    # What was read: one bar per emotion of 5% or more, plus "others", with percentages.
    prediction = job["prediction"]
    expected_labels = [row["label"] for row in sorted(prediction["emotions"], key=lambda r: -r["probability"])]
    if prediction["others"] > 0:
        expected_labels.append("others")
    expect(page.locator(".bar__label")).to_have_text(expected_labels)
    for value in page.locator(".bar__value").all_inner_texts():
        assert re.fullmatch(r"\d{1,3}%", value), value
    expect(page.locator("#result-text")).to_have_text(text)

    # The plane: axes, the 13 emotions, where you are, the target, the numbered path of songs.
    songs = job["playlist"]["songs"]
    plane = page.locator("#plane svg")
    for label in ("unpleasant", "pleasant", "calm", "energetic"):
        expect(plane.locator("text", has_text=label).first).to_be_visible()
    expect(plane.locator(".plane__emotion-label")).to_have_count(13)
    expect(plane.locator('[data-point="start"]')).to_have_count(1)
    expect(plane.locator('[data-point="target"]')).to_have_count(1)
    expect(plane.locator(".plane__song")).to_have_count(len(songs))
    expect(plane.locator(".plane__song text")).to_have_text([str(i + 1) for i in range(len(songs))])
    points = plane.locator(".plane__path").get_attribute("points").split()
    assert len(points) == len(songs) + 1  # from where you are, through every song

    # The list, in order; hovering a song highlights it on the plane and focusing a point highlights the song.
    items = page.locator("#playlist > li")
    expect(items.locator(".song__title")).to_have_text([song["title"] for song in songs])
    expect(items.locator(".song__artist")).to_have_text([song["artist"] for song in songs])
    items.nth(2).hover()
    expect(plane.locator(".plane__song").nth(2)).to_have_class(re.compile("is-active"))
    plane.locator(".plane__song").nth(4).focus()
    expect(items.nth(4)).to_have_class(re.compile("is-active"))
    expect(items.nth(2)).not_to_have_class(re.compile("is-active"))

    # Copy, and download as JSON and as .m3u.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied the playlist to your clipboard.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.splitlines()[0].startswith(f"1. {songs[0]['title']} — {songs[0]['artist']}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    saved = json.loads(Path(download.value.path()).read_text())
    assert saved["playlist"]["songs"] == songs and saved["text"] == text
    with page.expect_download() as download:
        page.get_by_role("link", name="Download .m3u").click()
    m3u = Path(download.value.path()).read_text()
    assert download.value.suggested_filename.endswith(".m3u") and m3u.startswith("#EXTM3U")
    assert all(song["title"] in m3u for song in songs)
    assert len([line for line in m3u.splitlines() if line.startswith("https://")]) == len(songs)  # a link per song
    with page.expect_download() as download:
        page.get_by_role("link", name="Download .xspf").click()
    assert download.value.suggested_filename.endswith(".xspf")
    assert Path(download.value.path()).read_text().count("<track>") == len(songs)

    page.locator("#result").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "result.png"), full_page=True)

    # History shows it, newest first, and re-opens it.
    page.get_by_role("link", name="History").click()
    entry = page.locator(".history__item").first
    expect(entry.locator(".history__text")).to_have_text(text)
    expect(entry.locator(".badge")).to_have_text("Ready")
    page.screenshot(path=str(ARTIFACTS / "history.png"), full_page=True)
    entry.locator("a").click()
    page.wait_for_url(re.compile(rf"/results/{job['job_id']}/$"))
    wait_until_finished(page)
    expect(page.locator("#playlist .song__title")).to_have_text([song["title"] for song in songs])
    page.screenshot(path=str(ARTIFACTS / "result-page.png"), full_page=True)

    # Log out: the pages are closed again.
    page.get_by_role("button", name=re.compile("Log out")).click()
    page.wait_for_url(re.compile(r"/login/$"))
    page.goto("/")
    page.wait_for_url(re.compile(r"/login/\?next=/$"))


def test_validation_errors_are_shown_inline_and_keep_what_was_typed(page: Page, stack):
    account = sign_in_through_api(page)
    page.context.clear_cookies()

    page.goto("/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-form-error]")).to_be_visible()
    expect(page.locator("[data-form-error]")).not_to_be_empty()
    expect(page.get_by_label("Username")).to_have_value(account.username)

    page.goto("/signup/")
    page.get_by_label("Username").fill(f"{account.username}-2")
    page.get_by_label("Email").fill(f"2-{account.email}")
    page.get_by_label("Password").fill("123")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#password-error")).not_to_be_empty()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Username")).to_have_value(f"{account.username}-2")

    log_in_through_api(page, account)
    page.goto("/")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.get_by_role("button", name="Make my playlist").click()
    expect(page.locator("#text-error")).to_have_text("Please write a few words about how you feel.")
    assert posts == []  # caught before anything was sent

    # What the server refuses is shown next to the field, and the text stays.
    text = "Feeling fine, I think."
    page.get_by_label("In a few sentences, tell us how you feel").fill(text)
    page.locator("#target-happiness").evaluate("radio => { radio.value = 'bliss'; radio.checked = true; }")
    with page.expect_response("**/api/v1/playlists/") as answer:
        page.get_by_role("button", name="Make my playlist").click()
    assert answer.value.status == 400
    expect(page.locator("#target_emotion-error")).to_contain_text("Unknown emotion")
    expect(page.get_by_label("In a few sentences, tell us how you feel")).to_have_value(text)
    expect(page.locator("#result")).to_be_hidden()


def test_rate_limit_is_explained(page: Page, stack):
    sign_in_through_api(page)
    page.goto("/")
    text = "Just checking how fast I can go."
    for _ in range(JOB_CREATE_RATE_PER_MINUTE):
        with page.expect_response("**/api/v1/playlists/") as answer:
            submit_mood(page, text)
        assert answer.value.status == 202
    with page.expect_response("**/api/v1/playlists/") as answer:
        submit_mood(page, text)
    assert answer.value.status == 429
    error = page.locator("#mood-form [data-form-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("too many requests")
    expect(error).to_contain_text(re.compile(r"wait \d+ seconds?"))
    expect(page.get_by_label("In a few sentences, tell us how you feel")).to_have_value(text)


# Runs one real step of a job's chain in a separate process with its service broken (the worker is
# paused), so the step fails for good: Celery's failure signal makes storage fail the job and publish.
FAIL_STEP = """
from apps.emotion import api as emotion_api, tasks as emotion_tasks
from apps.gateway.jobs import payload_for
from apps.music import api as music_api, tasks as music_tasks
from apps.storage import api as storage_api

def broken(*args, **kwargs):
    raise RuntimeError("the service crashed")

payload = payload_for(storage_api.get_job({job_id!r}))
if {stage!r} == "predicting":
    emotion_api.predict = broken
    emotion_tasks.predict.apply(args=(payload,))
else:
    payload = emotion_tasks.predict.apply(args=(payload,)).get()
    music_api.generate_playlist = broken
    music_tasks.generate.apply(args=(payload,))
"""


def fail_job_in(page: Page, stack, log: SocketLog, stage: str, text: str) -> dict:
    """Submit a job and make its ``stage`` fail for good; the page's last socket event."""
    stack.pause_worker()
    try:
        submit_mood(page, text)
        log.wait_for_events(page, 1)
        stack.manage("shell", "-c", FAIL_STEP.format(job_id=log.events[0]["job_id"], stage=stage))
        wait_until_finished(page, "failed", timeout_ms=20_000)
    finally:
        stack.resume_worker()  # its queued message of the failed job is skipped by the step gate
    final = log.events[-1]  # over the socket: the failed event (or, after a reconnect, the failed snapshot)
    assert final["status"] == "failed" and final["type"] in ("job.failed", "job.snapshot"), final
    return final["job"]


def expect_stages(page: Page, states: dict[str, str]) -> None:
    for stage, state in states.items():
        expect(page.locator(f'.stage[data-stage="{stage}"]')).to_have_attribute("data-state", state)


def test_failed_job_is_explained_and_the_form_keeps_the_text(page: Page, stack):
    sign_in_through_api(page)
    page.goto("/")
    log = SocketLog().attach(page)
    text = "Nothing seems to work out today."
    job = fail_job_in(page, stack, log, "predicting", text)

    assert (job["error"]["code"], job["error"]["stage"]) == ("prediction_failed", "predicting")
    expect(page.locator("#job-error")).to_be_visible()
    expect(page.locator("#job-error-message")).to_have_text(job["error"]["message"])
    expect_stages(page, {"predicting": "failed", "generating": "pending", "saving": "pending"})
    assert "Traceback" not in page.content() and "crashed" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "failed.png"), full_page=True)
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_label("In a few sentences, tell us how you feel")).to_be_focused()
    expect(page.get_by_label("In a few sentences, tell us how you feel")).to_have_value(text)


def test_a_playlist_failure_is_shown_at_its_stage_after_the_mood_was_read(page: Page, stack):
    sign_in_through_api(page)
    page.goto("/")
    log = SocketLog().attach(page)
    job = fail_job_in(page, stack, log, "generating", "Tired but hopeful about tomorrow.")

    assert (job["error"]["code"], job["error"]["stage"]) == ("generation_failed", "generating")
    assert job["prediction"] is None  # the result page cannot have inferred the stage from it
    expect(page.locator("#job-error-message")).to_have_text(job["error"]["message"])
    expect_stages(page, {"predicting": "done", "generating": "failed", "saving": "pending"})
    # The worker, resumed, skips the failed job's queued step: the page stays as it is.
    page.wait_for_timeout(1500)
    expect(page.locator("#result")).to_have_attribute("data-status", "failed")
    assert log.events[-1]["job"]["seq"] == job["seq"]


def test_reconnects_with_last_seq_after_the_socket_is_cut(page: Page, stack):
    sign_in_through_api(page)
    page.goto("/")
    log = SocketLog().attach(page)
    stack.pause_worker()
    try:
        submit_mood(page, "A bit flat. Could use some energy.", target="enthusiasm")
        log.wait_for_events(page, 1)
        seen = log.events[-1]["seq"]
        page.evaluate("window.spg.stream.socket.close()")  # the connection drops mid-job
        log.wait_for_sockets(page, 2)
        expect(page.locator("#connection-note")).to_have_text("Reconnected. Live updates are back.")
    finally:
        stack.resume_worker()
    assert log.urls[1].endswith(f"?last_seq={seen}")
    wait_until_finished(page)
    job = _completed_job(log)
    expect(page.locator("#playlist .song__title")).to_have_text([song["title"] for song in job["playlist"]["songs"]])
    assert all(event["seq"] > seen for event in log.events[1:])


def test_falls_back_to_polling_without_websockets_and_says_so(page: Page, stack):
    sign_in_through_api(page)
    page.add_init_script("delete window.WebSocket")
    polls = []
    page.on("request", lambda request: polls.append(request.url) if "/api/v1/jobs/" in request.url else None)
    page.goto("/")
    submit_mood(page, "Quiet evening, nothing special.", target="neutral")
    expect(page.locator("#connection-note")).to_contain_text("checking for progress every few seconds")
    wait_until_finished(page)
    expect(page.locator("#playlist > li")).not_to_have_count(0)
    assert polls


def test_typed_markup_is_shown_as_text_and_never_runs(page: Page, stack):
    sign_in_through_api(page)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/")
    payload = '<script>window.__xss = 1; alert(1)</script><img src=x onerror="window.__xss = 2; alert(2)"> & "quotes"'
    submit_mood(page, payload)
    wait_until_finished(page)
    expect(page.locator("#result-text")).to_have_text(payload)
    assert page.locator("#result img, #result script").count() == 0
    page.get_by_role("link", name="History").click()
    expect(page.locator(".history__text").first).to_have_text(payload)
    assert page.locator("#history-list img, #history-list script").count() == 0
    page.wait_for_timeout(300)  # give a planted onerror handler its chance to fire
    assert page.evaluate("window.__xss") is None
    assert dialogs == []


def test_home_is_labelled_and_fits_a_phone(page: Page, stack):
    sign_in_through_api(page)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, textarea, select, button')]
            .filter((el) => el.type !== 'hidden')
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
            .map((el) => el.outerHTML)"""
    )
    assert unlabelled == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "home-phone.png"), full_page=True)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()


def test_missing_pages_and_playlists_are_explained(page: Page, stack):
    response = page.goto("/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()

    sign_in_through_api(page)
    page.goto(f"/results/{uuid.uuid4()}/")
    expect(page.locator("#connection-note")).to_have_text("We couldn't find this playlist. It may belong to another account.")


def test_history_pages_newest_first(page: Page, stack):
    sign_in_through_api(page)
    user_id = page.request.get("/api/v1/auth/me/").json()["id"]
    # Seed 21 jobs for this user through the storage app's public api (21 real jobs would meet the throttle).
    seed = (
        "from apps.storage import api\n"
        "for n in range(21):\n"
        f"    api.create_job(user_id={user_id}, text=f'entry {{n}}', target_emotion='love', target_point=(9, 5), length=5)"
    )
    stack.manage("shell", "-c", seed)
    page.goto("/history/")
    expect(page.locator("#history-status")).to_have_text("21 playlists, newest first.")
    expect(page.locator(".history__text")).to_have_text([f"entry {n}" for n in range(20, 0, -1)])
    expect(page.locator("#history-prev")).to_be_hidden()
    page.get_by_role("link", name="Older →").click()
    page.wait_for_url(re.compile(r"/history/\?page=2$"))
    expect(page.locator(".history__text")).to_have_text(["entry 0"])
    expect(page.locator("#history-next")).to_be_hidden()
    page.get_by_role("link", name="← Newer").click()
    expect(page.locator(".history__text").first).to_have_text("entry 20")
