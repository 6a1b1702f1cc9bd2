"""Browser test (Playwright + Debian's Chromium) of sharing with the enterprise and of the
device-credential warnings, on a phone-sized screen (390 px) and a desktop one.

The officer cannot share without ticking the confirmation (the browser refuses the form),
shares the case and a check record, and the enterprise then sees both in its portal; the
enterprise page shows the officer each logger's PW state and shows the enterprise none.
``LANTIAN_SCREENSHOT_DIR`` keeps the screenshots.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.web.conftest import seed
from tests.web.test_browser import LiveServer, _login, launch_chromium
from tests.web.test_device_auth import ALLOWED, REFUSED, _devices
from tests.web.test_sharing import CHECK_NOTES, _dispatched_case_with_check

from lantian.settings import Settings

pytestmark = pytest.mark.browser

SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")
"""Read at import: the autouse fixture of tests/conftest.py clears LANTIAN_* variables."""
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.mark.parametrize("screen", sorted(VIEWPORTS))
def test_share_and_device_warnings_in_the_browser(
    chromium: Any, tmp_path: Path, screen: str
) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.ensure_home()
    seeded = seed(settings)
    _devices(settings)
    case_id, check_id = _dispatched_case_with_check(seeded)
    out = Path(SHOT_DIR) if SHOT_DIR else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    with LiveServer(settings) as server:
        ctx = chromium.new_context(viewport=VIEWPORTS[screen], locale="zh-CN")
        page = ctx.new_page()
        _login(page, server.url, "ts_city")
        page.goto(f"{server.url}/enterprises/E1")
        expect(page.locator("[data-pw=allow_no_pw]").first).to_have_text(f"⚠ {ALLOWED}")
        expect(page.locator("[data-pw=refused]").first).to_be_visible()
        assert REFUSED in page.content()
        page.screenshot(path=str(out / f"sharing-enterprise-officer-{screen}.png"), full_page=True)

        page.goto(f"{server.url}/cases/{case_id}")
        share = page.locator("#share")
        share.scroll_into_view_if_needed()
        share.locator("button[type=submit]").click()  # not confirmed: nothing is sent
        page.wait_for_timeout(300)
        assert page.url == f"{server.url}/cases/{case_id}"
        share.locator("input[name=confirm]").check()
        share.locator("input[name=note]").fill("请企业配合自查")
        share.locator("button[type=submit]").click()
        page.wait_for_url("**done=share_case**")
        expect(page.locator("#case-shared")).to_contain_text("ts_city 用户")
        expect(page.locator("#share")).to_have_count(0)
        record = page.locator(f"#share-check-{check_id}")
        record.locator("summary").click()
        record.locator("input[name=confirm]").check()
        record.locator("button[type=submit]").click()
        page.wait_for_url("**done=share_check_record**")
        expect(page.locator(f"#check-{check_id}-shared")).to_be_visible()
        page.screenshot(path=str(out / f"sharing-case-officer-{screen}.png"), full_page=True)
        ctx.close()

        ctx = chromium.new_context(viewport=VIEWPORTS[screen], locale="zh-CN")
        page = ctx.new_page()
        _login(page, server.url, "ent1")
        page.goto(f"{server.url}/cases/{case_id}")
        expect(page.locator("#case-shared")).to_be_visible()
        expect(page.locator("text=" + CHECK_NOTES)).to_be_visible()
        assert page.locator("form[action$='/share']").count() == 0
        page.screenshot(path=str(out / f"sharing-case-enterprise-{screen}.png"), full_page=True)
        page.goto(f"{server.url}/portal")
        assert page.locator("[data-pw]").count() == 0
        ctx.close()
