"""Shaping the journey in headless Chromium against the real stack: a goal clicked anywhere, a waypoint,
where you are placed and dragged, the path quality, another path and the same path again by its number."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import ARTIFACTS
from tests.web.pages import sign_in_through_api, wait_until_finished

pytestmark = pytest.mark.browser

# plane.js's geometry: the -10..10 square is SPAN units wide at (LEFT, TOP) in a WIDTH x HEIGHT viewBox.
LEFT, TOP, SPAN, WIDTH = 46, 14, 360, 420


def _pixel(page: Page, plane: str, point: tuple[float, float]) -> tuple[float, float]:
    """Where (valence, arousal) is on the screen, in the plane inside ``plane`` (a CSS selector)."""
    box = page.locator(f"{plane} svg").bounding_box()
    scale = box["width"] / WIDTH
    return box["x"] + (LEFT + (point[0] + 10) / 20 * SPAN) * scale, box["y"] + (TOP + (10 - point[1]) / 20 * SPAN) * scale


def _in_view(page: Page, plane: str) -> None:
    """Scroll the whole plane into the viewport (the mouse acts on what is on the screen)."""
    page.locator(f"{plane} svg").evaluate("svg => svg.scrollIntoView({block: 'center'})")


def _click(page: Page, point: tuple[float, float], plane: str = "#journey-plane") -> None:
    _in_view(page, plane)
    page.mouse.click(*_pixel(page, plane, point))


def _job(page: Page) -> dict:
    job_id = page.locator("#result").get_attribute("data-job-id")
    response = page.request.get(f"/api/v1/jobs/{job_id}/")
    assert response.ok, response.text()
    return response.json()


def _songs(page: Page) -> list[int]:
    """The song ids of the playlist on the page (the list shown is checked against them)."""
    songs = _job(page)["playlist"]["songs"]
    expect(page.locator("#playlist li")).to_have_count(len(songs))
    expect(page.locator("#playlist li").first).to_contain_text(songs[0]["title"])
    return [song["id"] for song in songs]


def _close(got, want, tolerance=0.26) -> bool:
    return got is not None and all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True))


def test_a_goal_clicked_anywhere_a_waypoint_and_a_dragged_start_shape_the_playlist(page: Page, stack):
    sign_in_through_api(page)
    page.goto("/")
    page.get_by_label("In a few sentences, tell us how you feel").fill("Wound up after a long day, want to unwind.")

    _click(page, (6.0, -6.0))  # the goal: a point no emotion sits on
    expect(page.locator('input[name="target_emotion"]:checked')).to_have_count(0)
    page.get_by_label("A click on the plane sets").select_option("waypoint")
    _click(page, (0.0, 6.0))
    expect(page.locator("#journey-plane .plane__waypoint")).to_have_count(1)
    page.get_by_label("A click on the plane sets").select_option("start")
    _click(page, (-6.0, -6.0))
    # Drag "you now" from where it was placed to another point.
    _in_view(page, "#journey-plane")
    page.mouse.move(*_pixel(page, "#journey-plane", (-6.0, -6.0)))
    page.mouse.down()
    page.mouse.move(*_pixel(page, "#journey-plane", (-5.0, -7.0)), steps=5)
    page.mouse.move(*_pixel(page, "#journey-plane", (-4.0, -8.0)), steps=5)
    page.mouse.up()
    expect(page.locator("#journey-summary")).to_contain_text("You now: (-4, -8)")
    expect(page.locator("#journey-summary")).to_contain_text("Goal: the point (6, -6)")
    expect(page.locator("#journey-plane .plane__route")).to_have_count(1)  # the planned route, drawn
    page.get_by_label("Songs at your mood first").fill("2")
    page.get_by_label("Largest step").fill("8")

    page.get_by_role("button", name="Make my playlist").click()
    wait_until_finished(page)
    job = _job(page)
    assert job["target_emotion"] is None and _close(job["target_point"], (6.0, -6.0))
    journey = job["journey"]
    assert _close(journey["start_point"], (-4.0, -8.0)) and len(journey["waypoints"]) == 1
    assert _close(journey["waypoints"][0], (0.0, 6.0)) and journey["stay"] == 2 and journey["max_step"] == 8
    assert job["playlist"]["start"] == journey["start_point"]  # the dragged start, not the reading

    # The result: the waypoint drawn on the path, the goal named as a point, the path quality in one line.
    expect(page.locator("#plane .plane__waypoint")).to_have_count(1)
    expect(page.locator("#plane .plane__song")).to_have_count(len(job["playlist"]["songs"]))
    expect(page.locator("#result-target")).to_contain_text("the point")
    expect(page.locator("#path-quality")).to_contain_text(re.compile(r"largest \d+\.\d, average \d+\.\d, spread \d+\.\d\d"))
    page.locator("#result").screenshot(path=str(ARTIFACTS / "journey.png"))

    # On the result, drag "you now" to correct where you are: the same request from there, a new job.
    first_id = job["job_id"]
    _in_view(page, "#plane")
    page.mouse.move(*_pixel(page, "#plane", (-4.0, -8.0)))
    page.mouse.down()
    page.mouse.move(*_pixel(page, "#plane", (-3.0, -5.0)), steps=5)
    page.mouse.move(*_pixel(page, "#plane", (-2.0, -2.0)), steps=5)
    page.mouse.up()
    expect(page.locator("#result")).not_to_have_attribute("data-job-id", first_id)
    wait_until_finished(page)
    corrected = _job(page)
    assert _close(corrected["journey"]["start_point"], (-2.0, -2.0)) and corrected["playlist"]["start"] == corrected["journey"]["start_point"]
    assert corrected["target_point"] == job["target_point"] and corrected["journey"]["waypoints"] == journey["waypoints"]


def test_another_path_differs_and_its_number_gives_the_same_playlist_again(page: Page, stack):
    sign_in_through_api(page)
    page.goto("/")
    page.get_by_label("In a few sentences, tell us how you feel").fill("Flat and a bit bored.")
    page.locator("#target-enthusiasm").check()
    page.get_by_label("Songs", exact=True).fill("15")
    page.get_by_role("button", name="Make my playlist").click()
    wait_until_finished(page)
    first, first_id = _songs(page), page.locator("#result").get_attribute("data-job-id")
    expect(page.locator("#path-quality")).to_contain_text("the best path")

    page.get_by_role("button", name="Another path").click()
    expect(page.locator("#result")).not_to_have_attribute("data-job-id", first_id)
    wait_until_finished(page)
    shuffled, job = _songs(page), _job(page)
    seed = job["journey"]["seed"]
    assert seed is not None and job["playlist"]["seed"] == seed
    assert shuffled != first and len(shuffled) == 15
    expect(page.locator("#path-quality")).to_contain_text(f"path #{seed}")

    page.goto("/")
    page.get_by_label("In a few sentences, tell us how you feel").fill("Flat and a bit bored.")
    page.locator("#target-enthusiasm").check()
    page.get_by_label("Songs", exact=True).fill("15")
    page.get_by_label("Songs at your mood first").fill(str(job["journey"]["stay"]))
    page.get_by_label("Path number").fill(str(seed))
    page.get_by_role("button", name="Make my playlist").click()
    wait_until_finished(page)
    assert _songs(page) == shuffled


def test_a_reroute_while_listening_arrives_live_on_the_open_page_and_history_shows_the_chain(page: Page, stack):
    from tests.web.pages import SocketLog

    sign_in_through_api(page)
    log = SocketLog().attach(page)
    page.goto("/")
    page.get_by_label("In a few sentences, tell us how you feel").fill("Anxious about tomorrow, can't settle.")
    page.locator("#target-relief").check()
    page.get_by_label("Songs", exact=True).fill("8")
    page.get_by_role("button", name="Make my playlist").click()
    wait_until_finished(page)
    first_id = page.locator("#result").get_attribute("data-job-id")
    played = [song["id"] for song in _job(page)["playlist"]["songs"][:3]]

    # "I feel different now" at the third song, by a tap on the plane.
    page.get_by_label("I'm listening to").select_option("2")
    page.get_by_role("button", name="tap the plane").click()
    _click(page, (-2.0, 3.0), plane="#plane")
    expect(page.locator("#reroute-start")).to_have_text("(-2, 3)")
    stack.pause_worker()  # the socket is open before the re-route starts moving, however fast the pipeline
    try:
        page.get_by_role("button", name="Re-route from here").click()
        expect(page.locator("#result")).not_to_have_attribute("data-job-id", first_id)
        child_id = page.locator("#result").get_attribute("data-job-id")
        log.wait_for_sockets(page, 2)
        assert child_id in log.urls[-1]
        expect(page.locator("#status-line")).to_have_text("Waiting for a free moment…")
    finally:
        stack.resume_worker()
    wait_until_finished(page)
    stages = [e["status"] for e in log.events if e.get("job_id") == child_id and e.get("type") != "job.snapshot"]
    assert stages[-1] == "completed" and "generating" in stages  # pushed live over the socket
    child = _job(page)
    assert child["journey"]["rerouted_from"] == first_id and child["journey"]["exclude_song_ids"] == played
    assert _close(child["journey"]["start_point"], (-2.0, 3.0))
    expect(page.locator("#playlist li")).to_have_count(5)  # the five songs still to come, re-planned
    expect(page.locator("#reroute-note")).to_contain_text("Re-routed while listening")

    page.goto("/history/")
    chain = page.locator(".history__chain")
    expect(chain).to_have_count(1)
    expect(chain).to_have_attribute("href", f"/results/{first_id}/")
