"""Browser test (Playwright + Debian's Chromium) at 390 px: the enterprise opens its 隐患提示函
from the portal, replies with a photo, and the page shows the reply and its file; nothing
overflows the phone's width. ``LANTIAN_SCREENSHOT_DIR`` keeps the screenshots."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.web.conftest import seed
from tests.web.test_browser import LiveServer, _login
from tests.web.test_browser_sharing import chromium

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.settings import Settings
from lantian.supervision.hazards import services as hs

pytestmark = pytest.mark.browser
SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
__all__ = ["chromium"]


def test_enterprise_replies_on_a_phone(chromium: Any, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.ensure_home()
    seeded = seed(settings)
    with session_scope(settings) as db:
        officer = db.get(User, seeded.user_ids["lb_district"])
        assert officer is not None
        item = {
            "problem": "原料堆场部分区域未苫盖，大风天气易产生扬尘",
            "basis": "《中华人民共和国大气污染防治法》第七十二条",
            "measure": "对堆场全面苫盖并定期洒水，建立巡查台账",
        }
        notice_id = hs.issue_hazard_notice(
            db,
            officer,
            "E1",
            title="原料堆场扬尘隐患",
            items=[item, {**item, "problem": "厂区道路积尘"}],
        ).notice_id
    photo = tmp_path / "苫盖后.png"
    photo.write_bytes(PNG)
    out = Path(SHOT_DIR) if SHOT_DIR else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    with LiveServer(settings) as server:
        ctx = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = ctx.new_page()
        _login(page, server.url, "ent1")
        page.goto(f"{server.url}/portal/hazard-notices")
        page.locator(f"#hazard-{notice_id} a.button").click()
        page.wait_for_url(f"**/hazard-notices/{notice_id}")
        expect(page.locator("#hazard-items")).to_contain_text("厂区道路积尘")
        form = page.locator("#reply-form")
        form.locator("textarea[name=reply_text]").fill("已对堆场全面苫盖，道路每日清扫洒水。")
        form.locator("input[type=file]").set_input_files(str(photo))
        page.screenshot(path=str(out / "hazard-reply-390-form.png"), full_page=True)
        form.locator("button[type=submit]").click()
        page.wait_for_url("**done=replied**")
        expect(page.locator("#hazard-reply")).to_contain_text("道路每日清扫洒水")
        expect(page.locator("#hazard-reply")).to_contain_text("苫盖后.png")
        expect(page.locator("#hazard-summary")).to_contain_text("已回复")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"page is {width} px wide at 390 px"
        page.screenshot(path=str(out / "hazard-reply-390.png"), full_page=True)
        ctx.close()
