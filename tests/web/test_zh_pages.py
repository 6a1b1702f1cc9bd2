"""Each lead family's page reads as Chinese: labelled evidence with units and names, the
rule described in Chinese, the subject by name; no raw key, repr, factor code or English.

The evidence comes from real fixture leads of every rule (tests/rules/evidence_samples.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.rules.evidence_samples import samples
from tests.supervision.visit_helpers import approve_onsite
from tests.web.conftest import USERS, Seeded

from lantian.db.session import session_scope
from lantian.leads.models import Lead
from lantian.rules import catalog

Login = Callable[[str], tuple[TestClient, str]]
SUBJECTS = {"outlet": ("E1", "E1-O1"), "station": (None, "S1")}
"""Seeded subjects the sample leads are moved onto (names 1号排口, 路北站)."""
ALLOW = [
    "Lantian",
    *(f"{username} 用户" for username, _role, _scope in USERS),
    *(f"({username})" for username, _role, _scope in USERS),
]
"""The seeded users' display names are their (ASCII) user names."""


def add_sample_leads(seeded: Seeded) -> dict[str, str]:
    """One stored lead per rule with its real fixture evidence; rule → lead id."""
    out: dict[str, str] = {}
    with session_scope(seeded.settings) as db:
        for code, records in samples().items():
            rec = records[0]
            enterprise_id, subject_id = SUBJECTS.get(rec.subject_type, ("E1", rec.subject_id))
            lid = f"ZH-{code}"
            db.add(
                Lead(
                    lead_id=lid,
                    rule=code,
                    family=rec.family,
                    enterprise_id=enterprise_id,
                    subject_type=rec.subject_type,
                    subject_id=subject_id,
                    pollutant=rec.pollutant,
                    start=datetime.fromisoformat(rec.start),
                    end=datetime.fromisoformat(rec.end),
                    severity=rec.severity,
                    score=rec.score,
                    summary=rec.summary,
                    evidence=rec.evidence,
                    open=False,
                    detected_at=datetime.fromisoformat(rec.end),
                    updated_at=datetime.fromisoformat(rec.end),
                )
            )
            out[code] = lid
    return out


def test_every_lead_family_page_reads_as_chinese(seeded_sqlite: Seeded, login_as: Login) -> None:
    ids = add_sample_leads(seeded_sqlite)
    assert set(catalog.all_rules()) <= set(ids)
    families = {catalog.get_rule(code).family for code in ids}
    assert families == {r.family for r in catalog.all_rules().values()}
    client, _csrf = login_as("admin")
    for code, lid in ids.items():
        r = client.get(f"/leads/{lid}")
        assert r.status_code == 200, (code, r.status_code)
        text = html_text(r.text)
        assert_clean_zh(text, allow=ALLOW, where=f"/leads/{lid} ({code})")
        rule = catalog.get_rule(code)
        assert rule.description_zh in text and rule.title_zh in text
        assert "判定参数" in text and "时段" in text
    page = html_text(client.get(f"/leads/{ids['CEMS-EXCEED']}").text)
    assert "1号排口 (E1-O1)" in page
    assert "mg/m³" in page and "倍" in page


def test_lead_page_in_english_shows_english_labels(seeded_sqlite: Seeded, login_as: Login) -> None:
    ids = add_sample_leads(seeded_sqlite)
    client, _csrf = login_as("admin")
    page = html_text(client.get(f"/leads/{ids['CEMS-EXCEED']}?lang=en").text)
    assert "Peak corrected concentration" in page and "Rule parameters" in page
    assert catalog.get_rule("CEMS-EXCEED").description_en in page


@pytest.mark.parametrize("lang", ["zh_CN"])
def test_seeded_lead_pages_have_no_raw_keys(
    seeded_sqlite: Seeded, login_as: Login, lang: str
) -> None:
    client, _csrf = login_as("admin")
    for lid in [*seeded_sqlite.leads["E1"], *seeded_sqlite.leads["S1"]]:
        text = html_text(client.get(f"/leads/{lid}").text)
        assert_clean_zh(text, allow=ALLOW, where=lid)


def test_case_timeline_and_check_answers_read_as_chinese(
    seeded_sqlite: Seeded, login_as: Login
) -> None:
    from datetime import timedelta

    from lantian.auth.models import User
    from lantian.timeutil import now_cst
    from lantian.workflow import service as ws

    with session_scope(seeded_sqlite.settings) as db:
        admin = db.get(User, seeded_sqlite.user_ids["admin"])
        assert admin is not None
        case = ws.dispatch(
            db,
            admin,
            [seeded_sqlite.leads["E1"][0]],
            assignee_id=seeded_sqlite.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=3),
        )[0]
        ws.start_check(db, admin, case.case_id, mode="onsite")
        approve_onsite(db, case.case_id)
        ws.record_check(
            db,
            admin,
            case.case_id,
            kind="onsite",
            notes="现场检查",
            template_id="steel-onsite-v1",
            answers={"CEMS-1": {"result": "ok"}, "CEMS-2": {"result": "problem", "note": "缺记录"}},
        )
        case_id = case.case_id
    client, _csrf = login_as("admin")
    text = html_text(client.get(f"/cases/{case_id}").text)
    assert "自动监测设备正常运行，数据实时传输，无长时间缺失：正常" in text
    assert "：有问题 — 缺记录" in text
    assert "记录核查" in text and "交办" in text
    for leak in ("record check", "CEMS-1: ok", "problem"):
        assert leak not in text
    timeline = text.split("办理过程", 1)[1]
    # account names are content in the reassign form's officer list
    allow = (*ALLOW, *seeded_sqlite.user_ids)
    assert_clean_zh(timeline, allow=allow, where=f"/cases/{case_id} timeline and checks")


def test_list_pages_read_as_chinese(seeded_sqlite: Seeded, login_as: Login) -> None:
    add_sample_leads(seeded_sqlite)
    client, _csrf = login_as("admin")
    urls = ("/leads", "/cases", "/dashboard", "/enterprises", "/enterprises/E1")
    more = ("/ledger", "/ledger?state=open", "/spot-checks", "/map", "/admin/users", "/account")
    usernames = tuple(seeded_sqlite.user_ids)  # account names are content on the users page
    for url in (*urls, *more):
        r = client.get(url)
        assert r.status_code == 200, url
        allow = (*ALLOW, *usernames) if url == "/admin/users" else ALLOW
        allow = (*allow, "testclient") if url == "/account" else allow  # the session's host
        assert_clean_zh(html_text(r.text), allow=allow, where=url)
    inbox = html_text(client.get("/leads").text)
    assert "数据压线" in inbox and "空气质量高值" in inbox
