"""Reading bundle files (CSV, Parquet, xlsx sheets) and checking them column by column.

Everything is vectorised with Arrow; only when a check fails is the first offending row
located, so a correct file of a million rows costs a few tenths of a second.

References
----------
.. [1] Lantian exchange formats v1 (``contracts/exchange-formats.md``): UTF-8 CSV with or
   without BOM, empty cell = unknown, ISO 8601 times (no offset = +08:00).
.. [2] GB 32100-2015, 法人和其他组织统一社会信用代码编码规则, §4 and Annex B.
.. [3] HJ 212-2017, 污染物在线监控（监测）系统数据传输标准, Table 5 (data flags).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from lantian.io.errors import BundleError, Issue
from lantian.io.formats import Column, FileSpec
from lantian.lake.schema import TIME_TYPE
from lantian.lake.store import numpy_view
from lantian.registry.vocab import (
    CREDIT_CODE_RE,
    credit_code_check_char,
)

_ISO_RE = (
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?"
    r"(?:Z|z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_OFFSET_RE = r"[T ]\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?(?:Z|z|[+-]\d{2}(?::?\d{2})?)$"
_CST_US = 8 * 3_600_000_000
CONTROL_CHARS_RE = r"[\x00-\x1f\x7f-\x9f]"
"""Control characters refused in every text cell: C0 (NUL … US, tab, CR and LF included),
DEL and C1. No exchange-format column is free text; a control character in a name, id or
MN breaks exports (Excel/XML refuse NUL), forges log lines (CR/LF) or hides text."""
_TRUE = ("true", "1", "yes", "y", "t", "是")
_FALSE = ("false", "0", "no", "n", "f", "否")


@dataclass
class RawTable:
    """A file as read, before checking: Arrow columns plus the source line of each row."""

    label: str
    table: pa.Table
    lines: np.ndarray[Any, np.dtype[np.int64]]
    warnings: list[Issue] = field(default_factory=list)


@dataclass
class ParsedTable:
    """A checked file: typed columns (contract order), source lines, warnings."""

    label: str
    spec: FileSpec
    table: pa.Table
    lines: np.ndarray[Any, np.dtype[np.int64]]
    warnings: list[Issue] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        """Number of data rows."""
        return int(self.table.num_rows)

    def line(self, index: int) -> int:
        """Source line of row ``index``."""
        return int(self.lines[index])

    def issue(self, index: int, column: str, message: str, value: object = None) -> Issue:
        """An error at row ``index`` of ``column``, quoting the cell (or ``value``)."""
        if value is None and column in self.table.column_names:
            value = self.table.column(column)[index].as_py()
        return Issue(self.label, self.line(index), column, _show(value), message)


def _show(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------- reading
def _drop_empty_rows(label: str, table: pa.Table, lines: np.ndarray[Any, Any]) -> RawTable:
    if table.num_columns and table.num_rows:
        empty = np.ones(table.num_rows, dtype=bool)
        for col in table.columns:
            empty &= numpy_view(col.is_null(), np.bool_)
        if empty.any():
            keep = ~empty
            table = table.filter(pa.array(keep))
            lines = lines[keep]
    return RawTable(label, table, lines.astype(np.int64))


def _first_bad_utf8_line(data: bytes) -> int:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return 1


def _locate_csv_problem(data: bytes, width: int) -> tuple[int | None, str | None]:
    """Line and reason of the first row whose field count differs from the header's."""
    import csv

    reader = csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline=""))
    try:
        for row in reader:
            if row and len(row) != width:
                return reader.line_num, f"{len(row)} fields where the header has {width}"
    except csv.Error as exc:
        return reader.line_num, str(exc)
    return None, None


