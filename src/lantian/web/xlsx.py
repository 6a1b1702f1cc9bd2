"""Excel (.xlsx) export of list pages: one sheet, a bold header row, CST times.

Text is written safely (:mod:`lantian.documents.cells`): never as a formula, never with
characters XML forbids.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from lantian.documents.cells import neutralize_row, safe_values
from lantian.timeutil import to_cst

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_ROWS = 50_000
"""Most rows one export writes."""


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_cst(value).replace(tzinfo=None)
    if isinstance(value, list | tuple):
        return "、".join(str(_cell(v)) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_cell(v)}" for k, v in value.items())
    return value


def rows_to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Bytes of an .xlsx workbook with one sheet named ``title``."""
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    ws.append(safe_values(header))
    neutralize_row(ws[1])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(safe_values([_cell(v) for v in row]))
        neutralize_row(ws[ws.max_row])
    for col in ws.columns:
        width = max((len(str(c.value)) for c in col[:200] if c.value is not None), default=8)
        ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fill(ws: Any, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    ws.append(safe_values(header))
    neutralize_row(ws[1])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(safe_values([_cell(v) for v in row]))
        neutralize_row(ws[ws.max_row])
    for col in ws.columns:
        width = max((len(str(c.value)) for c in col[:200] if c.value is not None), default=8)
        ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"


def sheets_to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """Bytes of an .xlsx workbook with one sheet per ``(title, header, rows)``, each
    written as :func:`rows_to_xlsx` writes its one sheet."""
    wb = Workbook()
    first = True
    for title, header, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title[:31]
        _fill(ws, header, rows)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
