"""The ``*_with_problems`` fixtures: every bad row is reported with file, line, column, value."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantian.io import BundleError, Known, check_file, convert, read_table
from lantian.io.formats import FILES

PROBLEMS = Path(__file__).parent / "data" / "files_with_problems"


def _known() -> Known:
    k = Known()
    k.enterprises = {"E1", "E2"}
    k.outlets = {"P1", "P2"}
    k.outlet_mns = {"88888880000001": "P1", "88888880000002": "P2"}
    k.meters = {"M1", "M2"}
    k.stations = {"S1"}
    k.lines = {"E1-L1": "E1"}
    return k


def _refuse(file: str, spec: str) -> BundleError:
    raw = read_table(PROBLEMS / file, file)
    with pytest.raises(BundleError) as info:
        check_file(convert(raw, FILES[spec]), _known())
    return info.value


def _where(err: BundleError) -> list[tuple[int | None, str | None, str | None]]:
    return [(i.line, i.column, i.value) for i in err.issues]


def test_enterprises_with_problems_reports_each_column() -> None:
    err = _refuse("enterprises_with_problems.csv", "enterprises")
    assert _where(err) == [
        (3, "credit_code", "91130100IO0000000"),
        (4, "industry", "mining"),
        (5, "lon", "200"),
        (6, "grade", "E"),
        (6, "positive_list", "maybe"),
    ]
    text = str(err)
    assert text.startswith("enterprises_with_problems.csv, line 3, column credit_code:")
    assert "GB 32100" in text and "'91130100IO0000000'" in text
    assert "4 more problem" in text
    messages = {i.column: i.message for i in err.issues}
    assert "one of" in messages["industry"] and "coal_power" in messages["industry"]
    assert "≤ 180" in messages["lon"]
    assert "true or false" in messages["positive_list"]


def test_cems_with_problems_number_flag_time_code() -> None:
    err = _refuse("cems_hourly_with_problems.csv", "cems_hourly")
    assert _where(err) == [
        (3, "value", "abc"),
        (4, "flag", "X"),
        (5, "time", "2024-01-08 25:00"),
        (6, "pollutant", "PM25"),
    ]
    by_col = {i.column: i.message for i in err.issues}
    assert by_col["value"] == "not a number"
    assert "N, F, M, S, D, C, T, B" in by_col["flag"]
    assert "HJ 212" in by_col["pollutant"]


def test_nan_is_not_a_value(tmp_path: Path) -> None:
    lines = (PROBLEMS / "cems_hourly_with_problems.csv").read_text().splitlines()
    path = tmp_path / "cems.csv"
    path.write_text("\n".join([lines[0], lines[1], lines[6]]) + "\n")
    with pytest.raises(BundleError) as info:
        convert(read_table(path), FILES["cems_hourly"])
    assert _where(info.value) == [(3, "value", "nan")]
    assert info.value.first.message == "not a finite number"


@pytest.mark.parametrize(
    ("file", "spec", "line", "column", "value", "fragment"),
    [
        ("cems_hourly_duplicate.csv", "cems_hourly", 4, "pollutant", "P2", "already on line 2"),
        ("cems_hourly_unknown_mn.csv", "cems_hourly", 4, "mn", "99999990000009", "unknown"),
        ("power_unknown_meter.csv", "power", 3, "meter_id", "M9", "unknown meter"),
        ("alerts_end_before_start.csv", "alerts", 2, "end", "2024-01-14", "after start"),
        ("measures_limit_without_pct.csv", "measures", 3, "limit_pct", "", "needs limit_pct"),
        ("outlets_missing_column.csv", "outlets", 1, "mn", None, "required column"),
        ("meters_line_conflict.csv", "meters", 3, "line_id", "E1-L1", "belongs to enterprise E1"),
        ("enterprises_not_utf8.csv", "enterprises", 3, None, None, "UTF-8"),
    ],
)
def test_row_problems(
    file: str, spec: str, line: int, column: str | None, value: str | None, fragment: str
) -> None:
    raw_err: BundleError
    try:
        read_table(PROBLEMS / file, file)
    except BundleError as exc:  # unreadable files fail while reading
        raw_err = exc
    else:
        raw_err = _refuse(file, spec)
    first = raw_err.first
    assert (first.file, first.line, first.column) == (file, line, column)
    if value is None:
        assert first.value is None
    else:
        assert first.value is not None and first.value.startswith(value)
    assert fragment in first.message
    assert f"line {line}" in str(raw_err)


def test_issue_text_format() -> None:
    err = _refuse("power_unknown_meter.csv", "power")
    assert str(err) == (
        "power_unknown_meter.csv, line 3, column meter_id: "
        "unknown meter (not in the registry) (value: 'M9')"
    )
