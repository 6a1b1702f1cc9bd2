"""POST /api/cases/{id}/penalty-assessment, the decision, its PDF, the case page card."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.web.conftest import Seeded, bearer, login

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.enforcement.models import PenaltyAssessment
from lantian.timeutil import now_cst
from lantian.web.app import create_app
from lantian.workflow import service as ws

FACTS = {"violation": "AIR-EXCEED", "harm": "slight", "corrected_in_time": True}


def _confirmed_case(seeded: Seeded) -> int:
    with session_scope(seeded.settings) as db:
        admin = db.get(User, seeded.user_ids["admin"])
        assert admin is not None
        case = ws.dispatch(
            db,
            admin,
            [seeded.leads["E1"][0]],
            assignee_id=seeded.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=5),
        )[0]
        ws.share_case(db, admin, case.case_id)
        ws.start_check(db, admin, case.case_id, mode="remote")
        ws.record_remote_check(db, admin, case.case_id, notes="调阅在线数据")
        ws.judge(db, admin, case.case_id, confirmed=True, finding="二氧化硫超标排放")
        return case.case_id


def _count(seeded: Seeded) -> int:
    with session_scope(seeded.settings) as db:
        return int(db.scalar(select(func.count()).select_from(PenaltyAssessment)) or 0)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "d.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return "".join(out.stdout.split())


def test_api_assess_decide_pdf(seeded_sqlite: Seeded, tmp_path: Path) -> None:
    case_id = _confirmed_case(seeded_sqlite)
    app = create_app(seeded_sqlite.settings)
    with TestClient(app) as c:
        h = bearer(c, "lb_district")
        bad = c.post(
            f"/api/cases/{case_id}/penalty-assessment",
            headers=h,
            json={
                **FACTS,
                "harm": "serious",
                "first_offence": True,
                "claimed_outcome": "no_penalty",
            },
        )
        assert bad.status_code == 422, bad.text
        assert "claimed_outcome" in bad.text
        unknown = c.post(
            f"/api/cases/{case_id}/penalty-assessment",
            headers=h,
            json={**FACTS, "violation": "NOPE"},
        )
        assert unknown.status_code == 422 and "violation" in unknown.text
        assert _count(seeded_sqlite) == 0
        r = c.post(f"/api/cases/{case_id}/penalty-assessment", headers=h, json=FACTS)
        assert r.status_code == 200, r.text
        out = r.json()
        # E1 has no other confirmed case: first offence computed → 首违不罚 (可以)
        assert out["first_offence_computed"] and out["facts"]["first_offence"] is True
        assert (out["outcome"], out["discretionary"], out["amount"]) == ("no_penalty", True, None)
        assert {"clause", "fact", "met"} == set(out["reasons"][0])
        ent = bearer(c, "ent1")
        assert (
            c.post(f"/api/cases/{case_id}/penalty-assessment", headers=ent, json=FACTS).status_code
            == 403
        )
        got = c.get(f"/api/cases/{case_id}/penalty-assessment", headers=h).json()
        assert got["assessment"]["assessment_id"] == out["assessment_id"]
        assert got["decision"] is None
        assert c.get(f"/api/cases/{case_id}/penalty-decision.pdf", headers=h).status_code == 409
        no_edu = c.post(
            f"/api/penalty-assessments/{out['assessment_id']}/decision",
            headers=h,
            json={"accept": True},
        )
        assert no_edu.status_code == 422 and "education" in no_edu.text
        d = c.post(
            f"/api/penalty-assessments/{out['assessment_id']}/decision",
            headers=h,
            json={"accept": True, "education": "讲解大气污染防治法，企业承诺加强运维"},
        )
        assert d.status_code == 200, d.text
        dec = d.json()
        ack = c.post(f"/api/penalty-decisions/{dec['decision_id']}/acknowledge", headers=ent)
        assert ack.status_code == 200 and ack.json()["education_acknowledged_at"]
        credit = c.get("/api/enterprises/E1/credit", headers=ent).json()
        assert credit["points"] == 98 and credit["grade"] == "green"
        assert credit["events"][0]["kind"] == "decision"
        pdf = c.get(f"/api/cases/{case_id}/penalty-decision.pdf", headers=h)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = _pdf_text(pdf.content, tmp_path)
            assert "不予行政处罚决定书" in text
            assert "第三十三条" in text and "FO-01" in text
            assert "讲解大气污染防治法" in text and "企业已于" in text


def test_case_page_card_and_forms(seeded_sqlite: Seeded) -> None:
    case_id = _confirmed_case(seeded_sqlite)
    app = create_app(seeded_sqlite.settings)
    with TestClient(app) as c:
        csrf = login(c, "lb_district")
        page = c.get(f"/cases/{case_id}")
        assert f'hx-get="/cases/{case_id}/penalty"' in page.text
        card = c.get(f"/cases/{case_id}/penalty", headers={"HX-Request": "true"})
        assert card.status_code == 200 and "处罚裁量" in card.text
        assert "<html" not in card.text and 'id="penalty-assess"' in card.text
        r = c.post(
            f"/cases/{case_id}/penalty",
            data={
                "csrf_token": csrf,
                "violation": "AIR-EXCEED",
                "harm": "serious",
                "first_offence": "no",
                "aggravating": ["A-OBSTRUCT"],
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        full = c.get(f"/cases/{case_id}/penalty")
        assert "<html" in full.text and "从重处罚" in full.text
        assert "A-OBSTRUCT" in full.text and 'id="penalty-reasons"' in full.text
        bad = c.post(
            f"/cases/{case_id}/penalty/decision",
            data={"csrf_token": csrf, "accept": "no", "outcome": "lighter", "amount": "5"},
            follow_redirects=False,
        )
        assert bad.status_code == 422
        ok = c.post(
            f"/cases/{case_id}/penalty/decision",
            data={
                "csrf_token": csrf,
                "accept": "no",
                "outcome": "standard",
                "amount": "400000",
                "reason": "情节一般",
            },
            follow_redirects=False,
        )
        assert ok.status_code == 303
        after = c.get(f"/cases/{case_id}/penalty").text
        assert 'id="penalty-decision"' in after and "400,000" in after and "情节一般" in after


@pytest.mark.parametrize("lang", ["en"])
def test_card_in_english(seeded_sqlite: Seeded, lang: str) -> None:
    case_id = _confirmed_case(seeded_sqlite)
    app = create_app(seeded_sqlite.settings)
    with TestClient(app) as c:
        login(c, "lb_district")
        text = c.get(f"/cases/{case_id}/penalty?lang={lang}").text
        assert "Penalty assessment" in text and "Mitigating circumstances" in text


def test_portal_education_apology_and_statistics(seeded_sqlite: Seeded) -> None:
    case_id = _confirmed_case(seeded_sqlite)
    app = create_app(seeded_sqlite.settings)
    with TestClient(app) as off, TestClient(app) as ent:
        h = bearer(off, "lb_district")
        a = off.post(f"/api/cases/{case_id}/penalty-assessment", headers=h, json=FACTS).json()
        off.post(
            f"/api/penalty-assessments/{a['assessment_id']}/decision",
            headers=h,
            json={"accept": True, "education": "讲解排污许可管理条例"},
        )
        csrf = login(ent, "ent1")
        page = ent.get("/portal/penalties")
        assert page.status_code == 200 and "讲解排污许可管理条例" in page.text
        assert "确认已接受教育" in page.text
        r = ent.post(
            page.text.split('action="/portal/penalties/')[1]
            .split('"')[0]
            .join(["/portal/penalties/", ""]),
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert "确认已接受教育" not in ent.get("/portal/penalties").text
        short = ent.post(
            f"/cases/{case_id}/apology",
            data={"csrf_token": csrf, "text": "抱歉"},
            follow_redirects=False,
        )
        assert short.status_code == 422
        ok = ent.post(
            f"/cases/{case_id}/apology",
            data={"csrf_token": csrf, "text": "我公司郑重道歉，承诺今后严格遵守大气污染防治法。"},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        card = off.get(f"/api/cases/{case_id}/penalty-assessment", headers=h)
        assert card.status_code == 200
        stats = off.get("/api/penalty-statistics", headers=h).json()
        assert stats["decisions"] == 1 and stats["first_offence_share"] == 1.0
        other = bearer(off, "sjz_city")
        assert off.get("/api/penalty-statistics", headers=other).json()["decisions"] == 0


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")
def test_rectification_notice_has_leniency_wording_only_after_a_no_penalty_assessment(
    seeded_sqlite: Seeded, tmp_path: Path
) -> None:
    case_id = _confirmed_case(seeded_sqlite)
    with session_scope(seeded_sqlite.settings) as db:
        admin = db.get(User, seeded_sqlite.user_ids["admin"])
        assert admin is not None
        ws.choose_fix_path(db, admin, case_id, "immediate_fix")
    app = create_app(seeded_sqlite.settings)
    url = f"/api/cases/{case_id}/documents/rectification_notice.pdf"
    with TestClient(app) as c:
        h = bearer(c, "lb_district")
        before = c.get(url, headers=h)
        assert before.status_code == 200, before.text
        text = _pdf_text(before.content, tmp_path)
        assert "整改通知书" in text and "不予行政处罚" not in text
        r = c.post(f"/api/cases/{case_id}/penalty-assessment", headers=h, json=FACTS)
        assert r.status_code == 200 and r.json()["outcome"] == "no_penalty", r.text
        after = _pdf_text(c.get(url, headers=h).content, tmp_path)
        assert "不予行政处罚" in after or "首违不罚" in after, after
