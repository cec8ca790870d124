"""Listen links, "how do you feel now?" and the look-back page in headless Chromium against the real stack.

Completed playlists are seeded through the storage app's public api and its save task (as the chain would
finish them), with songs whose titles stress the links' encoding; the links the page builds must be the
ones the server builds (apps.music.api.listen_links).
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import ARTIFACTS
from tests.web.pages import sign_in_through_api

pytestmark = pytest.mark.browser

SONGS = [
    {"id": 9001, "title": "Don't Stop Me Now", "artist": "Queen", "album": "Jazz", "valence": -6.0, "arousal": -5.0, "url": None},
    {"id": 9002, "title": 'Say "Hello" & <Goodbye>', "artist": "Tom & Jerry's", "album": "", "valence": 0.0, "arousal": 1.0,
     "url": "https://example.com/listen?id=2&x=1"},
    {"id": 9003, "title": "Happy 😀 Days 🎸", "artist": "Émilie", "album": "", "valence": 7.0, "arousal": 6.0, "url": "javascript:alert(1)"},
]
MARK = "SEEDED:"


def seed(stack, user_id: int, jobs: list[dict]) -> dict:
    """Completed jobs (and optional outcomes) for the user; returns the job ids and the server's listen links."""
    code = (
        "import json\n"
        "from apps.music import api as music\n"
        "from apps.storage import api\n"
        "from tests.helpers import completed_job\n"
        f"jobs = json.loads({json.dumps(json.dumps(jobs))})\n"
        "ids = []\n"
        "for job in jobs:\n"
        f"    job_id = completed_job({user_id}, {{'songs': job['songs'], 'notes': []}}, target=(job['target'], tuple(job['point'])), text=job['text'])\n"
        "    if job.get('after'):\n"
        f"        api.record_outcome(job_id, {user_id}, tuple(job['after']))\n"
        "    ids.append(job_id)\n"
        "links = [[link['url'] for link in music.listen_links(s['title'], s['artist'], s['url'])] for s in jobs[0]['songs']]\n"
        f"print({MARK!r} + json.dumps({{'ids': ids, 'links': links}}))\n"
    )
    output = stack.manage("shell", "-c", code).stdout
    return json.loads(next(line for line in output.splitlines() if line.startswith(MARK))[len(MARK):])


def _user_id(page: Page) -> int:
    return page.request.get("/api/v1/auth/me/").json()["id"]


def test_every_song_has_its_links_and_a_link_opens_in_a_new_tab(page: Page, stack):
    sign_in_through_api(page)
    seeded = seed(stack, _user_id(page), [{"songs": SONGS, "target": "happiness", "point": [10, 9], "text": "listening"}])
    job_id = seeded["ids"][0]
    page.goto(f"/results/{job_id}/")
    items = page.locator("#playlist > li")
    expect(items).to_have_count(len(SONGS))
    for index, expected in enumerate(seeded["links"]):
        links = items.nth(index).locator("a.song__link")
        expect(links).to_have_count(len(expected))
        assert [links.nth(i).get_attribute("href") for i in range(len(expected))] == expected  # the page builds the server's links
        for i in range(len(expected)):
            assert links.nth(i).get_attribute("target") == "_blank" and links.nth(i).get_attribute("rel") == "noopener noreferrer"
    expect(items.nth(1).locator("a.song__link").first).to_have_attribute("data-player", "own")
    expect(items.nth(2).locator('a[data-player="own"]')).to_have_count(0)  # a javascript: url is never a link

    page.context.route("https://open.spotify.com/**", lambda route: route.fulfill(body="a player", content_type="text/plain"))
    with page.context.expect_page() as opened:
        items.nth(0).get_by_role("link", name="Spotify for Don't Stop Me Now (opens in a new tab)").click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == seeded["links"][0][0] and tab.url.startswith("https://open.spotify.com/search/Queen%20Don%27t")
    assert page.url.endswith(f"/results/{job_id}/")  # the playlist stays where it was
    tab.close()


