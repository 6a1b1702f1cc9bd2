"""load_bundle: CSV/Parquet, BOM, naive and +08:00 times, mn instead of outlet_id, errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lantian.rules.inputs import BundleError, load_bundle


def registry(root: Path) -> None:
    (root / "registry").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "registry" / "enterprises.csv").write_text(
        "\ufeffenterprise_id,name,industry,city,extra_col\nE1,甲,steel,清河市,x\n",
        encoding="utf-8",
    )
    (root / "registry" / "outlets.csv").write_text(
        "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_so2,line_id\nP1,E1,排口,MN1,6,35,L1\n",
        encoding="utf-8",
    )
    (root / "registry" / "meters.csv").write_text(
        "meter_id,enterprise_id,line_id,role,name,rated_kw\nM1,E1,L1,production,风机,\n",
        encoding="utf-8",
    )


def test_times_offsets_and_optional_files(tmp_path: Path) -> None:
    registry(tmp_path)
    (tmp_path / "data" / "cems_hourly.csv").write_text(
        "mn,time,pollutant,value,zs_value,flag\n"
        "MN1,2024-01-08T00:00:00+08:00,a21026,1,,N\n"
        "MN1,2024-01-08 01:00:00,a21026,2,,\n"
        "MN1,2024-01-07T18:00:00Z,a21026,3,,N\n",
        encoding="utf-8",
    )
    pq.write_table(
        pa.table(
            {
                "meter_id": ["M1"],
                "time": pa.array([1704643200_000_000], pa.timestamp("us", tz="UTC")),
                "kw": [1.5],
            }
        ),
        tmp_path / "data" / "power.parquet",
    )
    inp = load_bundle(tmp_path)
    c = inp.cems.order_by("t").execute()
    base = 1704672000  # 2024-01-08T00:00 CST wall clock
    assert list(c["t"]) == [base, base + 3600, base + 7200]
    assert list(c["outlet_id"]) == ["P1"] * 3
    p = inp.power.execute()
    assert list(p["t"]) == [base]  # 2024-01-07T16:00Z = 2024-01-08T00:00+08:00
    assert inp.alerts.count().execute() == 0 and inp.stations.count().execute() == 0
    o = inp.outlets.execute()
    assert o["limit_pm"].isna().all() and float(o["o2_ref_pct"][0]) == 6.0


def test_bad_value_names_file_line_column(tmp_path: Path) -> None:
    registry(tmp_path)
    (tmp_path / "data" / "cems_hourly.csv").write_text(
        "outlet_id,time,pollutant,value,flag\nP1,2024-01-08T00:00:00,a21026,1,N\n"
        "P1,2024-01-08T01:00:00,a21026,abc,N\n",
        encoding="utf-8",
    )
    with pytest.raises(
        BundleError,
        match=r"data/cems_hourly.csv, line 3, column value: not a number \(value: 'abc'\)",
    ):
        load_bundle(tmp_path)


def test_missing_registry_file(tmp_path: Path) -> None:
    registry(tmp_path)
    (tmp_path / "registry" / "meters.csv").unlink()
    with pytest.raises(BundleError, match="meters"):
        load_bundle(tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-08T00:00:00+08:00",
        "2024-01-08T00:00+08:00",  # no seconds (ISO 8601 allows it)
        "2024-01-08T00:00:00+08",
        "2024-01-08T00:00:00.000+0800",
        "2024-01-07T16:00:00Z",
        "2024-01-07T21:00:00+05",  # DuckDB's own cast silently drops this offset
        "2024-01-07T21:30:00+05:30",
        "2024-01-07T11:00:00-05:00",
        "2024-01-08 00:00",
        " 2024-01-08T00:00:00 ",
    ],
)
def test_every_iso_offset_form_gives_the_same_instant(tmp_path: Path, text: str) -> None:
    registry(tmp_path)
    (tmp_path / "data" / "power.csv").write_text(
        f"meter_id,time,kw\nM1,{text},1.5\n", encoding="utf-8"
    )
    assert list(load_bundle(tmp_path).power.execute()["t"]) == [1704672000]


def test_unparsable_time_names_file_line_column(tmp_path: Path) -> None:
    registry(tmp_path)
    (tmp_path / "data" / "power.csv").write_text(
        "meter_id,time,kw\nM1,2024-01-08T00:00:00,1\nM1,20240108010000,2\n", encoding="utf-8"
    )
    with pytest.raises(BundleError, match=r"data/power.csv, line 3, column time: .*20240108010000"):
        load_bundle(tmp_path)


def test_text_times_in_parquet(tmp_path: Path) -> None:
    """Parquet may carry times as text: read like CSV, and a bad one is named up front."""
    registry(tmp_path)
    times = ["2024-01-07T21:00:00+05", "2024-01-08T01:00"]
    pq.write_table(
        pa.table({"meter_id": ["M1", "M1"], "time": times, "kw": [1.0, 2.0]}),
        tmp_path / "data" / "power.parquet",
    )
    assert list(load_bundle(tmp_path).power.order_by("t").execute()["t"]) == [
        1704672000,
        1704672000 + 3600,
    ]
    pq.write_table(
        pa.table({"meter_id": ["M1", "M1"], "time": [times[0], "yesterday"], "kw": [1.0, 2.0]}),
        tmp_path / "data" / "power.parquet",
    )
    with pytest.raises(BundleError, match=r"data/power.parquet, line 3, column time: .*yesterday"):
        load_bundle(tmp_path)


# ------------------------------------------------ one reader: import and detect agree
def _mini_bundle(root: Path, power_rows: str) -> Path:
    """A bundle valid for both ``lantian import`` and ``lantian detect``."""
    files = {
        "registry/enterprises.csv": (
            "enterprise_id,name,credit_code,industry,city\nE1,甲,91130100700000000B,steel,清河市\n"
        ),
        "registry/outlets.csv": (
            "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_so2,line_id\nP1,E1,排口,MN1,6,35,L1\n"
        ),
        "registry/meters.csv": (
            "meter_id,enterprise_id,line_id,role,name,rated_kw\nM1,E1,L1,production,风机,\n"
        ),
        "data/power.csv": "meter_id,time,kw\n" + power_rows,
    }
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "bad",
    [
        "20240108010000",  # HJ 212 packet form, not ISO 8601
        "2024-01-08T01:00:00+8",  # one-digit offset
        "2024-01-08T01:00:00+08:0",
        "2024-01-08T25:00:00+08:00",  # no such hour
        "2024-02-30T01:00:00",
        "2024-01-08T01:00:00 +08:00",  # space before the offset
        "yesterday",
    ],
)
def test_bad_time_is_reported_the_same_by_import_and_detect(tmp_path: Path, bad: str) -> None:
    from lantian.io import BundleError as IoBundleError
    from lantian.io import read_bundle

    bundle = _mini_bundle(tmp_path, f"M1,2024-01-08T00:00:00,1\nM1,{bad},2\n")
    with pytest.raises(IoBundleError) as by_import:
        read_bundle(bundle)
    with pytest.raises(BundleError) as by_detect:
        load_bundle(bundle)
    assert BundleError is IoBundleError
    a, b = by_import.value.first, by_detect.value.first
    assert (a.file, a.line, a.column, a.value) == ("data/power.csv", 3, "time", bad)
    assert str(a) == str(b)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-08T00:00:00+08:00",
        "2024-01-08T00:00+08:00",
        "2024-01-08T00:00:00+08",
        "2024-01-08T00:00:00.000+0800",
        "2024-01-07T16:00:00Z",
        "2024-01-07T16:00:00z",
        "2024-01-07T21:00:00+05",
        "2024-01-07T21:30:00+05:30",
        "2024-01-07T11:00:00-05:00",
        "2024-01-08 00:00",
        "2024-01-08T00",
        "2024-01-08",
        '"2024-01-08T00:00:00,000"',
    ],
)
def test_import_and_detect_read_the_same_instant(tmp_path: Path, text: str) -> None:
    from lantian.io import read_bundle

    bundle = _mini_bundle(tmp_path, f"M1,{text},1\n")
    imported = read_bundle(bundle)["power"].column("time")[0].as_py()
    detected = int(load_bundle(bundle).power.execute()["t"][0])
    assert imported.timestamp() + 8 * 3600 == detected == 1704672000


def test_bad_number_is_reported_the_same_by_import_and_detect(tmp_path: Path) -> None:
    from lantian.io import read_bundle

    bundle = _mini_bundle(tmp_path, "M1,2024-01-08T00:00:00,1\nM1,2024-01-08T01:00:00,1,5\n")
    bundle.joinpath("data/power.csv").write_text(
        "meter_id,time,kw\nM1,2024-01-08T00:00:00,1\nM1,2024-01-08T01:00:00,1;5\n",
        encoding="utf-8",
    )
    with pytest.raises(BundleError) as by_import:
        read_bundle(bundle)
    with pytest.raises(BundleError) as by_detect:
        load_bundle(bundle)
    assert str(by_import.value.first) == str(by_detect.value.first)
    assert "line 3, column kw: not a number" in str(by_detect.value.first)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_parquet_number_is_refused_by_import_and_detect(
    tmp_path: Path, bad: float
) -> None:
    """A typed Parquet column is read in place by detection: NaN (how pandas writes a
    missing value) or inf is refused as import refuses it, not judged as a number."""
    from lantian.io import read_bundle

    bundle = _mini_bundle(tmp_path, "M1,2024-01-08T00:00:00,1\n")
    bundle.joinpath("data/power.csv").unlink()
    pq.write_table(
        pa.table(
            {
                "meter_id": ["M1", "M1", "M1"],
                "time": pa.array(
                    [1704643200_000_000 + k * 3600_000_000 for k in range(3)],
                    pa.timestamp("us", tz="UTC"),
                ),
                "kw": [1.0, 2.0, bad],
            }
        ),
        bundle / "data" / "power.parquet",
    )
    with pytest.raises(BundleError) as by_import:
        read_bundle(bundle)
    with pytest.raises(BundleError) as by_detect:
        load_bundle(bundle)
    assert "data/power.parquet, line 4, column kw" in str(by_detect.value.first)
    assert "not a finite number" in str(by_detect.value.first)
    assert str(by_import.value.first) == str(by_detect.value.first)


def test_large_csv_is_read_in_blocks_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above STREAM_BYTES a CSV is converted block by block: same rows, same errors
    (file, line, column, value) as the whole-file reader of an import."""
    import lantian.io.detect_tables as dt
    import lantian.io.parse as parse
    from lantian.io import read_bundle

    rows = "".join(
        f"M1,2024-01-{8 + i // 24:02d}T{i % 24:02d}:00:00+08:00,{i}.5\n" + ("\n" if i == 7 else "")
        for i in range(200)
    )
    bundle = _mini_bundle(tmp_path, rows)
    whole = load_bundle(bundle).power.order_by("t").execute()
    monkeypatch.setattr(dt, "STREAM_BYTES", 0)
    real_iter = parse.iter_csv
    blocks: list[int] = []

    def small_blocks(path: Path, label: str, block_size: int = 0) -> object:
        for raw in real_iter(path, label, block_size=1024):
            if label == "data/power.csv":
                blocks.append(raw.table.num_rows)
            yield raw

    monkeypatch.setattr(dt, "iter_csv", small_blocks)
    streamed = load_bundle(bundle).power.order_by("t").execute()
    assert len(blocks) > 3 and sum(blocks) == 200
    assert whole.equals(streamed)
    bad = rows.replace("M1,2024-01-12T03:00:00+08:00", "M1,2024-01-12T03:00:00+8")
    (bundle / "data" / "power.csv").write_text("meter_id,time,kw\n" + bad, encoding="utf-8")
    with pytest.raises(BundleError) as by_import:
        read_bundle(bundle)
    with pytest.raises(BundleError) as by_detect:
        load_bundle(bundle)
    assert str(by_import.value.first) == str(by_detect.value.first)
    assert by_detect.value.first.line == 2 + 99 + 1  # a blank line after row 8
