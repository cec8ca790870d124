"""After login the browser goes only to a page of this site, whatever ``next`` says (headless Chromium).

Each variant is tried twice: through the real flow (the server checks ``next`` with Django's helper,
then the page navigates), and with the server's check bypassed (the raw value put into the form), so
the page's own origin check is tested on its own.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Page

from tests.web.pages import new_account

pytestmark = pytest.mark.browser

# As they would appear in a crafted link's query string.
HOSTILE_NEXT = [
    "/%09/evil.example",  # tab: browsers drop it, leaving //evil.example
    "/%0A/evil.example",  # newline
    "/%0D%0A/evil.example",
    "/%5Cevil.example",  # /\evil.example: a backslash is a slash to browsers
    "%5C%5Cevil.example",
    "/%5C/evil.example",
    "//evil.example",
    "%2F%2Fevil.example",
    "///evil.example",
    "%20//evil.example",
    "https://evil.example/",
    "https:evil.example",
    "HTTPS://evil.example",
    "javascript:alert(document.domain)",
    "http://127.0.0.1.evil.example/",
]


def sign_up(page: Page):
    account = new_account()
    created = page.request.post(
        "/api/v1/auth/signup/", data={"username": account.username, "email": account.email, "password": account.password}
    )
    assert created.status == 201, created.text()
    return account


def log_in_with_form(page: Page, account, raw_next: str | None = None) -> None:
    if raw_next is not None:  # the server's check bypassed: the page alone decides
        page.locator("#auth-form").evaluate("(form, next) => { form.dataset.next = next; }", raw_next)
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state()


def assert_on_site(page: Page, base_url: str) -> None:
    here = urlsplit(page.url)
    assert f"{here.scheme}://{here.netloc}" == base_url, f"left the site for {page.url}"


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_login_never_leaves_the_site(page: Page, stack, hostile):
    account = sign_up(page)
    page.goto(f"/login/?next={hostile}")
    log_in_with_form(page, account)
    assert_on_site(page, stack.url)
    assert urlsplit(page.url).path == "/"
    # Logged in now: /login/ redirects on the server, with the same check.
    page.goto(f"/login/?next={hostile}")
    assert_on_site(page, stack.url)


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_the_page_checks_the_origin_itself(page: Page, stack, hostile):
    account = sign_up(page)
    page.goto("/login/")
    log_in_with_form(page, account, raw_next=unquote(hostile))
    assert_on_site(page, stack.url)


def test_a_local_next_is_followed(page: Page, stack):
    account = sign_up(page)
    page.goto("/login/?next=/history/%3Fpage%3D1")
    log_in_with_form(page, account)
    assert page.url == f"{stack.url}/history/?page=1"
