"""Excel exports (openpyxl): 问题清单 (lead list), 案件清单 (case list), 整改台账 (ledger).

Chinese headers, times in China Standard Time (Excel has no time zones: values are written
as CST wall-clock times and the header says so), a frozen and filtered header row, and
column widths fitted to Chinese text. A second sheet 说明 records who exported what, when.
Every value goes through :func:`lantian.documents.cells.set_cell` (no formula injection,
no illegal XML characters).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.documents.cells import set_cell
from lantian.documents.pdf import FAMILY_LABELS_ZH
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.queries import CaseFilters, LeadFilters, list_cases, list_leads
from lantian.workflow.states import ESCALATION_LEVELS, STATE_BY_CODE

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_ROWS = 100_000
"""Most rows one export writes."""
TIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    """One exported column: header (Chinese), width [characters], value getter, format."""

    header: str
    width: float
    get: Callable[[Any], Any]
    number_format: str | None = None


def _cst_naive(value: datetime | None) -> datetime | None:
    return to_cst(value).replace(tzinfo=None) if value is not None else None


def _status(code: str | None) -> str:
    return STATE_BY_CODE[code].label_zh if code in STATE_BY_CODE else (code or "")


def _level(n: int) -> str:
    return ESCALATION_LEVELS[n - 1][1] if n else ""


def time_col(header: str, attr: str, width: float = 17) -> Column:
    """A time column (CST wall-clock time)."""
    return Column(f"{header}(北京时间)", width, lambda r: _cst_naive(getattr(r, attr)), TIME_FORMAT)


def write_sheet(
    wb: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Any],
    *,
    first: bool = False,
) -> int:
    """Write ``rows`` to a new sheet; return the number of data rows written."""
    ws = wb.active if first else wb.create_sheet()
    assert ws is not None
    ws.title = title
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E79")
    for j, col in enumerate(columns, start=1):
        cell = set_cell(ws.cell(row=1, column=j), col.header)
        cell.font = head_font
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = col.width
    n = 0
    for i, row in enumerate(rows, start=2):
        if n >= MAX_EXPORT_ROWS:
            break
        for j, col in enumerate(columns, start=1):
            cell = set_cell(ws.cell(row=i, column=j), col.get(row))
            if col.number_format:
                cell.number_format = col.number_format
        n += 1
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n + 1}"
    ws.row_dimensions[1].height = 30
    return n


def _about(wb: Workbook, user: User, what: str, count: int, filters: dict[str, Any]) -> None:
    ws = wb.create_sheet("说明")
    rows = [
        ("内容", what),
        ("导出时间(北京时间)", now_cst().strftime("%Y-%m-%d %H:%M:%S")),
        ("导出人", f"{user.display_name} ({user.username})"),
        ("行数", count),
        (
            "筛选条件",
            "; ".join(f"{k}={v}" for k, v in filters.items() if v not in (None, "", [])) or "无",
        ),
        ("来源", "蓝天大气监督帮扶平台"),
    ]
    for i, (k, v) in enumerate(rows, start=1):
        set_cell(ws.cell(row=i, column=1), k).font = Font(bold=True)
        set_cell(ws.cell(row=i, column=2), v)
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 60


def _to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


LEAD_COLUMNS: tuple[Column, ...] = (
    Column("线索编号", 22, lambda r: r.lead_id),
    Column("企业名称", 28, lambda r: r.enterprise_name or ""),
    Column("市", 10, lambda r: r.city or ""),
    Column("区县", 10, lambda r: r.district or ""),
    Column("问题类型", 14, lambda r: FAMILY_LABELS_ZH.get(r.family, r.family)),
    Column("规则", 18, lambda r: r.rule),
    Column("对象", 16, lambda r: f"{r.subject_type}:{r.subject_id}"),
    Column("污染物", 10, lambda r: r.pollutant or ""),
    time_col("开始时间", "start"),
    time_col("结束时间", "end"),
    Column("严重程度", 9, lambda r: r.severity),
    Column("置信度", 8, lambda r: r.score, "0.00"),
    Column("线索概述", 50, lambda r: r.summary),
    Column("绩效分级", 9, lambda r: r.grade or ""),
    Column("正面清单", 9, lambda r: "是" if r.positive_list else "否"),
    Column("办理状态", 10, lambda r: _status(r.status)),
    Column(
        "核查结论",
        10,
        lambda r: {"confirmed": "属实", "false_positive": "误报"}.get(r.outcome or "", ""),
    ),
    Column("案件编号", 9, lambda r: r.case_id),
    time_col("办理时限", "deadline"),
    time_col("发现时间", "detected_at"),
)


def export_leads_xlsx(session: Session, user: User, filters: LeadFilters | None = None) -> bytes:
    """问题清单: every lead in scope matching ``filters`` (paging ignored), as .xlsx bytes."""
    f = filters or LeadFilters()
    rows: list[Any] = []
    offset = 0
    while len(rows) < MAX_EXPORT_ROWS:
        page = list_leads(session, user, _replace_paging(f, 1000, offset))
        rows.extend(page.rows)
        offset += 1000
        if offset >= page.total:
            break
    wb = Workbook()
    n = write_sheet(wb, "问题清单", LEAD_COLUMNS, rows, first=True)
    _about(wb, user, "问题线索清单", n, vars(f))
    return _to_bytes(wb)


def _replace_paging(f: Any, limit: int, offset: int) -> Any:
    from dataclasses import replace

    return replace(f, limit=limit, offset=offset)


CASE_COLUMNS: tuple[Column, ...] = (
    Column("案件编号", 9, lambda r: r.case_id),
    Column("企业名称", 28, lambda r: r.enterprise_name or ""),
    Column("市", 10, lambda r: r.city or ""),
    Column("区县", 10, lambda r: r.district or ""),
    Column("问题类型", 14, lambda r: FAMILY_LABELS_ZH.get(r.family, r.family)),
    Column("问题描述", 45, lambda r: r.finding or r.title),
    Column(
        "处置方式",
        10,
        lambda r: {"immediate_fix": "立行立改", "supervision_order": "督办"}.get(
            r.fix_path or "", ""
        ),
    ),
    Column("状态", 10, lambda r: _status(r.status)),
    Column("承办人", 12, lambda r: r.assignee_name or ""),
    time_col("交办时间", "dispatched_at"),
    time_col("核查时限", "deadline"),
    time_col("整改时限", "rectify_deadline"),
    Column("逾期天数", 9, lambda r: r.overdue_days, "0.0"),
    Column("提级督办", 20, lambda r: _level(r.escalation_level)),
    time_col("销号时间", "closed_at"),
    Column("重新打开次数", 8, lambda r: r.reopen_count),
)


def export_cases_xlsx(session: Session, user: User, filters: CaseFilters | None = None) -> bytes:
    """案件清单: cases in scope matching ``filters`` (up to :data:`MAX_EXPORT_ROWS`)."""
    f = _replace_paging(filters or CaseFilters(), 5000, 0)
    rows: list[Any] = []
    while len(rows) < MAX_EXPORT_ROWS:
        page = list_cases(session, user, f)
        rows.extend(page.rows)
        if f.offset + 5000 >= page.total:
            break
        f = _replace_paging(f, 5000, f.offset + 5000)
    wb = Workbook()
    n = write_sheet(wb, "案件清单", CASE_COLUMNS, rows, first=True)
    _about(wb, user, "案件清单", n, vars(filters or CaseFilters()))
    return _to_bytes(wb)


def export_ledger_xlsx(
    session: Session,
    user: User,
    *,
    kind: str | None = None,
    state: str = "all",
    district: str | None = None,
    overdue_only: bool = False,
) -> bytes:
    """督办台账 as .xlsx bytes: the rows and columns of the ledger page (times in CST)
    (:func:`lantian.workflow.ledger.ledger_rows`, ``LEDGER_COLUMNS``)."""
    from lantian.workflow.ledger import LEDGER_COLUMNS, ledger_rows

    rows = ledger_rows(
        session,
        user,
        kind=kind,
        state=state,
        district=district,
        overdue_only=overdue_only,
        limit=MAX_EXPORT_ROWS,
    )

    def time_of(get: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda r: _cst_naive(get(r))

    columns = [
        Column(c.zh, 17, time_of(c.get), TIME_FORMAT)
        if c.time
        else Column(c.zh, 40 if c.key in _WIDE else 14, c.get)
        for c in LEDGER_COLUMNS
    ]
    wb = Workbook()
    n = write_sheet(wb, "督办台账", columns, rows, first=True)
    _about(
        wb,
        user,
        "督办台账",
        n,
        {"kind": kind, "state": state, "district": district, "overdue_only": overdue_only},
    )
    return _to_bytes(wb)


_WIDE = frozenset({"problem", "measures", "responsible", "review", "enterprise"})


def read_sheet(data: bytes, sheet: str | None = None) -> list[dict[str, Any]]:
    """Rows of an exported sheet as dicts keyed by header (round-trip checks, re-imports)."""
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    headers = [str(h) for h in next(it)]
    return [dict(zip(headers, row, strict=False)) for row in it]


__all__ = [
    "CASE_COLUMNS",
    "LEAD_COLUMNS",
    "XLSX_MEDIA_TYPE",
    "Column",
    "export_cases_xlsx",
    "export_leads_xlsx",
    "export_ledger_xlsx",
    "read_sheet",
    "time_col",
    "write_sheet",
]