def test_reporting_how_you_feel_at_the_end_of_the_list_and_changing_it(page: Page, stack):
    sign_in_through_api(page)
    job_id = seed(stack, _user_id(page), [{"songs": SONGS, "target": "happiness", "point": [10, 9], "text": "end of list"}])["ids"][0]
    page.goto(f"/results/{job_id}/")
    section = page.locator("#outcome-section")
    expect(section.get_by_role("heading", name="How do you feel now?")).to_be_visible()
    # After the list: the section follows the playlist in the page.
    assert page.evaluate("document.getElementById('playlist-section').compareDocumentPosition(document.getElementById('outcome-section')) & 4")

    plane = section.locator("svg.outcome__plane")
    box = plane.bounding_box()
    plane.click(position={"x": box["width"] * 0.9, "y": box["height"] * 0.15})  # pleasant and energetic
    expect(section.locator(".outcome__status")).to_contain_text("Saved: you are at valence")
    expect(section.locator(".outcome__status")).to_contain_text("nearer to happiness than before")
    expect(section.locator('[data-point="after"]')).to_have_count(1)
    stored = page.request.get(f"/api/v1/playlists/{job_id}/outcome/").json()
    assert stored["after_point"][0] > 5 and stored["after_point"][1] > 5 and stored["toward_target"] is True

    section.get_by_label("I feel").select_option("sadness")
    section.get_by_role("button", name="Save how I feel").click()
    expect(section.locator(".outcome__status")).to_contain_text("you feel sadness, no nearer to happiness")
    assert page.request.get(f"/api/v1/playlists/{job_id}/outcome/").json()["after_emotion"] == "sadness"

    page.reload()  # re-opened later, the report is there and can be changed again
    expect(page.locator("#outcome-section .outcome__status")).to_contain_text("you feel sadness")
    expect(page.locator("#outcome-section").get_by_label("I feel")).to_have_value("sadness")


def test_reporting_how_you_feel_from_history(page: Page, stack):
    sign_in_through_api(page)
    user_id = _user_id(page)
    job_ids = seed(
        stack,
        user_id,
        [
            {"songs": SONGS, "target": "relief", "point": [8, -8], "text": "from history"},
            {"songs": SONGS, "target": "fun", "point": [8, 8], "text": "already reported", "after": [7, 7]},
        ],
    )["ids"]
    page.goto("/history/")
    items = page.locator(".history__item")
    expect(items).to_have_count(2)
    newest, older = items.nth(0), items.nth(1)  # newest first: "already reported"
    expect(newest.locator(".history__text")).to_have_text("already reported")
    expect(newest.locator("svg.outcome__arrows .outcome__reported")).to_have_count(1)  # intended and reported arrows
    expect(newest.locator("svg.outcome__arrows .outcome__intended")).to_have_count(1)
    expect(older.locator("svg.outcome__arrows .outcome__reported")).to_have_count(0)  # nothing reported yet

    older.get_by_text("How do you feel now?").click()
    older.get_by_label("I feel").select_option("relief")
    older.get_by_role("button", name="Save how I feel").click()
    expect(older.locator(".outcome__status")).to_contain_text("you feel relief, nearer to relief than before")
    expect(older.locator("svg.outcome__arrows .outcome__reported")).to_have_count(1)
    assert page.request.get(f"/api/v1/playlists/{job_ids[0]}/outcome/").json()["after_emotion"] == "relief"
    page.screenshot(path=str(ARTIFACTS / "history-outcomes.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})  # a phone: the arrows and the picker fit, no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "history-outcomes-phone.png"), full_page=True)


def test_look_back_says_no_outcomes_yet_then_draws_the_chart(page: Page, stack):
    sign_in_through_api(page)
    page.goto("/look-back/")
    expect(page.locator("#look-back-empty")).to_contain_text("No outcomes yet.")
    expect(page.locator("#look-back-chart")).to_have_count(0)

    # Every reading found sadness (-9, -8) (tests.helpers.completed_job); (-10, -9) is farther from each target.
    seeded = [
        {"songs": SONGS, "target": "happiness", "point": [10, 9], "text": "a", "after": [9, 8]},
        {"songs": SONGS, "target": "happiness", "point": [10, 9], "text": "b", "after": [2, 3]},
        {"songs": SONGS, "target": "happiness", "point": [10, 9], "text": "c", "after": [-10, -9]},
        {"songs": SONGS, "target": "relief", "point": [8, -8], "text": "d", "after": [6, -6]},
        {"songs": SONGS, "target": "relief", "point": [8, -8], "text": "e", "after": [3, -4]},
        {"songs": SONGS, "target": "fun", "point": [8, 8], "text": "f", "after": [-10, -9]},
    ]
    seed(stack, _user_id(page), seeded)
    page.goto("/look-back/")
    expect(page.locator("#look-back-empty")).to_have_count(0)
    expect(page.locator("#look-back-numbers")).to_contain_text("4 of 6 (67%)")
    chart = page.locator("#look-back-chart")
    expect(chart).to_be_visible()
    expect(chart.locator(".chart__row")).to_have_count(3)
    expect(chart.locator(".chart__label")).to_have_text(["relief", "happiness", "fun"])
    expect(chart.locator(".chart__value")).to_have_text(["100% · 2/2", "67% · 2/3", "0% · 0/1"])
    expect(page.locator("#look-back-plane .chart__move")).to_have_count(len(seeded))
    page.set_viewport_size({"width": 1100, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "look-back.png"), full_page=True)  # docs/look-back.png comes from here
