"""Browser journey (Playwright + Debian's Chromium) at 390 px: an enterprise registers for
a session, checks in with the code, studies the law-study course, passes the randomised
exam, opens its certificate, then reads the policy handbook and the typical cases.
``LANTIAN_SCREENSHOT_DIR`` keeps the screenshots."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.web.conftest import seed
from tests.web.test_browser import LiveServer, _login
from tests.web.test_browser_sharing import VIEWPORTS, chromium

from lantian.assist.library import services as ls
from lantian.assist.training import services as ts
from lantian.assist.training.models import ExamAttempt
from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.settings import Settings
from lantian.timeutil import now_cst

pytestmark = pytest.mark.browser
SHOT_DIR = os.environ.get("LANTIAN_SCREENSHOT_DIR")
__all__ = ["chromium"]


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS["phone"]["width"], f"page is {width} px wide"


def test_enterprise_attends_and_passes_the_exam_on_a_phone(chromium: Any, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.ensure_home()
    seeded = seed(settings)
    with session_scope(settings) as db:
        officer = db.get(User, seeded.user_ids["lb_district"])
        assert officer is not None
        start = now_cst() + timedelta(minutes=20)
        s = ts.create_session(
            db,
            officer,
            title="大气法要点宣讲",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=30,
            hours=2,
            place="路北区生态环境分局三楼会议室",
        )
        code = s.checkin_code
        admin = db.get(User, seeded.user_ids["admin"])
        ls.save_policy(
            db,
            admin,
            title="关于推行学法减罚的实施意见",
            issuer="唐山市生态环境局",
            doc_number="唐环〔2026〕1号",
            tags=["学法减罚"],
            body="组织学习生态环境法律法规并考试。",
        )
        ls.save_case(
            db, admin, title="钢铁企业颗粒物超标典型案例", industry="steel", family="EXCEEDANCE",
            facts="某企业烧结机头颗粒物小时均值超标 2 倍，已责令整改并处罚款。",
        )  # fmt: skip
    out = Path(SHOT_DIR) if SHOT_DIR else tmp_path / "shots"
    out.mkdir(parents=True, exist_ok=True)
    with LiveServer(settings) as server:
        page = chromium.new_context(viewport=VIEWPORTS["phone"], locale="zh-CN").new_page()
        _login(page, server.url, "ent1")
        page.goto(f"{server.url}/portal/training")
        sess = page.locator("#sessions article").first
        expect(sess).to_contain_text("大气法要点宣讲")
        sess.get_by_role("button", name="报名").click()
        page.wait_for_url("**done=1**")
        sess = page.locator("#sessions article").first
        expect(sess).to_contain_text("已报名")
        sess.locator("input[name=code]").fill(code)
        sess.get_by_role("button", name="签到").click()
        page.wait_for_url("**done=1**")
        expect(page.locator("#sessions article").first).to_contain_text("已出勤")
        expect(page.locator("#certificates")).to_contain_text("累计培训学时: 2")
        _no_sideways_scroll(page)
        page.screenshot(path=str(out / "training-portal-phone.png"), full_page=True)
        page.locator("#courses a").first.click()
        expect(page.locator("h1")).to_contain_text("大气污染防治法")
        page.get_by_role("button", name="开始考试").click()
        expect(page.locator("#paper")).to_be_visible()
        attempt_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        with session_scope(settings) as db:
            a = db.get(ExamAttempt, attempt_id)
            assert a is not None
            bank = ts.bank_of(db, a.course_id)
            picks = [
                (q, [it["order"].index(i) for i in sorted(bank[q].answer)])
                for it in a.paper
                for q in [int(it["question_id"])]
            ]
        for qid, positions in picks:
            for pos in positions:
                page.locator(f"input[name=q{qid}][value='{pos}']").check()
        _no_sideways_scroll(page)
        page.screenshot(path=str(out / "training-exam-phone.png"), full_page=True)
        page.get_by_role("button", name="交卷").click()
        result = page.locator("#result")
        expect(result).to_contain_text("合格")
        expect(result).to_contain_text("培训〔")
        _no_sideways_scroll(page)
        page.screenshot(path=str(out / "training-result-phone.png"), full_page=False)
        status = page.evaluate(
            "fetch(document.querySelector('#result a.button').href).then(r => r.status)"
        )
        assert status == 200
        page.goto(f"{server.url}/library?tag=学法减罚")
        expect(page.locator("#policies")).to_contain_text("关于推行学法减罚的实施意见")
        page.goto(f"{server.url}/library?industry=steel")
        expect(page.locator("#cases")).to_contain_text("钢铁企业颗粒物超标典型案例")
        _no_sideways_scroll(page)
        page.screenshot(path=str(out / "library-phone.png"), full_page=True)
