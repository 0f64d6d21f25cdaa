"""Real headless Chromium (Debian's package) against a live test server.

The browser is the system's ``/usr/bin/chromium`` (``CHROMIUM`` overrides it); Playwright is
only the driver and never downloads a browser. Without Chromium the tests are skipped, except
under ``CI=true`` where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCALE = "zh-CN"
"""The browser's own language, as a Chinese office's machine has it. Playwright's ``locale``
sets what pages are told (``navigator.language``, ``Accept-Language``); the browser's own
language sets what it draws itself, such as the 年/月/日 placeholders of native date inputs.
That one is ``--lang`` on Windows and macOS but the ``LANGUAGE`` environment variable on
Linux, and only for a language whose resources are installed (Debian's ``chromium-l10n``):
so both are given."""
ARGS = [
    f"--lang={LOCALE}",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs it")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django would then refuse
    # ORM calls from the test body, which are safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=ARGS,
                env={**os.environ, "LANGUAGE": LOCALE.replace("-", "_")},
            )
            yield launched
            launched.close()
    finally:
        # Never leak the flag into later tests or the processes they start.
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=LOCALE)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, base: str, username: str) -> None:
    """Sign in through the login form; lands on the member table."""
    from tests.conftest import PASSWORD

    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/customers/")


def record_purchase(page: Any, amount: str) -> None:
    """Record a one-line purchase from the card's purchase panel and wait for the flash."""
    panel = page.locator("#purchase-panel")
    panel.locator("input[name='line-0-item_name']").fill("龙井茶")
    panel.locator("input[name='line-0-unit_price']").fill(amount)
    panel.locator("button[type=submit]").click()
    page.locator("#flash .alert--success").wait_for()


def tea_reward(admin: Any) -> None:
    """A 500-point gift in the catalogue, to redeem in the card tests."""
    from tiercard.loyalty.services.rewards import reward_create

    reward_create(
        actor=admin,
        data={
            "code": "tea",
            "name_zh": "龙井礼盒",
            "name_en": "Tea box",
            "kind": "gift",
            "points_cost": "500",
        },
    )
