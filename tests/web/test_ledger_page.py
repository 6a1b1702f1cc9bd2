"""The 督办台账 page: the ledger's columns, 立行立改 and 督办 rows, filters, and an Excel
export with the same rows and columns."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests.web.conftest import Seeded

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.timeutil import now_cst
from lantian.workflow import service as wf

Login = Callable[[str], tuple[TestClient, str]]


def _cases(seeded: Seeded) -> dict[str, int]:
    """A 督办 (E1) and a 立行立改 (E2), both confirmed by the admin."""
    out: dict[str, int] = {}
    with session_scope(seeded.settings) as db:
        admin = db.get(User, seeded.user_ids["admin"])
        assert admin is not None
        for key, lead, path in (
            ("sup", "LE1-0", "supervision_order"),
            ("imm", "LE2-0", "immediate_fix"),
        ):
            case = wf.open_case(db, admin, [lead])
            wf.dispatch(
                db,
                admin,
                case_ids=[case.case_id],
                assignee_id=seeded.user_ids["ts_city"],
                deadline=now_cst() + timedelta(days=5),
            )
            wf.start_check(db, admin, case.case_id, mode="remote")
            wf.record_remote_check(db, admin, case.case_id, notes="调阅数据")
            wf.judge(db, admin, case.case_id, confirmed=True, finding=f"问题{key}")
            wf.choose_fix_path(
                db,
                admin,
                case.case_id,
                path,
                rectify_deadline=now_cst() + timedelta(days=10)
                if path != "immediate_fix"
                else None,
            )
            out[key] = case.case_id
    return out


def _page_ids(html: str) -> list[int]:
    body = html.split('id="ledger"', 1)[1]
    return [int(x) for x in re.findall(r'<td><a href="/cases/(\d+)">', body)]


def test_ledger_page_and_export_agree(seeded_sqlite: Seeded, login_as: Login) -> None:
    ids = _cases(seeded_sqlite)
    c, _csrf = login_as("admin")
    r = c.get("/ledger")
    assert r.status_code == 200
    heads = re.findall(r'<th data-key="\w+">([^<]+)</th>', r.text)
    assert heads == [
        "案件编号",
        "企业",
        "区县",
        "类型",
        "问题",
        "整改措施",
        "责任单位",
        "时限",
        "进展",
        "复核意见",
        "销号时间",
    ]
    assert sorted(_page_ids(r.text)) == sorted(ids.values())
    assert "立行立改" in r.text and "督办" in r.text
    only_imm = c.get("/ledger", params={"kind": "immediate_fix"})
    assert _page_ids(only_imm.text) == [ids["imm"]]
    assert 'href="/api/exports/ledger.xlsx?kind=immediate_fix&amp;state=all' in only_imm.text
    for params in ({}, {"kind": "immediate_fix"}, {"state": "closed"}):
        page = c.get("/ledger", params=params)
        book = c.get("/api/exports/ledger.xlsx", params=params)
        assert book.status_code == 200
        ws = load_workbook(io.BytesIO(book.content)).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        assert list(rows[0]) == heads
        assert [row[0] for row in rows[1:]] == _page_ids(page.text)
    en = c.get("/ledger", params={"lang": "en"})
    assert '<th data-key="measures">Measures</th>' in en.text
