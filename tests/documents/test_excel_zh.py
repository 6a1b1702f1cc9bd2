"""Every workbook reads as the UI does: names, 低/中/高, the UI's terms, Chinese filters;
no code, key or repr in any cell (zh scanner over every sheet)."""

from __future__ import annotations

import io
from typing import Any

import lantian_test_world as W  # registered by conftest.py
from openpyxl import load_workbook
from tests._zh_scan import assert_clean_zh

from lantian.documents.excel import (
    export_cases_xlsx,
    export_leads_xlsx,
    export_ledger_xlsx,
    read_sheet,
)
from lantian.registry.models import Outlet
from lantian.workflow.queries import CaseFilters, LeadFilters


def cells_text(data: bytes) -> str:
    wb = load_workbook(io.BytesIO(data))
    return "\n".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )


def test_every_workbook_is_clean_chinese(world: Any) -> None:
    s = world.session
    s.add(Outlet(outlet_id="P1", enterprise_id="EA", name="1号锅炉排放口", mn="MNP1"))
    s.flush()
    W.drive(s, world, "supervision_order")
    W.drive(s, world, "immediate_fix")
    books = {
        "leads": export_leads_xlsx(s, world.admin),
        "leads filtered": export_leads_xlsx(
            s, world.admin, LeadFilters(family="EXCEEDANCE", severity=2, positive_list=False)
        ),
        "cases": export_cases_xlsx(s, world.admin, CaseFilters(open_only=True)),
        "ledger": export_ledger_xlsx(s, world.admin),
        "ledger all": export_ledger_xlsx(s, world.admin, state="open"),
    }
    users = [world.admin, world.city_a, world.district_a1, world.wg]
    allow = [u.username for u in users]  # the test accounts' display names are user names
    for what, data in books.items():
        assert_clean_zh(cells_text(data), allow=allow, where=what)

    rows = {r["线索编号"]: r for r in read_sheet(books["leads"])}
    row = rows["L1"]
    assert row["对象"] == "1号锅炉排放口 (P1)"
    assert rows["L2"]["对象"] == "排放口 P2"  # no name registered
    assert row["污染物"] == "二氧化硫 (mg/m³)"
    assert row["严重程度"] == "中"
    assert row["问题类型"] == "超标排放"
    assert row["规则"] == "折算浓度超标"
    assert row["绩效分级"] == "B级"
    wb = load_workbook(io.BytesIO(books["leads filtered"]))
    info = {ws_row[0].value: ws_row[1].value for ws_row in wb["说明"].iter_rows()}
    assert info["筛选条件"] == "问题类型=超标排放; 严重程度=中; 正面清单=否"


def test_family_names_are_the_uis(world: Any) -> None:
    s = world.session
    s.add(W.make_lead("LPIN", "EA", subject_id="PP", family="PINNED", rule="CEMS-PINNED"))
    s.flush()
    rows = {r["线索编号"]: r for r in read_sheet(export_leads_xlsx(s, world.admin))}
    assert rows["LPIN"]["问题类型"] == "数据压线"
    assert rows["LS"]["问题类型"] == "空气质量高值"
