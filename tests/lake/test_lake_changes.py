"""The lake's change log: what each append touched, consumed as a set of records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from lantian.lake import ChangeRecord, Lake
from lantian.lake.store import CHANGES_DIR
from lantian.timeutil import CST

T0 = datetime(2024, 1, 1, tzinfo=CST)


def cems(rows: list[tuple[str, int]]) -> pa.Table:
    return pa.table(
        {
            "outlet_id": [o for o, _ in rows],
            "time": [T0 + timedelta(hours=h, minutes=0) for _, h in rows],
            "pollutant": ["a21026"] * len(rows),
            "value": [1.0] * len(rows),
        }
    )


def test_append_records_series_and_hours(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    lake.append("cems_hourly", cems([("P1", 0), ("P1", 30), ("P2", 5)]), origin="import")
    lake.append("power", pa.table({"meter_id": ["M1"], "time": [T0], "kw": [3.0]}), origin="import")
    changes = lake.pending_changes()
    assert [c.source for c in changes] == ["cems_hourly", "power"]
    first = changes[0]
    assert first.rows == 3 and changes[0].seq < changes[1].seq
    assert first.series == {
        "P1": (T0.astimezone(UTC), (T0 + timedelta(hours=31)).astimezone(UTC)),
        "P2": (
            (T0 + timedelta(hours=5)).astimezone(UTC),
            (T0 + timedelta(hours=6)).astimezone(UTC),
        ),
    }
    assert changes[1].series == {
        "M1": (T0.astimezone(UTC), (T0 + timedelta(hours=1)).astimezone(UTC))
    }


def test_consumed_by_set_not_by_highest_seq(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    low = lake.next_seq()  # a writer allocated its seq, then was slow to rename
    lake.append("cems_hourly", cems([("P1", 0)]), origin="import")
    seen = lake.pending_changes()
    assert lake.consume_changes(seen) == 1
    # the slow writer's record (lower seq) appears after a higher one was consumed
    slow = ChangeRecord(
        f"{low:020d}-slowwriter00.json",
        low,
        "cems_hourly",
        1,
        {"P9": (T0, T0 + timedelta(hours=1))},
    )
    (tmp_path / CHANGES_DIR / slow.name).write_text(slow.to_json())
    pending = lake.pending_changes()
    assert [c.seq for c in pending] == [low] and low < seen[0].seq
    assert set(pending[0].series) == {"P9"}
    # consuming what was listed never removes records written meanwhile
    lake.append("cems_hourly", cems([("P2", 1)]), origin="gateway")
    assert lake.consume_changes(pending) == 1
    assert [set(c.series) for c in lake.pending_changes()] == [{"P2"}]


def test_compaction_and_failed_appends_leave_no_record(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    lake.append("cems_hourly", cems([("P1", 0)]), origin="import")
    lake.append("cems_hourly", cems([("P1", 0)]), origin="import")
    lake.consume_changes(lake.pending_changes())
    report = lake.compact("cems_hourly")
    assert report.files_merged == 2 and lake.pending_changes() == []
    with pytest.raises(ValueError):
        lake.append("cems_hourly", pa.table({"outlet_id": ["P1"], "bogus": [1]}), origin="import")
    assert lake.pending_changes() == []
    assert not any(p.name.endswith(".part") for p in (tmp_path / CHANGES_DIR).iterdir())


def test_malformed_record_is_named(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    (tmp_path / CHANGES_DIR).mkdir(parents=True)
    (tmp_path / CHANGES_DIR / "0001-x.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"0001-x\.json"):
        lake.pending_changes()
