"""督办台账: every tracked problem (立行立改 and 督办, open and closed) with the ledger's
columns, filterable; the Excel export holds the same rows and columns."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest

from lantian.documents.excel import export_ledger_xlsx, read_sheet
from lantian.timeutil import now_cst, to_cst
from lantian.workflow import api as wf
from lantian.workflow.ledger import LEDGER_COLUMNS, ledger_rows


def test_ledger_columns_rows_and_filters(world: Any) -> None:
    s = world.session
    sup = W.drive(s, world, "supervision_order")
    imm = W.drive(s, world, "immediate_fix")
    closed = W.drive(s, world, "closed")  # a 督办 reviewed and closed
    rejected = W.drive(s, world, "review")
    wf.review(s, world.admin, rejected.case_id, accept=False, comment="佐证材料不足，滤袋未更换")
    other_district = W.drive(s, world, "immediate_fix", enterprise_id="EB")  # 甲市二区
    W.drive(s, world, "checking")  # no fix path: not on the ledger

    assert [c.zh for c in LEDGER_COLUMNS] == [
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
    rows = ledger_rows(s, world.city_a)
    by_id = {r.case_id: r for r in rows}
    assert set(by_id) == {
        sup.case_id,
        imm.case_id,
        closed.case_id,
        rejected.case_id,
        other_district.case_id,
    }
    assert rows[-1].case_id == closed.case_id  # closed problems after the open ones
    c = by_id[closed.case_id]
    assert c.problem == "脱硫设施停运" and c.measures == "已更换滤袋并恢复运行"
    assert c.review == "复核通过" and c.closed_at is not None and c.progress_zh == "已销号"
    assert c.responsible == "甲市钢铁有限公司（属地监管：甲市一区生态环境局）"
    r = by_id[rejected.case_id]
    assert r.review == "佐证材料不足，滤袋未更换" and r.progress_zh == "整改中"
    i = by_id[imm.case_id]
    assert i.fix_path == "immediate_fix" and i.deadline == imm.rectify_deadline
    assert i.deadline is not None and i.closed_at is None

    # filters: kind, state, district, overdue
    assert {x.case_id for x in ledger_rows(s, world.city_a, kind="immediate_fix")} == {
        imm.case_id,
        other_district.case_id,
    }
    assert [x.case_id for x in ledger_rows(s, world.city_a, state="closed")] == [closed.case_id]
    assert closed.case_id not in {x.case_id for x in ledger_rows(s, world.city_a, state="open")}
    assert [x.case_id for x in ledger_rows(s, world.city_a, district="二区")] == [
        other_district.case_id
    ]
    assert ledger_rows(s, world.city_a, overdue_only=True) == []
    late = ledger_rows(s, world.city_a, overdue_only=True, now=now_cst() + timedelta(days=30))
    assert {x.case_id for x in late} == {
        sup.case_id,
        imm.case_id,
        rejected.case_id,
        other_district.case_id,
    }
    assert all("逾期" in x.progress_zh for x in late)
    with pytest.raises(wf.ValidationError):
        ledger_rows(s, world.city_a, state="bogus")
    # scope: the other city's officer sees none of these
    assert ledger_rows(s, world.city_b) == []

    # the workbook: same rows, same columns, same values
    for kw in ({}, {"kind": "immediate_fix"}, {"state": "closed"}, {"district": "一区"}):
        page = ledger_rows(s, world.city_a, **kw)  # type: ignore[arg-type]
        book = read_sheet(export_ledger_xlsx(s, world.city_a, **kw), "督办台账")  # type: ignore[arg-type]
        assert book and list(book[0]) == [c.zh for c in LEDGER_COLUMNS]
        assert [b["案件编号"] for b in book] == [p.case_id for p in page]
        for b, p in zip(book, page, strict=True):
            for col in LEDGER_COLUMNS:
                value, cell = col.get(p), b[col.zh]
                if not col.time:
                    assert (cell if cell is not None else "") == value, col.key
                elif value is None:
                    assert cell is None, col.key
                else:
                    want = to_cst(value).replace(tzinfo=None)
                    assert abs((cell - want).total_seconds()) < 1, col.key
