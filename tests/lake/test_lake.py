"""The measurement lake: schema coercion, day partitions, dedup (latest write wins), compaction."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lantian.lake import SOURCES, Lake
from lantian.lake.schema import TIME_TYPE
from lantian.timeutil import CST

T0 = datetime(2024, 1, 8, 0, 0, tzinfo=CST)


def _cems(values: list[float], start: datetime = T0, outlet: str = "P1") -> pa.Table:
    times = [start + timedelta(hours=i) for i in range(len(values))]
    return pa.table(
        {
            "outlet_id": [outlet] * len(values),
            "time": pa.array(times, pa.timestamp("us", tz="+08:00")),
            "pollutant": ["a34013"] * len(values),
            "value": values,
            "flag": ["N"] * len(values),
        }
    )


def _all(lake: Lake, source: str, order: str) -> list[tuple[object, ...]]:
    con = lake.connect()
    cols = ", ".join(c for c in SOURCES[source].columns if c not in ("ingested_at", "seq"))
    return con.sql(f"SELECT {cols} FROM {source} ORDER BY {order}").fetchall()


def test_append_and_read_back(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    assert lake.append("cems_hourly", _cems([1.0, 2.0, 3.0]), origin="import") == 3
    got = lake.read("cems_hourly")
    spec = SOURCES["cems_hourly"].schema
    assert [(f.name, f.type) for f in got.schema] == [(f.name, f.type) for f in spec]
    assert got.column("value").to_pylist() == [1.0, 2.0, 3.0]
    assert got.column("time")[0].as_py() == T0.astimezone(UTC)
    assert got.column("zs_value").null_count == 3
    assert set(got.column("source").to_pylist()) == {"import"}


def test_naive_times_are_cst_and_float32_keeps_decimals(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    table = pa.table(
        {
            "meter_id": pa.array(["M1"]).dictionary_encode(),
            "time": pa.array([datetime(2024, 1, 8, 9, 0)], pa.timestamp("s")),
            "kw": pa.array([2654.9], pa.float32()),
        }
    )
    lake.append("power", table, origin="gateway")
    row = lake.read("power").to_pylist()[0]
    assert row["time"] == datetime(2024, 1, 8, 1, 0, tzinfo=UTC)
    assert row["kw"] == 2654.9
    assert row["source"] == "gateway"


def test_partitioned_by_cst_day(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    # 2024-01-09T01:00+08:00 is 2024-01-08T17:00Z: it belongs to the CST day 2024-01-09
    lake.append("cems_hourly", _cems([1.0, 2.0], start=T0 + timedelta(hours=23)), origin="import")
    days = [p.name for p in lake.partitions("cems_hourly")]
    assert days == ["date=2024-01-08", "date=2024-01-09"]
    for part in lake.partitions("cems_hourly"):
        assert len(list(part.glob("*.parquet"))) == 1
        assert not [p for p in part.iterdir() if p.suffix == ".part"]


def test_resent_values_replace(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.append("cems_hourly", _cems([1.0, 2.0, 3.0]), origin="import")
    lake.append("cems_hourly", _cems([9.0], start=T0 + timedelta(hours=1)), origin="gateway")
    rows = _all(lake, "cems_hourly", "time")
    assert [(r[3], r[-1]) for r in rows] == [(1.0, "import"), (9.0, "gateway"), (3.0, "import")]
    assert lake.stats()["cems_hourly"]["rows"] == 4  # stored, before deduplication


def test_duplicates_within_one_write_keep_the_last(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    table = pa.concat_tables([_cems([1.0, 2.0]), _cems([5.0])])
    assert lake.append("cems_hourly", table, origin="import") == 2
    assert [r[3] for r in _all(lake, "cems_hourly", "time")] == [5.0, 2.0]


def test_compaction_keeps_results_identical(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.append("cems_hourly", _cems([float(i) for i in range(30)]), origin="import")
    lake.append(
        "cems_hourly", _cems([100.0, 101.0], start=T0 + timedelta(hours=5)), origin="import"
    )
    lake.append("cems_hourly", _cems([7.0] * 3, outlet="P2"), origin="gateway")
    power = pa.table({"meter_id": ["M1"], "time": [T0], "kw": [1.0]})
    lake.append("power", power, origin="import")
    before = _all(lake, "cems_hourly", "outlet_id, time")
    files_before = lake.stats()["cems_hourly"]["files"]

    report = lake.compact("cems_hourly")

    assert _all(lake, "cems_hourly", "outlet_id, time") == before
    assert report.rows_removed == 2
    assert report.files_merged == files_before - 1  # day 2 had a single file
    assert {p.day for p in report.partitions} == {"2024-01-08"}
    stats = lake.stats()["cems_hourly"]
    assert stats["files"] == stats["partitions"] == 2
    assert stats["rows"] == len(before)
    # a later write still wins over compacted rows (they keep their seq)
    lake.append("cems_hourly", _cems([55.0]), origin="gateway")
    assert _all(lake, "cems_hourly", "outlet_id, time")[0][3] == 55.0
    assert lake.compact().rows_removed == 1
    assert lake.stats()["power"]["files"] == 1  # single-file partitions are left alone


def test_compaction_does_not_lose_concurrent_writes(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.append("power", pa.table({"meter_id": ["M0"], "time": [T0], "kw": [0.0]}), origin="import")
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 200:
            t = T0 + timedelta(minutes=5 * (i % 3))  # three partitions of one day, rewritten
            lake.append(
                "power", pa.table({"meter_id": [f"M{i}"], "time": [t], "kw": [float(i)]}),
                origin="gateway",
            )  # fmt: skip
            written.append(i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(10):
            lake.compact("power")
    finally:
        stop.set()
        thread.join()
    lake.compact("power")
    con = lake.connect()
    got = dict(con.sql("SELECT meter_id, kw FROM power").fetchall())
    assert got == {"M0": 0.0, **{f"M{i}": float(i) for i in written}}


def test_reader_never_sees_temporary_files(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.append("power", pa.table({"meter_id": ["M1"], "time": [T0], "kw": [1.0]}), origin="import")
    part = lake.partitions("power")[0]
    # a crashed writer leaves a temporary file: it must be invisible
    (part / ".00000000000000000001-dead.parquet.part").write_bytes(b"garbage")
    assert _all(lake, "power", "meter_id") == [("M1", _utc(T0), 1.0, "import")]
    assert lake.stats()["power"]["files"] == 1


def _utc(value: datetime) -> datetime:
    return value.astimezone(CST)


def test_empty_sources_have_typed_views(tmp_path: Path) -> None:
    con = Lake(tmp_path / "lake").connect()
    for name, spec in SOURCES.items():
        rel = con.sql(f"SELECT * FROM {name}")
        assert rel.columns == list(spec.columns)
        assert rel.fetchall() == []


def test_scan_sql_time_window(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.append("cems_hourly", _cems([float(i) for i in range(48)]), origin="import")
    sql = lake.scan_sql("cems_hourly", T0 + timedelta(hours=20), T0 + timedelta(hours=26))
    con = lake.connect()
    values = [r[0] for r in con.sql(f"SELECT value FROM {sql} ORDER BY time").fetchall()]
    assert values == [20.0, 21.0, 22.0, 23.0, 24.0, 25.0]
    naive = lake.scan_sql("cems_hourly", datetime(2024, 1, 9, 0, 0))
    assert con.sql(f"SELECT min(value) FROM {naive}").fetchall() == [(24.0,)]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"meter_id": ["M1"], "time": [T0]}), "missing required column 'kw'"),
        (
            pa.table(
                {"meter_id": [None], "time": [T0], "kw": [1.0]},
            ),
            "null value(s) in 'meter_id'",
        ),
        (pa.table({"meter_id": ["M1"], "time": [T0], "kw": [1.0], "x": [1]}), "unknown column"),
        (
            pa.table({"meter_id": ["M1"], "time": [T0], "kw": [1.0], "source": ["web"]}),
            "'source' must be one of",
        ),
    ],
)
def test_bad_tables_are_refused_and_nothing_written(
    tmp_path: Path, table: pa.Table, message: str
) -> None:
    lake = Lake(tmp_path / "lake")
    with pytest.raises(ValueError, match="power") as info:
        lake.append("power", table, origin="import")
    assert message in str(info.value)
    assert lake.files("power") == []


def test_unknown_source(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="unknown lake source"):
        Lake(tmp_path).append("nope", pa.table({"a": [1]}))


def test_seq_increases_across_lake_objects(tmp_path: Path) -> None:
    a, b = Lake(tmp_path), Lake(tmp_path)
    seqs = [a.next_seq(), b.next_seq(), a.next_seq()]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


def test_files_are_plain_parquet_in_utc(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.append("ambient_hourly", pa.table(
        {"station_id": ["S1"], "time": [T0], "pollutant": ["PM2.5"], "value": [43]}
    ), origin="import")  # fmt: skip
    (path,) = lake.files("ambient_hourly")
    table = pq.read_table(path)
    assert table.schema.field("time").type == TIME_TYPE
    assert table.column("value").to_pylist() == [43.0]


def _three_writes(lake: Lake) -> None:
    lake.append("cems_hourly", _cems([1.0, 2.0, 3.0]), origin="import")
    lake.append("cems_hourly", _cems([9.0]), origin="gateway")
    lake.append("cems_hourly", _cems([8.0], start=T0 + timedelta(hours=2)), origin="gateway")


def test_older_snapshot_still_reads_during_grace(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    _three_writes(lake)
    old = lake.connect()
    expected = [(9.0,), (2.0,), (8.0,)]
    assert old.sql("SELECT value FROM cems_hourly ORDER BY time").fetchall() == expected
    report = lake.compact()
    assert report.files_merged == 3 and report.files_purged == 0
    part = lake.partitions("cems_hourly")[0]
    assert len(list(part.glob("*.parquet"))) == 4  # old files kept for the grace period
    assert len(lake.live_files(part)) == 1
    assert old.sql("SELECT value FROM cems_hourly ORDER BY time").fetchall() == expected
    new = lake.connect()
    assert new.sql("SELECT value FROM cems_hourly ORDER BY time").fetchall() == expected
    # after the grace period the replaced files go (here: grace 0 on the next compaction)
    assert lake.compact(grace_seconds=0).files_purged == 3
    assert [p.name for p in part.iterdir() if not p.name.startswith(".")] == [
        lake.live_files(part)[0].name
    ]
    assert new.sql("SELECT value FROM cems_hourly ORDER BY time").fetchall() == expected


def test_orphan_replaces_file_is_ignored(tmp_path: Path) -> None:
    """A compaction that crashed between its two renames hides nothing."""
    lake = Lake(tmp_path / "lake")
    _three_writes(lake)
    part = lake.partitions("cems_hourly")[0]
    names = [f.name for f in lake.live_files(part)]
    (part / "99999999999999999999-cdead.parquet.replaces").write_text("\n".join(names))
    assert len(lake.live_files(part)) == 3
    assert [r[3] for r in _all(lake, "cems_hourly", "time")] == [9.0, 2.0, 8.0]
    lake.compact(grace_seconds=0)
    assert not list(part.glob("*cdead*"))
    assert [r[3] for r in _all(lake, "cems_hourly", "time")] == [9.0, 2.0, 8.0]


@pytest.mark.parametrize("seed", range(3))
def test_latest_write_wins_random_histories(tmp_path: Path, seed: int) -> None:
    """Random writes (big and small, re-sent keys, several days) and compactions: the
    view always equals a plain dictionary where every write overwrites its keys."""
    import random

    rng = random.Random(seed)
    lake = Lake(tmp_path / "lake")
    expected: dict[tuple[str, datetime], float] = {}
    slots = [T0 + timedelta(hours=h) for h in range(0, 60, 3)]  # three CST days
    for step in range(10):
        size = rng.choice([1, 2, 5, 40])
        keys = {(f"M{rng.randrange(4)}", rng.choice(slots)) for _ in range(size)}
        rows = [(m, t, float(rng.randrange(1000))) for m, t in sorted(keys)]
        lake.append(
            "power",
            pa.table(
                {
                    "meter_id": [r[0] for r in rows],
                    "time": pa.array([r[1] for r in rows], pa.timestamp("us", tz="+08:00")),
                    "kw": [r[2] for r in rows],
                }
            ),
            origin="gateway",
        )
        expected.update({(m, t.astimezone(UTC)): v for m, t, v in rows})
        if rng.random() < 0.25:
            lake.compact("power", grace_seconds=rng.choice([0.0, 600.0]))
        table = lake.read("power")
        got = {(r["meter_id"], r["time"]): r["kw"] for r in table.to_pylist()}
        assert table.num_rows == len(got)  # each key once
        assert got == expected, f"step {step}"
