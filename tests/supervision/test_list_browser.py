"""Browser journey at 390 px (Playwright + Debian's Chromium): the enterprise applies for
创A升B in the portal; the city officer opens the 正面清单 page, runs the review and accepts a
proposal; both pages fit the phone width. Screenshots go to ``LANTIAN_SCREENSHOT_DIR`` when
set (looked at by the developer)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.web.conftest import seed
from tests.web.test_browser import LiveServer, _login, launch_chromium

from lantian.settings import Settings

pytestmark = pytest.mark.browser
SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")  # read before fixtures clear LANTIAN_*


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"page is {width} px wide at 390 px"


def _shot(page: Any, name: str) -> None:
    if SHOT_DIR:
        page.screenshot(path=str(Path(SHOT_DIR) / name), full_page=True)


def test_apply_and_review_at_390_px(chromium: Any, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.ensure_home()
    seed(settings)
    with LiveServer(settings) as server:
        ctx = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = ctx.new_page()
        _login(page, server.url, "ent1")
        page.goto(f"{server.url}/portal/grades")
        form = page.locator("#apply-form")
        form.locator("select[name=target_grade]").select_option("A")
        form.locator("textarea[name=statement]").fill("已完成超低排放改造，在线监测稳定达标")
        form.locator("button[type=submit]").click()
        expect(page.locator(".alert.ok")).to_contain_text("申请已提交", timeout=10_000)
        expect(page.locator("main details summary").first).to_contain_text("已提交")
        _fits(page)
        _shot(page, "portal-grades-390.png")
        ctx.close()

        ctx = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = ctx.new_page()
        _login(page, server.url, "ts_city")
        page.goto(f"{server.url}/positive-list")
        expect(page.locator("h1")).to_have_text("正面清单")
        page.locator("button", has_text="立即进行定期评估").click()
        expect(page.locator(".alert.ok")).to_contain_text("新增建议", timeout=10_000)
        item = page.locator("li.proposal", has_text="唐山印刷厂")
        item.locator("button[value=accept]").click()
        expect(page.locator(".alert.ok")).to_be_visible(timeout=10_000)
        expect(page.locator("section", has_text="决定记录")).to_contain_text("定期评估")
        _fits(page)
        _shot(page, "positive-list-390.png")
        ctx.close()
