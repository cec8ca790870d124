"""Your data in headless Chromium against the real stack: delete a playlist (its page, the history),
download everything, delete the account (password asked; the open job page's socket is closed)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import ARTIFACTS
from tests.web.pages import sign_in_through_api

pytestmark = pytest.mark.browser


def seed_jobs(page: Page, stack, texts: list[str]) -> list[str]:
    """Jobs for the signed-in user through storage's public api (they stay queued: no chain is sent)."""
    user_id = page.request.get("/api/v1/auth/me/").json()["id"]
    seed = "from apps.storage import api\n" + "".join(
        f"print('JOB', api.create_job(user_id={user_id}, text={text!r}, target_emotion='love', target_point=(9, 5), length=5).job_id)\n"
        for text in texts
    )
    output = stack.manage("shell", "-c", seed).stdout
    return [line.split()[1] for line in output.splitlines() if line.startswith("JOB ")]


def accept_dialogs(page: Page) -> list[str]:
    messages: list[str] = []

    def accept(dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return messages


def test_delete_a_playlist_from_its_page_and_from_the_history(page: Page, stack):
    sign_in_through_api(page)
    first, second, third = seed_jobs(page, stack, ["first worry", "second worry", "third worry"])
    dialogs = accept_dialogs(page)

    page.goto(f"/results/{first}/")
    expect(page.locator("#result-title")).to_be_visible()
    page.get_by_role("button", name="Delete this playlist").click()
    page.wait_for_url(re.compile(r"/history/\?deleted=1$"))
    expect(page.locator("#history-notice")).to_have_text("Playlist deleted.")
    expect(page.locator(".history__text")).to_have_text(["third worry", "second worry"])
    assert "cannot be undone" in dialogs[0]
    assert page.request.get(f"/api/v1/playlists/{first}/").status == 404

    page.locator(".history__item", has_text="second worry").get_by_role("button", name=re.compile("^Delete the playlist")).click()
    expect(page.locator(".history__text")).to_have_text(["third worry"])
    expect(page.locator("#history-status")).to_have_text("1 playlist, newest first.")
    assert page.request.get(f"/api/v1/playlists/{second}/").status == 404
    assert page.request.get(f"/api/v1/playlists/{third}/").status == 200
    page.screenshot(path=str(ARTIFACTS / "history-after-delete.png"), full_page=True)


def test_download_everything_then_delete_the_account(page: Page, stack):
    account = sign_in_through_api(page)
    [job_id] = seed_jobs(page, stack, ["a text that is only mine"])
    # A job page with its socket open (the job is still queued), in another tab of the same browser.
    watching = page.context.new_page()
    watching.goto(f"/results/{job_id}/")
    expect(watching.locator("#status-line")).to_have_text("Waiting for a free moment…")

    page.goto("/account/")
    expect(page.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    expect(page.locator("#count-playlists")).to_have_text("1")
    expect(page.locator("#count-texts-kept")).to_have_text("1")
    expect(page.locator("#kept-note")).to_contain_text("metrics")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data (JSON)").click()
    exported = json.loads(open(download_info.value.path(), encoding="utf-8").read())
    assert exported["account"]["username"] == account.username
    assert [(item["job_id"], item["text"]) for item in exported["playlists"]] == [(job_id, "a text that is only mine")]
    page.screenshot(path=str(ARTIFACTS / "account.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # fits a phone
    page.screenshot(path=str(ARTIFACTS / "account-phone.png"), full_page=True)

    accept_dialogs(page)
    password = page.get_by_label("Your password, to confirm")
    password.fill("not my password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#delete-password-error")).to_have_text("Wrong password.")
    assert page.request.get("/api/v1/auth/me/").status == 200  # nothing was deleted

    password.fill(account.password)
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(re.compile(r"/account/deleted/$"))
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    # The other tab's socket was closed by the server, and it cannot come back.
    expect(watching.locator("#connection-note")).to_have_text("Your session has ended. Please log in again to see this playlist.")
    assert page.request.get("/api/v1/auth/me/").status == 401
    logged_in = page.request.post("/api/v1/auth/login/", data={"username": account.username, "password": account.password})
    assert logged_in.status == 401
