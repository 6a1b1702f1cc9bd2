"""Browser journey at 390 px (Playwright + Debian's Chromium): an enterprise asks a
question with a photo, a district officer claims and answers it within the target, the
enterprise rates the answer and answers a survey anonymously, and the month's score of
the officer's team counts both.
``LANTIAN_SCREENSHOT_DIR`` keeps the screenshots."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from tests.web.conftest import seed
from tests.web.test_browser import LiveServer, _login, launch_chromium

from lantian.assist.questions.models import Question, QuestionPhoto
from lantian.assist.surveys.models import SurveyResponse
from lantian.assist.surveys.services import invite
from lantian.db.session import session_scope
from lantian.settings import Settings
from lantian.timeutil import now_cst

pytestmark = pytest.mark.browser

SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")
PHONE = {"width": 390, "height": 844}


def _png() -> bytes:
    """A real 8x8 PNG with a text chunk (stripped on upload)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\x20\x60\xc0" * 8 for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"tEXt", b"GPS\x0039.63,118.18")
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from launch_chromium()


def test_ask_claim_answer_rate_and_score_at_390px(chromium: Any, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.ensure_home()
    seeded = seed(settings)
    with session_scope(settings) as db:  # a service visit done by the district officer
        inv = invite(db, "E1", "visit", "V-1", [seeded.user_ids["lb_district"]])
        assert inv is not None
    out = Path(SHOT_DIR) if SHOT_DIR else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    photo = tmp_path / "脱硫塔.png"
    photo.write_bytes(_png())
    text = "脱硫塔检修期间在线监测数据如何标记？"
    with LiveServer(settings) as server:
        ent = chromium.new_context(viewport=PHONE, locale="zh-CN")
        page = ent.new_page()
        _login(page, server.url, "ent1")
        page.goto(f"{server.url}/questions")
        page.fill("#ask-form textarea[name=text]", text)
        page.set_input_files("#ask-form input[name=photos]", str(photo))
        page.screenshot(path=str(out / "consultation-1-ask-390.png"), full_page=True)
        page.click("#ask-form button[type=submit]")
        page.wait_for_url("**/questions/*?done=asked")
        expect(page.locator(".alert.ok")).to_contain_text("咨询已提交")
        expect(page.locator(".thumbs img")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        qid = int(page.url.split("/questions/")[1].split("?")[0])
        page.screenshot(path=str(out / "consultation-2-asked-390.png"), full_page=True)

        off = chromium.new_context(viewport=PHONE, locale="zh-CN")
        op = off.new_page()
        _login(op, server.url, "lb_district")
        op.goto(f"{server.url}/questions?queue=unclaimed")
        expect(op.get_by_text(text[:20])).to_be_visible()
        op.screenshot(path=str(out / "consultation-3-queue-390.png"), full_page=True)
        op.locator(f"form[action='/questions/{qid}/claim'] button").click()
        op.wait_for_url(f"**/questions/{qid}?done=claimed")
        expect(op.locator("dl.kv")).to_contain_text("lb_district 用户")
        op.fill("#answer-form textarea[name=text]", "检修期间按规定标记“维护”并提前报备。")
        op.click("#answer-form button[type=submit]")
        op.wait_for_url(f"**/questions/{qid}?done=answered")
        expect(op.locator("dl.kv")).to_contain_text("已答复")
        expect(op.locator("dl.kv")).to_contain_text("按时")
        op.screenshot(path=str(out / "consultation-4-answered-390.png"), full_page=True)

        page.goto(f"{server.url}/questions/{qid}")
        page.locator("#rate-form input[name=rating][value='5']").check()
        page.fill("#rate-form textarea[name=comment]", "答复及时清楚")
        page.click("#rate-form button[type=submit]")
        page.wait_for_url(f"**/questions/{qid}?done=rated")
        expect(page.locator("body")).to_contain_text("5/5")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(out / "consultation-5-rated-390.png"), full_page=True)

        page.goto(f"{server.url}/surveys")
        page.get_by_role("link", name="填写问卷").click()
        for name in ("overall", "attitude", "timeliness", "helpfulness"):
            page.locator(f"input[name={name}][value='4']").check()
        page.locator("input[name=anonymous]").check()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(out / "consultation-6-survey-390.png"), full_page=True)
        page.locator("#survey-form button[type=submit]").click()
        page.wait_for_url("**/surveys?done=1")
        expect(page.locator(".alert.ok")).to_contain_text("答卷已提交")

        op.goto(f"{server.url}/scores?period={now_cst():%Y-%m}")
        row = op.locator("tr.term-questions_on_time").first
        expect(row).to_contain_text("按时答复咨询")
        expect(row.locator("td").nth(2)).to_have_text("1")
        survey = op.locator("tr.term-survey_results").first
        expect(survey.locator("td").nth(2)).to_have_text("4")
        op.screenshot(path=str(out / "consultation-7-scores-390.png"), full_page=True)
        ent.close()
        off.close()
    with session_scope(settings) as db:
        q = db.get(Question, qid)
        assert q is not None and q.rating == 5 and q.answered_at is not None
        assert q.answered_at <= q.due_at
        p = db.scalar(select(QuestionPhoto).where(QuestionPhoto.question_id == qid))
        assert p is not None
        stored = (settings.uploads_dir / p.path).read_bytes()
        assert b"GPS" not in stored and stored.startswith(b"\x89PNG")
        r = db.scalar(select(SurveyResponse))
        assert r is not None and r.anonymous and r.enterprise_id is None and r.overall == 4.0
