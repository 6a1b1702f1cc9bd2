"""Excel exports: Chinese headers, CST times, frozen header, widths; round trip."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import lantian_test_world as W  # registered by conftest.py
from openpyxl import load_workbook

from lantian.documents.excel import (
    export_cases_xlsx,
    export_leads_xlsx,
    export_ledger_xlsx,
    read_sheet,
)
from lantian.timeutil import to_cst
from lantian.workflow import api as wf


def test_lead_list_round_trip(world: Any) -> None:
    s = world.session
    data = export_leads_xlsx(s, world.city_a, wf.LeadFilters(limit=2))  # paging is ignored
    wb = load_workbook(io.BytesIO(data))
    ws = wb["问题清单"]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width >= 20
    assert "说明" in wb.sheetnames
    rows = read_sheet(data, "问题清单")
    page = wf.list_leads(s, world.city_a, wf.LeadFilters(limit=1000))
    assert len(rows) == page.total == 5
    by_id = {r["线索编号"]: r for r in rows}
    for lead in page.rows:
        row = by_id[lead.lead_id]
        assert row["线索概述"] == lead.summary
        assert row["企业名称"] == (lead.enterprise_name or None)
        start = row["开始时间(北京时间)"]
        assert isinstance(start, datetime)
        assert start == to_cst(lead.start).replace(tzinfo=None)  # CST wall-clock time
        assert row["办理状态"] == "新线索"


def test_ledger_and_case_list(world: Any) -> None:
    s = world.session
    sup = W.drive(s, world, "supervision_order")
    W.drive(s, world, "immediate_fix")
    rows = read_sheet(export_ledger_xlsx(s, world.city_a, kind="supervision_order"), "督办台账")
    assert [r["案件编号"] for r in rows] == [sup.case_id]
    assert rows[0]["类型"] == "督办" and rows[0]["问题"] == "脱硫设施停运"
    deadline = rows[0]["时限"]
    assert sup.rectify_deadline is not None
    assert abs((deadline - to_cst(sup.rectify_deadline).replace(tzinfo=None)).total_seconds()) < 1
    all_rows = read_sheet(export_ledger_xlsx(s, world.city_a))
    assert len(all_rows) == 2
    cases = read_sheet(export_cases_xlsx(s, world.ent_a))
    assert {r["状态"] for r in cases} == {"督办", "立行立改"}
    assert read_sheet(export_cases_xlsx(s, world.ent_b)) == []
