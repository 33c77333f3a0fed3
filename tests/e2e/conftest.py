"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, installed by `make install`)
against pytest-django's live server. Playwright's own browser downloads are never used.

Without Chromium (or the playwright package) these tests skip, except under CI=true, where they fail:
CI must run them.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

CHROMIUM = Path(os.environ.get("SELFLEARN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI") == "true"
# Where the tests photograph the pages the docs show: a temporary folder, unless `make screenshots`
# names docs/ to refresh the pictures there.
SCREENSHOTS = os.environ.get("SELFLEARN_SCREENSHOTS_DIR", "")


def _require_browser() -> None:
    reason = None
    try:
        import playwright  # noqa: F401
    except ImportError:
        reason = "the playwright package is not installed (make install)"
    if reason is None and not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `make install` installs Debian's chromium"
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI runs the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. While it runs, Playwright's sync API keeps an event loop in this
    thread; the tests' own ORM calls are still plain synchronous code, so Django's guard against ORM
    calls from async code is lifted for that time (and only for it)."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[str], Path]:
    """``screenshot("review.png")``: where a test saves a picture of a page the docs show."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return lambda name: folder / name


def assert_is_a_picture_of_the_page(page: Any, path: Path, *, least_colours: int = 50) -> None:
    """A PNG as wide as the viewport, of many colours (slot hues, badges, plots), not a blank page."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == page.viewport_size["width"]
    colours = page.evaluate(
        """async (source) => {
            const image = new Image();
            image.src = source;
            await image.decode();
            const canvas = document.createElement("canvas");
            canvas.width = image.width; canvas.height = image.height;
            const context = canvas.getContext("2d");
            context.drawImage(image, 0, 0);
            const pixels = context.getImageData(0, 0, image.width, image.height).data;
            const seen = new Set();
            for (let i = 0; i < pixels.length; i += 4 * 97) {
                seen.add(pixels[i] + "," + pixels[i + 1] + "," + pixels[i + 2]);
            }
            return seen.size;
        }""",
        "data:image/png;base64," + base64.b64encode(data).decode(),
    )
    assert colours > least_colours


@pytest.fixture
def page_as(browser, live_server) -> Iterator[Callable[[Any], Any]]:
    """``page_as(user)``: a fresh browser page logged in as ``user`` (its own cookies)."""
    contexts = []

    def open_page(user: Any) -> Any:
        from django.test import Client

        client = Client()
        client.force_login(user)
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 1000})
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
