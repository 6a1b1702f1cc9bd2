"""Training, law study and library pages on one seeded app for the module (SQLite):
an enterprise votes, registers, checks in, passes the exam and gets its certificate;
officers see their jurisdiction's registrations only; the library searches and refuses
a typical case that still names the enterprise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import login, module_home

from lantian.assist.training import services as ts
from lantian.assist.training.models import ExamAttempt, TrainingSession
from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.settings import get_settings
from lantian.timeutil import now_cst


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from tests.web.conftest import seed

    from lantian.web.app import create_app

    with module_home(tmp_path_factory.mktemp("training-home")) as settings:
        seeded = seed(settings)
        with session_scope(settings) as db:
            officer = db.get(User, seeded.user_ids["lb_district"])
            assert officer is not None
            start = now_cst() + timedelta(minutes=30)
            s = ts.create_session(
                db,
                officer,
                title="大气法与排污许可解读",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                capacity=20,
                hours=2,
                place="路北区生态环境分局",
            )
            sid, code = s.session_id, s.checkin_code
            case_id = _assessed_case(db, seeded.user_ids)
        app = create_app(settings)
        yield {"app": app, "settings": settings, "session": sid, "code": code, "case": case_id}


def _assessed_case(db: Any, user_ids: dict[str, int]) -> int:
    """A confirmed case of E1 shared with it, assessed with a fine of 500,000 yuan."""
    from lantian.enforcement import services as es
    from lantian.workflow import service as ws

    admin = db.get(User, user_ids["admin"])
    case = ws.dispatch(
        db, admin, ["LE1-2"], assignee_id=user_ids["lb_district"],
        deadline=now_cst() + timedelta(days=5),
    )[0]  # fmt: skip
    ws.share_case(db, admin, case.case_id)
    ws.start_check(db, admin, case.case_id, mode="remote")
    ws.record_remote_check(db, admin, case.case_id, notes="调阅在线数据")
    ws.judge(db, admin, case.case_id, confirmed=True, finding="超标排放")
    facts = {"violation": "AIR-EXCEED", "harm": "slight", "corrected_in_time": True}
    es.assess_case(db, admin, case.case_id, {**facts, "first_offence": False, "amount": 500000})
    return int(case.case_id)


@pytest.fixture(autouse=True)
def _keep_home(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANTIAN_HOME", str(world["settings"].home))
    get_settings.cache_clear()


def _client(world: dict[str, Any], username: str) -> tuple[TestClient, str]:
    c = TestClient(world["app"])
    return c, login(c, username)


def test_enterprise_votes_registers_checks_in_and_passes_the_exam(world: dict[str, Any]) -> None:
    c, csrf = _client(world, "ent1")
    with c:
        page = c.get("/portal/training")
        assert (
            page.status_code == 200
            and "培训与学法" in page.text
            and "大气法与排污许可解读" in page.text
        )
        assert_clean_zh(html_text(page.text), where="/portal/training")
        r = c.post("/training/topics", data={"title": "VOCs 治理设施运维", "csrf_token": csrf})
        assert r.status_code == 200 and "已投票" in r.text  # followed to the portal
        sid = world["session"]
        c.post(f"/portal/training/sessions/{sid}/register", data={"csrf_token": csrf})
        bad = c.post(
            f"/portal/training/sessions/{sid}/check-in", data={"code": "x", "csrf_token": csrf}
        )
        assert bad.status_code == 422 and "签到码不正确" in bad.text
        ok = c.post(
            f"/portal/training/sessions/{sid}/check-in",
            data={"code": world["code"], "csrf_token": csrf},
        )
        assert ok.status_code == 200 and "已出勤" in ok.text
        course = re.search(r'href="/portal/training/courses/(\d+)"', ok.text)
        assert course is not None
        cpage = c.get(f"/portal/training/courses/{course.group(1)}")
        assert "大气污染防治法" in cpage.text and "开始考试" in cpage.text
        r = c.post(f"/portal/training/courses/{course.group(1)}/exam", data={"csrf_token": csrf})
        assert r.status_code == 200 and 'id="paper"' in r.text
        assert_clean_zh(html_text(r.text), where="exam paper")
        aid = int(str(r.url).rstrip("/").rsplit("/", 1)[1])
        with session_scope(world["settings"]) as db:
            a = db.get(ExamAttempt, aid)
            assert a is not None
            bank = ts.bank_of(db, a.course_id)
            data: dict[str, Any] = {"csrf_token": csrf}
            for item in a.paper:
                q = bank[item["question_id"]]
                data[f"q{q.question_id}"] = [str(item["order"].index(i)) for i in sorted(q.answer)]
        res = c.post(f"/portal/training/exams/{aid}", data=data)
        assert res.status_code == 200 and "合格" in res.text and "培训〔" in res.text
        assert_clean_zh(html_text(res.text), where="exam result")
        cert = re.search(r'href="(/training/certificates/\d+\.pdf)"', res.text)
        assert cert is not None
        pdf = c.get(cert.group(1))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        again = c.post(
            f"/portal/training/courses/{course.group(1)}/exam", data={"csrf_token": csrf}
        )
        assert again.status_code == 409 and "已通过考试" in again.text
    other, _csrf = _client(world, "ent2")
    with other:
        assert other.get(f"/portal/training/exams/{aid}").status_code == 404
        assert other.get(cert.group(1)).status_code == 404


def test_officers_see_registrations_of_their_jurisdiction_only(world: dict[str, Any]) -> None:
    with session_scope(world["settings"]) as db:
        s = db.get(TrainingSession, world["session"])
        assert s is not None
    c, _csrf = _client(world, "lb_district")
    with c:
        index = c.get("/training")
        assert index.status_code == 200 and "培训计划" in index.text
        assert_clean_zh(html_text(index.text), allow=["lb_district"], where="/training")
        page = c.get(f"/training/sessions/{world['session']}")
        assert world["code"] in page.text
    far, _csrf = _client(world, "sjz_city")
    with far:
        page = far.get(f"/training/sessions/{world['session']}")
        assert page.status_code == 200 and "冀东钢铁" not in page.text
    ent, _csrf = _client(world, "ent1")
    with ent:
        assert ent.get("/training").status_code == 403


def test_library_policies_search_and_anonymised_cases(world: dict[str, Any]) -> None:
    c, csrf = _client(world, "ts_city")
    with c:
        form = c.get("/library/new")
        assert form.status_code == 200 and "由已办结案件生成草稿" in form.text
        assert_clean_zh(html_text(form.text), allow=["ts_city"], where="/library/new")
        r = c.post(
            "/library/policies",
            data={
                "csrf_token": csrf,
                "title": "关于推行学法减罚的实施意见",
                "issuer": "唐山市生态环境局",
                "doc_number": "唐环〔2026〕1号",
                "tags": "学法减罚，行政处罚",
                "effective_from": "2026-01-01",
                "body": "对初次违法且危害后果轻微的企业，组织学习生态环境法律法规并考试。",
            },
        )
        assert r.status_code == 200 and "现行有效" in r.text
        leak = c.post(
            "/library/cases",
            data={
                "csrf_token": csrf,
                "title": "钢铁企业超标案例",
                "facts": "冀东钢铁有限公司 1 号排口颗粒物超标",
            },
        )
        assert leak.status_code == 422 and "冀东钢铁" in leak.text  # names a registered enterprise
        bad = c.post(
            "/library/cases",
            data={
                "csrf_token": csrf,
                "title": "案例",
                "facts": "联系人电话 13812345678 颗粒物超标",
            },
        )
        assert bad.status_code == 422 and "可识别信息" in bad.text
        ok = c.post(
            "/library/cases",
            data={
                "csrf_token": csrf,
                "title": "钢铁企业颗粒物超标",
                "facts": "某企业 1 号排口颗粒物小时均值超标 2 倍",
                "industry": "steel",
                "family": "EXCEEDANCE",
            },
        )
        assert ok.status_code == 200 and "某企业" in ok.text
    ent, _csrf = _client(world, "ent2")
    with ent:
        found = ent.get("/library", params={"tag": "学法减罚"})
        assert "关于推行学法减罚的实施意见" in found.text
        assert_clean_zh(html_text(found.text), where="/library")
        assert "钢铁企业颗粒物超标" in ent.get("/library", params={"industry": "steel"}).text
        assert "钢铁企业颗粒物超标" not in ent.get("/library", params={"industry": "cement"}).text
        assert "关于推行" not in ent.get("/library", params={"q": "无此文件"}).text


def test_api_exam_refuses_a_forbidden_retake_and_lists_the_library(world: dict[str, Any]) -> None:
    from tests.web.conftest import bearer

    with TestClient(world["app"]) as c:
        h = bearer(c, "ent2")
        courses = c.get("/api/training/courses", headers=h).json()
        law = next(x for x in courses if x["law_study"])
        r = c.post(f"/api/training/courses/{law['course_id']}/attempts", json={}, headers=h)
        assert r.status_code == 201, r.text
        body = r.json()
        assert len(body["paper"]) == law["paper_size"] and "answer" not in body["paper"][0]
        bad = c.post(
            f"/api/training/attempts/{body['attempt_id']}/answers",
            json={"answers": {"999999": [0]}},
            headers=h,
        )
        assert bad.status_code == 422
        wrong = c.post(
            f"/api/training/attempts/{body['attempt_id']}/answers", json={"answers": {}}, headers=h
        ).json()
        assert wrong["passed"] is False and wrong["score_pct"] == 0.0
        assert wrong["certificate_number"] is None and len(wrong["wrong"]) == law["paper_size"]
        again = c.post(f"/api/training/courses/{law['course_id']}/attempts", json={}, headers=h)
        assert again.status_code == 409 and "24 小时" in again.json()["message"]
        officer = bearer(c, "ts_city")
        refused = c.post(
            f"/api/training/courses/{law['course_id']}/attempts", json={}, headers=officer
        )
        assert refused.status_code == 403
        assert isinstance(c.get("/api/library/policies", headers=h).json(), list)
        assert c.get("/api/library/cases?industry=steel", headers=h).status_code == 200


def test_law_study_in_the_portal_reduces_the_proposed_fine(world: dict[str, Any]) -> None:
    case_id = world["case"]
    c, csrf = _client(world, "ent1")
    with c:
        page = c.get("/portal/training")
        link = re.search(rf'href="(/portal/training/courses/\d+\?case_id={case_id})"', page.text)
        assert link is not None and "学法减罚" in page.text
        course = c.get(link.group(1))
        assert f"本次考试计为案件 #{case_id}" in course.text
        course_id = link.group(1).split("/")[-1].split("?")[0]
        r = c.post(
            f"/portal/training/courses/{course_id}/exam",
            data={"csrf_token": csrf, "case_id": str(case_id)},
        )
        aid = int(str(r.url).rstrip("/").rsplit("/", 1)[1])
        with session_scope(world["settings"]) as db:
            a = db.get(ExamAttempt, aid)
            assert a is not None and a.case_id == case_id
            bank = ts.bank_of(db, a.course_id)
            data: dict[str, Any] = {"csrf_token": csrf}
            for item in a.paper:
                q = bank[item["question_id"]]
                data[f"q{q.question_id}"] = [str(item["order"].index(i)) for i in sorted(q.answer)]
        res = c.post(f"/portal/training/exams/{aid}", data=data)
        assert f"已记为案件 #{case_id} 的学法减罚" in res.text
        assert "已通过：减罚已记入处罚裁量" in c.get("/portal/training").text
    from tests.web.conftest import bearer

    with TestClient(world["app"]) as api:
        got = api.get(
            f"/api/cases/{case_id}/penalty-assessment", headers=bearer(api, "lb_district")
        ).json()
    assert got["assessment"]["amount"] == 400000
    assert got["assessment"]["facts"]["law_study_passed"] is True


def test_officer_attaches_a_pdf_material_and_non_pdf_is_refused(world: dict[str, Any]) -> None:
    with session_scope(world["settings"]) as db:
        course_id = ts.law_study_course(db).course_id
    c, csrf = _client(world, "ts_city")
    with c:
        url = f"/training/courses/{course_id}/materials"
        png = c.post(
            url,
            data={"csrf_token": csrf, "title": "图片"},
            files={"file": ("a.png", b"\x89PNG\r\n\x1a\n" + bytes(16), "image/png")},
        )
        assert png.status_code == 422 and "PDF" in png.text
        fake = c.post(
            url,
            data={"csrf_token": csrf, "title": "伪装"},
            files={"file": ("a.pdf", b"MZ not a pdf", "application/pdf")},
        )
        assert fake.status_code == 422
        ok = c.post(
            url,
            data={"csrf_token": csrf, "title": "大气法全文"},
            files={"file": ("law.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        )
        assert ok.status_code == 200
    ent, _csrf = _client(world, "ent2")
    with ent:
        page = ent.get(f"/portal/training/courses/{course_id}")
        link = re.search(r'href="(/training/materials/\d+\.pdf)"', page.text)
        assert link is not None and "大气法全文" in page.text
        pdf = ent.get(link.group(1))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
