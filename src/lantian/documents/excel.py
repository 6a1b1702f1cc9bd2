"""Excel exports (openpyxl): 问题清单 (lead list), 案件清单 (case list), 整改台账 (ledger).

Every code is written as the UI shows it, from :mod:`lantian.vocab`: problem types
(问题类型) and statuses by their Chinese names, pollutants as 氮氧化物 (mg/m³), severity as
低/中/高, rules by title, objects by name (``1号锅炉排放口 (P0013)``).

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
from lantian.registry.names import Names, lookup_names, subject_text
from lantian.timeutil import now_cst, to_cst
from lantian.vocab import cases as cases_vocab
from lantian.vocab import families, leads, pollutants, registry
from lantian.vocab import rules as rules_vocab
from lantian.workflow.queries import CaseFilters, LeadFilters, list_cases, list_leads

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
    if code in cases_vocab.STATES_VOCAB:
        return cases_vocab.STATES_VOCAB.name(code)
    return leads.INBOX_STATUSES.name(code)


def _level(n: int) -> str:
    return cases_vocab.ESCALATION.name(n) if n else ""


FILTER_LABELS: dict[str, str] = {
    "city": "市",
    "district": "区县",
    "family": "问题类型",
    "severity": "严重程度",
    "status": "办理状态",
    "enterprise_id": "企业编号",
    "grade": "绩效分级",
    "positive_list": "正面清单",
    "rule": "规则",
    "outcome": "核查结论",
    "date_from": "开始时间（起）",
    "date_to": "开始时间（止）",
    "q": "关键词",
    "assignee_id": "承办人编号",
    "fix_path": "处置方式",
    "overdue": "仅逾期",
    "escalated": "仅提级督办",
    "open_only": "仅未销号",
    "supervision_only": "仅督办",
    "kind": "处置方式",
    "state": "销号状态",
    "overdue_only": "仅逾期",
}
"""Chinese names of the export filters (the 说明 sheet)."""
_FILTER_VALUES: dict[str, Callable[[Any], str]] = {
    "family": families.name,
    "severity": leads.severity_name,
    "status": _status,
    "grade": registry.GRADES.name,
    "rule": rules_vocab.title,
    "outcome": leads.OUTCOMES.name,
    "fix_path": cases_vocab.FIX_PATHS.name,
    "kind": cases_vocab.FIX_PATHS.name,
    "state": cases_vocab.LEDGER_STATES.name,
}


_OFF_WHEN_FALSE = ("open_only", "supervision_only", "overdue_only")
"""Switches that filter nothing when false."""


def _filter_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return to_cst(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return "、".join(_filter_value(key, v) for v in value)
    fmt = _FILTER_VALUES.get(key)
    return fmt(value) if fmt is not None else str(value)


def describe_filters(filters: dict[str, Any]) -> str:
    """``区县=路北区; 问题类型=超标排放`` (paging and sorting left out), or 无."""
    parts = [
        f"{FILTER_LABELS.get(k, k)}={_filter_value(k, v)}"
        for k, v in filters.items()
        if k not in ("sort", "limit", "offset")
        and v is not None
        and v != ""
        and v != []
        and not (v is False and k in _OFF_WHEN_FALSE)
    ]
    return "; ".join(parts) or "无"


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
        ("筛选条件", describe_filters(filters)),
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


def lead_columns(names: Names | None = None) -> tuple[Column, ...]:
    """Columns of 问题清单; ``names`` (kind → id → name) names each lead's object."""
    nm: Names = names or {}
    return (
        Column("线索编号", 22, lambda r: r.lead_id),
        Column("企业名称", 28, lambda r: r.enterprise_name or ""),
        Column("市", 10, lambda r: r.city or ""),
        Column("区县", 10, lambda r: r.district or ""),
        Column("问题类型", 14, lambda r: families.name(r.family)),
        Column("规则", 22, lambda r: rules_vocab.title(r.rule)),
        Column("对象", 26, lambda r: subject_text(r.subject_type, r.subject_id, nm)),
        Column("污染物", 16, lambda r: pollutants.label(r.pollutant) if r.pollutant else ""),
        time_col("开始时间", "start"),
        time_col("结束时间", "end"),
        Column("严重程度", 9, lambda r: leads.severity_name(r.severity)),
        Column("置信度", 8, lambda r: r.score, "0.00"),
        Column("线索概述", 50, lambda r: r.summary),
        Column("绩效分级", 9, lambda r: registry.GRADES.name(r.grade) if r.grade else ""),
        Column("正面清单", 9, lambda r: "是" if r.positive_list else "否"),
        Column("办理状态", 10, lambda r: _status(r.status)),
        Column("核查结论", 10, lambda r: leads.OUTCOMES.name(r.outcome)),
        Column("案件编号", 9, lambda r: r.case_id),
        time_col("办理时限", "deadline"),
        time_col("发现时间", "detected_at"),
    )


LEAD_COLUMNS: tuple[Column, ...] = lead_columns()
"""Columns of 问题清单 without object names (ids shown as ``排放口 P0013``)."""


def subject_names(session: Session, rows: Sequence[Any]) -> Names:
    """Names of the objects (``subject_type``, ``subject_id``) of ``rows``."""
    wanted: dict[str, set[str]] = {}
    for r in rows:
        wanted.setdefault(str(r.subject_type), set()).add(str(r.subject_id))
    return lookup_names(session, wanted)


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
    columns = lead_columns(subject_names(session, rows))
    n = write_sheet(wb, "问题清单", columns, rows, first=True)
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
    Column("问题类型", 14, lambda r: families.name(r.family)),
    Column("问题描述", 45, lambda r: r.finding or r.title),
    Column("处置方式", 10, lambda r: cases_vocab.FIX_PATHS.name(r.fix_path)),
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
    "describe_filters",
    "export_cases_xlsx",
    "export_leads_xlsx",
    "export_ledger_xlsx",
    "lead_columns",
    "read_sheet",
    "time_col",
    "write_sheet",
]