def parse_csv(source: bytes | IO[bytes], label: str) -> RawTable:
    """Read a CSV file (UTF-8, optional BOM, header row) with every column as text.

    Empty cells become nulls; wholly empty lines are skipped but keep line numbering
    (header = line 1). Line numbers assume no quoted field spans several lines.

    Raises
    ------
    BundleError
        The file is not UTF-8 or not parseable CSV.
    """
    data = source if isinstance(source, bytes) else source.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise BundleError([Issue(label, None, None, None, "the file is empty (no header)")])
    header_end = data.find(b"\n")
    header = data[: header_end if header_end >= 0 else len(data)].decode("utf-8", "replace")
    import csv

    raw_names = next(csv.reader([header.rstrip("\r")]), [])
    names = [n.strip() for n in raw_names]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        msg = f"column(s) {dup} appear more than once in the header"
        raise BundleError([Issue(label, 1, None, None, msg)])
    try:
        table = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(use_threads=True, skip_rows=1, column_names=raw_names),
            parse_options=pcsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(raw_names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "UTF8" in text or "utf8" in text.lower():
            line = _first_bad_utf8_line(data)
            msg = "not valid UTF-8 (the contract requires UTF-8; re-save GBK files as UTF-8)"
            raise BundleError([Issue(label, line, None, None, msg)]) from exc
        where, why = _locate_csv_problem(data, len(names))
        raise BundleError(
            [Issue(label, where, None, None, f"unreadable CSV: {why or text}")]
        ) from exc
    table = table.rename_columns(names)
    lines = np.arange(table.num_rows, dtype=np.int64) + 2
    return _drop_empty_rows(label, table, lines)


def iter_csv(path: Path, label: str, block_size: int = 32 << 20) -> Iterator[RawTable]:
    """Read a CSV file in blocks of about ``block_size`` bytes (bounded memory).

    Each block is what :func:`parse_csv` gives for those rows (text columns, nulls for
    empty cells, empty lines dropped, the same line numbers). Any problem is reported by
    :func:`parse_csv` itself, so the error names the same line as an import.

    Raises
    ------
    BundleError
        The file is empty, not UTF-8 or not parseable CSV.
    """
    import csv

    with open(path, "rb") as fh:
        head = fh.readline()
    head = head.removeprefix(b"\xef\xbb\xbf")
    raw_names = next(csv.reader([head.decode("utf-8", "replace").rstrip("\r\n")]), [])
    names = [n.strip() for n in raw_names]
    if not head.strip() or len(set(names)) != len(names):
        yield read_csv(path, label)  # raises the error an import reports
        return
    line = 2
    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(
                use_threads=True, skip_rows=1, column_names=raw_names, block_size=block_size
            ),
            parse_options=pcsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(raw_names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        for batch in reader:
            table = pa.Table.from_batches([batch]).rename_columns(names)
            lines = np.arange(table.num_rows, dtype=np.int64) + line
            line += table.num_rows
            yield _drop_empty_rows(label, table, lines)
    except pa.ArrowInvalid:
        read_csv(path, label)  # raises the error naming the line, as an import does
        raise


def read_csv(path: Path, label: str | None = None) -> RawTable:
    """Read the CSV file at ``path`` (see :func:`parse_csv`)."""
    return parse_csv(Path(path).read_bytes(), label or Path(path).name)


def read_parquet(path: Path, label: str | None = None) -> RawTable:
    """Read a Parquet file; row ``i`` is reported as line ``i + 2`` (as if it were a CSV)."""
    label = label or Path(path).name
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise BundleError([Issue(label, None, None, None, f"unreadable Parquet: {exc}")]) from exc
    lines = np.arange(table.num_rows, dtype=np.int64) + 2
    return RawTable(label, table, lines)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def read_xlsx(path: Path, label: str | None = None) -> dict[str, RawTable]:
    """Read every sheet of a workbook as text columns: ``{sheet name: RawTable}``.

    The first row of a sheet is the header; a row's line number is its sheet row.
    Numbers are written as plain text (``10.0`` → ``10``), Excel dates as ISO 8601.
    """
    from openpyxl import load_workbook

    label = label or Path(path).name
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds
        raise BundleError([Issue(label, None, None, None, f"unreadable workbook: {exc}")]) from exc
    out: dict[str, RawTable] = {}
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header_row = next(rows, None)
            sheet_label = f"{label}[{sheet.title}]"
            if header_row is None:
                continue
            names = [(_cell_text(v) or "").strip() for v in header_row]
            while names and not names[-1]:
                names.pop()
            cols: list[list[str | None]] = [[] for _ in names]
            for row in rows:
                for i in range(len(names)):
                    cols[i].append(_cell_text(row[i]) if i < len(row) else None)
            if len(set(names)) != len(names):
                msg = "a column name appears more than once in the header"
                raise BundleError([Issue(sheet_label, 1, None, None, msg)])
            n = len(cols[0]) if cols else 0
            table = pa.table(
                {name: pa.array(c, pa.string()) for name, c in zip(names, cols, strict=True)}
            )
            lines = np.arange(n, dtype=np.int64) + 2
            out[sheet.title.strip()] = _drop_empty_rows(sheet_label, table, lines)
    finally:
        book.close()
    return out


def read_table(path: Path, label: str | None = None) -> RawTable:
    """Read a CSV or Parquet file, chosen by extension."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return read_parquet(path, label)
    if suffix == ".csv":
        return read_csv(path, label)
    raise BundleError([Issue(label or str(path), None, None, None, "not a .csv or .parquet")])


# ---------------------------------------------------------------------------- checking
def _to_text(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    if not pa.types.is_string(arr.type):
        if pa.types.is_floating(arr.type):
            # 10.0 → "10", like a spreadsheet; ids stored as floats keep their digits.
            arr = (
                pc.if_else(
                    pc.equal(arr, pc.floor(arr)),
                    pc.cast(pc.cast(arr, pa.int64()), pa.string()),
                    pc.cast(arr, pa.string()),
                )
                if len(arr) and pc.all(pc.is_finite(arr)).as_py()
                else pc.cast(arr, pa.string())
            )
        else:
            arr = pc.cast(arr, pa.string())
    trimmed = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(trimmed, ""), pa.nulls(len(trimmed), pa.string()), trimmed)


def _first(mask: pa.Array | pa.ChunkedArray) -> int | None:
    """Index of the first true value of a boolean mask (nulls count as false)."""
    arr = mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
    filled = pc.fill_null(arr, False)
    if not pc.any(filled).as_py():
        return None
    return int(np.argmax(numpy_view(filled, np.bool_)))


def _first_cast_failure(arr: pa.Array, typ: pa.DataType) -> int:
    lo, hi = 0, len(arr)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            pc.cast(arr.slice(lo, mid - lo), typ)
            lo = mid
        except pa.ArrowInvalid:
            hi = mid
    return lo


def _cast_text(arr: pa.Array, typ: pa.DataType) -> tuple[pa.Array | None, int | None]:
    try:
        return pc.cast(arr, typ), None
    except pa.ArrowInvalid:
        return None, _first_cast_failure(arr, typ)


def parse_times(text: pa.Array) -> tuple[pa.Array, int | None, str]:
    """Parse ISO 8601 text to UTC timestamps; without an offset the time is CST (+08:00).

    Returns
    -------
    (times, bad, why)
        ``times`` (``timestamp[us, tz=UTC]``) and, if some cell is not a valid time,
        the index of the first one and why.

    References
    ----------
    .. [1] ISO 8601-1:2019; HJ 212-2017 §6.3 (DataTime is local time, i.e. CST).
    """
    n = len(text)
    bad = _first(pc.invert(pc.match_substring_regex(text, _ISO_RE)))
    if bad is not None:
        return pa.nulls(n, TIME_TYPE), bad, "not an ISO 8601 time (e.g. 2024-01-08T09:00:00)"
    has_off = pc.fill_null(pc.match_substring_regex(text, _OFFSET_RE), False)
    text = pc.replace_substring(text, ",", ".")
    text = pc.replace_substring_regex(text, "z$", "Z")  # the grammar allows z; Arrow needs Z
    aware_text = pc.if_else(has_off, text, pa.nulls(n, pa.string()))
    naive_text = pc.if_else(has_off, pa.nulls(n, pa.string()), text)
    aware, bad_a = _cast_text(aware_text, TIME_TYPE)
    naive, bad_n = _cast_text(naive_text, pa.timestamp("us"))
    bads = [b for b in (bad_a, bad_n) if b is not None]
    if bads or aware is None or naive is None:
        return pa.nulls(n, TIME_TYPE), min(bads), "not a valid date and time"
    shifted = pc.cast(pc.subtract(pc.cast(naive, pa.int64()), _CST_US), TIME_TYPE)
    return pc.coalesce(aware, shifted), None, ""


def _times_typed(arr: pa.Array) -> pa.Array:
    if pa.types.is_date(arr.type):
        arr = pc.cast(pc.cast(arr, pa.timestamp("s")), pa.timestamp("us"))
    if arr.type.tz is None:
        return pc.cast(
            pc.subtract(pc.cast(pc.cast(arr, pa.timestamp("us")), pa.int64()), _CST_US), TIME_TYPE
        )
    return pc.cast(arr, TIME_TYPE)


def _check_credit_codes(
    raw: RawTable, codes: pa.Array, column: str
) -> tuple[Issue | None, list[Issue]]:
    values = codes.to_pylist()
    warnings: list[Issue] = []
    for i, code in enumerate(values):
        if code is None:
            continue
        if not CREDIT_CODE_RE.match(code):
            msg = "not an 18-character unified social credit code (GB 32100-2015)"
            return Issue(raw.label, int(raw.lines[i]), column, code, msg), warnings
        expected = credit_code_check_char(code[:17])
        if code[17] != expected:
            msg = f"check character should be {expected!r} (GB 32100-2015 Annex B); kept as is"
            warnings.append(Issue(raw.label, int(raw.lines[i]), column, code, msg, "warning"))
    return None, warnings


def convert_column(
    raw: RawTable, col: Column, data: pa.ChunkedArray
) -> tuple[pa.Array, Issue | None, list[Issue]]:
    """Convert one column; return (array, first error or None, warnings).

    The one cell conversion of the exchange formats, used by ``lantian import`` (through
    :func:`convert`) and by detection (:mod:`lantian.io.detect_tables`).
    """
    n = len(data)
    arr = data.combine_chunks()
    warnings: list[Issue] = []

    def err(index: int, message: str, value: object = None) -> Issue:
        shown = value if value is not None else arr[index].as_py()
        return Issue(raw.label, int(raw.lines[index]), col.name, _show(shown), message)

    typed_time = col.kind == "time" and (
        pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type)
    )
    typed_num = col.kind == "float" and (
        pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)
    )
    typed_bool = col.kind == "bool" and pa.types.is_boolean(arr.type)
    if not (typed_time or typed_num or typed_bool):
        arr = _to_text(arr)
    if col.required:
        missing = _first(arr.is_null())
        if missing is not None:
            return arr, err(missing, "required value is empty", ""), warnings
    out: pa.Array
    if col.kind == "time":
        if typed_time:
            return _times_typed(arr), None, warnings
        out, bad, why = parse_times(arr)
        return out, (err(bad, why) if bad is not None else None), warnings
    if col.kind == "float":
        if typed_num:
            if pa.types.is_float32(arr.type) or pa.types.is_float16(arr.type):
                out = pc.cast(pc.cast(arr, pa.string()), pa.float64())
            else:
                out = pc.cast(arr, pa.float64())
        else:
            cast, bad = _cast_text(arr, pa.float64())
            if bad is not None or cast is None:
                return arr, err(bad or 0, "not a number"), warnings
            out = cast
        bad = _first(pc.invert(pc.is_finite(out)))
        if bad is not None:
            return out, err(bad, "not a finite number"), warnings
        if col.min is not None:
            fn = pc.less_equal if col.min_exclusive else pc.less
            bad = _first(fn(out, col.min))
            if bad is not None:
                op = ">" if col.min_exclusive else "≥"
                return out, err(bad, f"must be {op} {col.min:g}"), warnings
        if col.max is not None:
            fn = pc.greater_equal if col.max_exclusive else pc.greater
            bad = _first(fn(out, col.max))
            if bad is not None:
                op = "<" if col.max_exclusive else "≤"
                return out, err(bad, f"must be {op} {col.max:g}"), warnings
        return out, None, warnings
    if col.kind == "bool":
        if typed_bool:
            return pc.fill_null(arr, False), None, warnings
        low = pc.utf8_lower(arr)
        truth = pc.is_in(low, pa.array(_TRUE))
        bad = _first(
            pc.and_(
                pc.and_(low.is_valid(), pc.invert(truth)),
                pc.invert(pc.is_in(low, pa.array(_FALSE))),
            )
        )
        if bad is not None:
            return arr, err(bad, "must be true or false"), warnings
        return pc.fill_null(truth, False), None, warnings
    # text kinds
    if col.kind == "str":
        bad = _first(pc.match_substring_regex(arr, CONTROL_CHARS_RE))
        if bad is not None:
            value = arr[bad].as_py()
            char = next(c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F)
            return arr, err(bad, f"contains the control character U+{ord(char):04X}"), warnings
    if col.max_len is not None:
        bad = _first(pc.greater(pc.utf8_length(arr), col.max_len))
        if bad is not None:
            return arr, err(bad, f"longer than {col.max_len} characters"), warnings
    if col.kind == "enum":
        bad = _first(pc.and_(arr.is_valid(), pc.invert(pc.is_in(arr, pa.array(col.choices)))))
        if bad is not None:
            return arr, err(bad, f"must be one of {', '.join(col.choices)}"), warnings
    elif col.kind == "code" and col.pattern:
        bad = _first(pc.invert(pc.match_substring_regex(arr, col.pattern)))
        if bad is not None:
            message = col.pattern_message or "not an HJ 212-2017 pollutant code (e.g. a34013)"
            return arr, err(bad, message), warnings
    elif col.kind == "credit_code":
        first, warnings = _check_credit_codes(raw, arr, col.name)
        return arr, first, warnings
    assert n == len(arr)
    return arr, None, warnings


def _arrow_type(col: Column) -> pa.DataType:
    return {
        "float": pa.float64(),
        "bool": pa.bool_(),
        "time": TIME_TYPE,
    }.get(col.kind, pa.string())


def convert(raw: RawTable, spec: FileSpec) -> ParsedTable:
    """Check ``raw`` against ``spec`` and return typed columns in contract order.

    Unknown columns give a warning; a missing required column, or any bad cell, an error.

    Raises
    ------
    BundleError
        With the first problem of every column (earliest line first).
    """
    warnings = list(raw.warnings)
    errors: list[Issue] = []
    present = set(raw.table.column_names)
    for name in raw.table.column_names:
        if name not in spec.column_names:
            msg = "unknown column, ignored"
            warnings.append(Issue(raw.label, 1, name, None, msg, "warning"))
    for col in spec.columns:
        if col.required and col.name not in present:
            errors.append(Issue(raw.label, 1, col.name, None, "required column is missing"))
    if spec.one_of and not present.intersection(spec.one_of):
        msg = f"needs one of the columns {', '.join(spec.one_of)}"
        errors.append(Issue(raw.label, 1, spec.one_of[0], None, msg))
    if errors:
        raise BundleError(errors)
    n = raw.table.num_rows
    arrays: list[pa.Array] = []
    for col in spec.columns:
        if col.name not in present:
            arrays.append(
                pa.repeat(pa.scalar(False), n)
                if col.kind == "bool"
                else pa.nulls(n, _arrow_type(col))
            )
            continue
        arr, problem, col_warnings = convert_column(raw, col, raw.table.column(col.name))
        warnings.extend(col_warnings)
        if problem is not None:
            errors.append(problem)
        arrays.append(arr)
    if errors:
        raise BundleError(errors)
    table = pa.Table.from_arrays(arrays, names=list(spec.column_names))
    return ParsedTable(raw.label, spec, table, raw.lines, warnings)


def first_duplicate(table: pa.Table, key: list[str]) -> tuple[int, int] | None:
    """First row whose ``key`` repeats an earlier row: ``(row, earlier row)``, or None.

    Rows with a null in the key are not compared.
    """
    if table.num_rows < 2:
        return None
    keys = table.select(key)
    valid = np.ones(table.num_rows, dtype=bool)
    for c in keys.columns:
        valid &= numpy_view(c.is_valid(), np.bool_)
    idx = pa.array(np.arange(table.num_rows, dtype=np.int64))
    sub = keys.append_column("__i", idx).filter(pa.array(valid))
    grouped = sub.group_by(key).aggregate([("__i", "min"), ("__i", "count")])
    if grouped.num_rows == sub.num_rows:
        return None
    repeated = grouped.filter(pc.greater(grouped.column("__i_count"), 1))
    joined = sub.join(repeated.select([*key, "__i_min"]), keys=key, join_type="inner")
    later = joined.filter(pc.not_equal(joined.column("__i"), joined.column("__i_min")))
    pos = pc.index(later.column("__i"), pc.min(later.column("__i")))
    row = int(later.column("__i")[pos.as_py()].as_py())
    earlier = int(later.column("__i_min")[pos.as_py()].as_py())
    return row, earlier
