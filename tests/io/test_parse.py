"""Low-level parsing: CSV text columns, ISO 8601 times, credit codes, typed Parquet."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from lantian.io import BundleError, convert, parse_csv, parse_times
from lantian.io.formats import FILES
from lantian.io.parse import RawTable, first_duplicate


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_parse_times_offsets_and_cst_default() -> None:
    text = pa.array(
        [
            "2024-01-08T09:00:00+08:00",
            "2024-01-08T09:00:00",  # no offset = CST
            "2024-01-08 09:00",
            "2024-01-08T01:00:00Z",
            "2024-01-08T09:00:00.5+0800",
            "2024-01-08",  # a date = its CST midnight
            None,
        ]
    )
    times, bad, _ = parse_times(text)
    assert bad is None
    assert times.to_pylist() == [
        _utc(2024, 1, 8, 1),
        _utc(2024, 1, 8, 1),
        _utc(2024, 1, 8, 1),
        _utc(2024, 1, 8, 1),
        datetime(2024, 1, 8, 1, 0, 0, 500000, tzinfo=UTC),
        _utc(2024, 1, 7, 16),
        None,
    ]


@pytest.mark.parametrize(
    "value",
    ["2024/01/08 09:00", "08.01.2024", "2024-02-30T00:00:00", "2024-01-08T24:30", "yesterday"],
)
def test_parse_times_rejects(value: str) -> None:
    _, bad, why = parse_times(pa.array(["2024-01-08T00:00:00", value]))
    assert bad == 1 and why


def test_csv_keeps_text_exactly() -> None:
    raw = parse_csv(b" mn , time \r\n0012,2024-01-08\r\n\r\n,\r\n0034,x\r\n", "a.csv")
    assert raw.table.column_names == ["mn", "time"]
    assert raw.table.column("mn").to_pylist() == ["0012", "0034"]  # no number inference
    assert raw.lines.tolist() == [2, 5]  # empty lines skipped, numbering kept


def test_empty_and_header_only_files() -> None:
    with pytest.raises(BundleError, match="empty"):
        parse_csv(b"\xef\xbb\xbf\n", "e.csv")
    raw = parse_csv(b"meter_id,time,kw\n", "p.csv")
    assert convert(raw, FILES["power"]).num_rows == 0


def test_typed_parquet_columns_are_accepted() -> None:
    table = pa.table(
        {
            "outlet_id": ["P1"],
            "time": pa.array([datetime(2024, 1, 8, 9)], pa.timestamp("s")),  # naive = CST
            "pollutant": ["a34013"],
            "value": pa.array([4], pa.int32()),
            "zs_value": pa.array([None], pa.float64()),
            "flag": ["N"],
        }
    )
    parsed = convert(RawTable("c.parquet", table, pa.array([2]).to_numpy()), FILES["cems_hourly"])
    row = parsed.table.to_pylist()[0]
    assert row["time"] == _utc(2024, 1, 8, 1) and row["value"] == 4.0


def test_first_duplicate_ignores_null_keys() -> None:
    table = pa.table({"a": ["x", None, "y", None, "x"], "b": [1, 2, 3, 2, 1]})
    assert first_duplicate(table, ["a", "b"]) == (4, 0)
    assert first_duplicate(table.slice(0, 4), ["a", "b"]) is None
