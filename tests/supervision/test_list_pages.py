"""正面清单 and 绩效分级 pages: the list with filters, proposals accepted and rejected,
decisions with errors that keep the input, the Excel export (Chinese headers and name),
grade records, and 创A升B from the portal application to the officer's last step.

One seeded SQLite app for the module (the services' PostgreSQL parity is in
test_lifecycle.py)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import Seeded, login, seed

from lantian.auth.models import AuditLog
from lantian.db.session import session_scope
from lantian.registry.models import Enterprise
from lantian.supervision.grades.models import GradeApplication
from lantian.supervision.listing.models import PositiveListProposal
from lantian.web.app import create_app

ALLOW = ("ts_city", "ent1", "English", "E1", "E2")
"""User names, the language switch and enterprise ids are fine on a zh page."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from lantian.db.session import dispose_engines
    from lantian.settings import get_settings

    home = tmp_path_factory.mktemp("plist-home")
    old = os.environ.get("LANTIAN_HOME")
    os.environ["LANTIAN_HOME"] = str(home)
    get_settings.cache_clear()
    try:
        settings = get_settings()
        seeded: Seeded = seed(settings)
        app = create_app(settings)
        clients: dict[str, tuple[TestClient, str]] = {}
        for name in ("ts_city", "sjz_city", "ent1"):
            c = TestClient(app)
            c.__enter__()
            clients[name] = (c, login(c, name))
        yield {"settings": settings, "seeded": seeded, "clients": clients}
        for c, _t in clients.values():
            c.__exit__(None, None, None)
    finally:
        if old is None:
            os.environ.pop("LANTIAN_HOME", None)
        else:
            os.environ["LANTIAN_HOME"] = old
        get_settings.cache_clear()
        dispose_engines()


def _post(world: dict[str, Any], who: str, url: str, data: dict[str, str]) -> Any:
    c, token = world["clients"][who]
    return c.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_list_review_decisions_and_export(world: dict[str, Any]) -> None:
    c, _t = world["clients"]["ts_city"]
    page = c.get("/positive-list")
    assert page.status_code == 200
    assert "唐山印刷厂" in page.text  # E2: listed by its column
    assert_clean_zh(html_text(page.text), allow=ALLOW)
    # run the review: E2 (not graded) is proposed for removal
    r = _post(world, "ts_city", "/positive-list/review", {})
    assert r.status_code == 303 and "review-" in r.headers["location"]
    with session_scope(world["settings"]) as db:
        prop = db.scalar(
            select(PositiveListProposal).where(PositiveListProposal.enterprise_id == "E2")
        )
        assert prop is not None and prop.change == "remove"
        pid = prop.proposal_id
    # rejecting without a reason: 422, Chinese error, nothing stored
    r = _post(world, "ts_city", f"/positive-list/proposals/{pid}", {"decision": "reject"})
    assert r.status_code == 422 and "必填" in r.text
    r = _post(
        world,
        "ts_city",
        f"/positive-list/proposals/{pid}",
        {"decision": "reject", "note": "待复核"},
    )
    assert r.status_code == 303
    # a manual decision with a reason; a wrong one keeps the input
    r = _post(
        world,
        "ts_city",
        "/positive-list/decisions",
        {"enterprise_id": "E1", "action": "add", "reason": ""},
    )
    assert r.status_code == 422 and 'value="E1"' in r.text
    r = _post(
        world,
        "ts_city",
        "/positive-list/decisions",
        {"enterprise_id": "E1", "action": "add", "reason": "A级企业，近一年无违法记录"},
    )
    assert r.status_code == 303
    page = c.get("/positive-list", params={"district": "路北区"})
    assert "冀东钢铁有限公司" in page.text and "唐山印刷厂" not in page.text
    assert "A级企业，近一年无违法记录" in page.text
    # another city's officer sees neither enterprise nor its history
    other, _t2 = world["clients"]["sjz_city"]
    assert "冀东钢铁有限公司" not in other.get("/positive-list").text
    r = _post(
        world,
        "sjz_city",
        "/positive-list/decisions",
        {"enterprise_id": "E1", "action": "suspend", "reason": "x"},
    )
    assert r.status_code == 404
    # the workbook: two sheets with Chinese headers, names, the RFC 5987 file name
    x = c.get("/positive-list/export.xlsx")
    assert x.status_code == 200
    disp = x.headers["content-disposition"]
    assert "filename*=UTF-8''" in disp and "正面清单" in unquote(disp)
    wb = load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames == ["正面清单", "决定记录"]
    cur = [[c.value for c in row] for row in wb["正面清单"].iter_rows()]
    assert cur[0][:3] == ["企业编号", "企业", "区县"]
    assert {r[1] for r in cur[1:]} == {"冀东钢铁有限公司", "唐山印刷厂"}
    hist = [[c.value for c in row] for row in wb["决定记录"].iter_rows()]
    assert [r[5] for r in hist[1:]] == ["纳入"]
    with session_scope(world["settings"]) as db:
        actions = set(db.scalars(select(AuditLog.action)))
    assert {"positive_list_decide", "positive_list_proposal_decide"} <= actions


def test_grades_and_an_application_from_the_portal(world: dict[str, Any]) -> None:
    ent, _t = world["clients"]["ent1"]
    page = ent.get("/portal/grades")
    assert page.status_code == 200 and "创A升B" in page.text
    assert_clean_zh(html_text(page.text), allow=ALLOW)
    r = _post(world, "ent1", "/portal/grades", {"target_grade": "A", "statement": ""})
    assert r.status_code == 422
    r = _post(
        world, "ent1", "/portal/grades", {"target_grade": "A", "statement": "完成超低排放改造"}
    )
    assert r.status_code == 303
    with session_scope(world["settings"]) as db:
        app = db.scalar(select(GradeApplication).where(GradeApplication.enterprise_id == "E1"))
        assert app is not None
        aid = app.application_id
    # the enterprise cannot record steps; an officer of another city cannot see it
    assert _post(world, "ent1", f"/grade-applications/{aid}/steps", {}).status_code == 403
    other, _t2 = world["clients"]["sjz_city"]
    assert other.get(f"/grade-applications/{aid}").status_code == 404
    c, _t3 = world["clients"]["ts_city"]
    assert "冀东钢铁有限公司" in c.get("/grade-applications").text
    detail = c.get(f"/grade-applications/{aid}")
    assert detail.status_code == 200 and "受理" in detail.text
    assert_clean_zh(html_text(detail.text), allow=ALLOW)
    steps = ["accept", "materials", "site", "review", "publicity", "result"]
    for step in steps:
        r = _post(
            world,
            "ts_city",
            f"/grade-applications/{aid}/steps",
            {"step": step, "result": "passed", "evidence_ref": "唐环气〔2026〕8号"},
        )
        assert r.status_code == 303, r.text
    with session_scope(world["settings"]) as db:
        assert db.get(Enterprise, "E1").grade == "A"  # type: ignore[union-attr]
    hist = c.get("/enterprises/E1/grades")
    assert "唐环气〔2026〕8号" in hist.text and re.search(r"申请\s*#" + str(aid), hist.text)
    assert_clean_zh(html_text(hist.text), allow=ALLOW)
    # recording a grade from a document needs its number (error kept next to the field)
    r = _post(
        world,
        "ts_city",
        "/enterprises/E1/grades",
        {"grade": "B", "effective_from": "2026-01-01", "evidence_kind": "document"},
    )
    assert r.status_code == 422 and "aria-invalid" in r.text
