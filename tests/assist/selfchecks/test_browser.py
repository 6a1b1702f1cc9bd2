"""Playwright journey at 390 px: an enterprise receives a 预告知, fills its self-check on the
phone with a photo (save, resume, submit), and an officer reviews it. Screenshots go to
``LANTIAN_SCREENSHOT_DIR`` when set (else a temporary directory)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from tests.web.conftest import seed
from tests.web.test_browser import LiveServer, _login, launch_chromium

from lantian.assist.selfchecks.models import AssistFile, SelfCheck
from lantian.assist.selfchecks.services import ensure_selfcheck_templates
from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.settings import Settings
from lantian.timeutil import now_cst
from lantian.workflow import service as ws

pytestmark = pytest.mark.browser
SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")  # read at import: tests clear LANTIAN_*


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Any, Settings]]:
    settings = Settings(home=tmp_path_factory.mktemp("selfcheck-browser"))
    settings.ensure_home()
    seeded = seed(settings)
    with session_scope(settings) as db:
        ensure_selfcheck_templates(db)
        officer = db.get(User, seeded.user_ids["ts_city"])
        assert officer is not None
        ws.issue_notice(
            db,
            officer,
            "pre_notification",
            "E1",
            title="行政检查预告知（2026-12 双随机抽查）",
            body="我局定于两周后对贵单位开展现场检查，请对照所附自查表开展自查。",
            inspection_at=now_cst() + timedelta(days=14),
            template_id="selfcheck-steel-v1",
        )
    with LiveServer(settings) as server:
        yield server, seeded, settings


def _photo(path: Path) -> Path:
    im = Image.new("RGB", (64, 48), (40, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneCam"
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def test_enterprise_fills_its_self_check_on_a_phone(
    browser: Any, live: tuple[LiveServer, Any, Settings], tmp_path: Path
) -> None:
    server, _seeded, settings = live
    shots = Path(SHOT_DIR or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = ctx.new_page()
    _login(page, server.url, "ent1")
    page.goto(f"{server.url}/portal")
    page.get_by_role("button", name="按本告知填写自查表").first.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text("钢铁企业大气污染防治自查表")
    items = page.locator("li.sc-item")
    n = items.count()
    assert n > 10
    page.screenshot(path=str(shots / "selfcheck-fill-390.png"))
    # answer the first half, a 不符合 with a fix date and a photo; save the draft
    ids = [items.nth(i).get_attribute("id")[5:] for i in range(n)]  # type: ignore[index]
    for item_id in ids[: n // 2]:
        page.locator(f"li#item-{item_id} label:has(input[value=yes])").click()
    bad = ids[1]
    page.locator(f"li#item-{bad} label:has(input[value=no])").click()
    page.fill(f"textarea[name=note_{bad}]", "料棚东侧未封闭")
    page.fill(f"input[name=fix_by_{bad}]", (now_cst() + timedelta(days=20)).date().isoformat())
    page.set_input_files(f"input[name=photo_{bad}]", str(_photo(tmp_path / "p.jpg")))
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status")).to_contain_text("已保存")
    expect(page.locator(f"li#item-{bad} img.sc-thumb")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # resume from the list: the answers are kept
    page.goto(f"{server.url}/portal/self-checks")
    page.get_by_role("link", name="继续填写").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(f"input[name=answer_{bad}][value=no]")).to_be_checked()
    # submitting with items left unanswered is refused, input kept
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("alert")).to_contain_text("未作答")
    expect(page.locator(f"input[name=answer_{bad}][value=no]")).to_be_checked()
    for item_id in ids[n // 2 :]:
        page.locator(f"li#item-{item_id} label:has(input[value=yes])").click()
    page.screenshot(path=str(shots / "selfcheck-answered-390.png"), full_page=True)
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status")).to_contain_text("已提交")
    expect(page.locator("body")).to_contain_text("料棚东侧未封闭")
    expect(page.locator("body")).to_contain_text("待整改")
    page.screenshot(path=str(shots / "selfcheck-submitted-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()
    with session_scope(settings) as db:
        sc = db.query(SelfCheck).one()
        assert (sc.status, sc.origin, sc.notice_id is not None) == ("submitted", "requested", True)
        photo = db.query(AssistFile).one()
        stored = (settings.uploads_dir / photo.stored_path).read_bytes()
        assert b"PhoneCam" not in stored
    # the officer reviews it (desktop)
    octx = browser.new_context(viewport={"width": 1280, "height": 900})
    op = octx.new_page()
    _login(op, server.url, "ts_city")
    op.goto(f"{server.url}/self-checks")
    expect(op.locator("table.list")).to_contain_text("冀东钢铁")
    op.locator("table.list a.button").first.click()
    op.wait_for_load_state("networkidle")
    op.get_by_role("button", name="标记为已审阅").click()
    op.wait_for_load_state("networkidle")
    expect(op.locator(".pagehead")).to_contain_text("已审阅")
    op.screenshot(path=str(shots / "selfcheck-review-desktop.png"), full_page=True)
    octx.close()
