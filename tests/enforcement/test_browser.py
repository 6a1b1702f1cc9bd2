"""Browser test (Playwright + Debian's Chromium): the 处罚裁量 card on the case page, at
1280 px and 390 px: the officer assesses a confirmed case, sees the reasons, records the
decision with the education, and the enterprise acknowledges it in its portal.
``LANTIAN_SCREENSHOT_DIR`` keeps the screenshots."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.enforcement.test_web import _confirmed_case
from tests.web.conftest import seed
from tests.web.test_browser import LiveServer, _login
from tests.web.test_browser_sharing import VIEWPORTS, chromium

from lantian.settings import Settings

pytestmark = pytest.mark.browser
SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")
__all__ = ["chromium"]


@pytest.mark.parametrize("screen", sorted(VIEWPORTS))
def test_penalty_card_journey(chromium: Any, tmp_path: Path, screen: str) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.ensure_home()
    seeded = seed(settings)
    case_id = _confirmed_case(seeded)
    out = Path(SHOT_DIR) if SHOT_DIR else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    with LiveServer(settings) as server:
        ctx = chromium.new_context(viewport=VIEWPORTS[screen], locale="zh-CN")
        page = ctx.new_page()
        _login(page, server.url, "lb_district")
        page.goto(f"{server.url}/cases/{case_id}")
        card = page.locator("#penalty")
        expect(card.locator("#penalty-assess")).to_be_visible()  # loaded by HTMX
        card.locator("select[name=violation]").select_option("AIR-EXCEED")
        card.locator("select[name=harm]").select_option("slight")
        card.locator("input[name=corrected_in_time]").check()
        card.locator("#penalty-assess button[type=submit]").click()
        page.wait_for_url("**done=penalty**")
        card = page.locator("#penalty")
        expect(card.locator("#penalty-result")).to_contain_text("不予处罚")
        expect(card.locator("#penalty-reasons")).to_contain_text("FO-01")
        card.locator("textarea[name=education]").fill("现场讲解大气污染防治法，企业承诺加强运维")
        page.screenshot(path=str(out / f"penalty-card-{screen}.png"), full_page=True)
        card.locator("#penalty-decide button[type=submit]").click()
        page.wait_for_url("**done=penalty**")
        expect(page.locator("#penalty-decision")).to_contain_text("不予处罚")
        ctx.close()
        ent = chromium.new_context(viewport=VIEWPORTS[screen], locale="zh-CN").new_page()
        _login(ent, server.url, "ent1")
        ent.goto(f"{server.url}/portal/penalties")
        expect(ent.locator("#decisions")).to_contain_text("现场讲解大气污染防治法")
        ent.locator("#decisions button[type=submit]").click()
        ent.wait_for_url("**done=1**")
        expect(ent.locator("#decisions")).to_contain_text("企业已确认")
        ent.screenshot(path=str(out / f"penalty-portal-{screen}.png"), full_page=True)
