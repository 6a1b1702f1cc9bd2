"""The rotating unknown-MN quarantine area, the capped quarantine list, escaped peer text."""

from __future__ import annotations

from pathlib import Path

from lantian.gateway.archive import QuarantineStore, iter_quarantine
from lantian.gateway.registry import RegistrySnapshot
from lantian.gateway.status import LoggerBook, safe_text


def _fill(store: QuarantineStore, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        assert store.add(
            7,
            1_704_643_200.5,
            "127.0.0.2:1",
            "unknown_mn",
            f"FAKE{i:05d}",
            "",
            "31",
            "2051",
            "20240108000000",
            b"##0010" + b"x" * 200,
        )
        store.write(store.take())


def test_quarantine_area_rotates_within_its_size_and_counts(tmp_path: Path) -> None:
    store = QuarantineStore(tmp_path / "q", max_bytes=8_000, segments=4)
    _fill(store, 200)
    size = sum(p.stat().st_size for p in store.files())
    assert size <= 8_000
    assert len(store.files()) <= 4
    kept = list(iter_quarantine(tmp_path / "q"))
    assert store.records == 200
    assert store.evicted + len(kept) == 200 and store.evicted > 0
    assert kept[-1]["mn"] == "FAKE00199" and kept[-1]["status"] == "unknown_mn"
    assert kept[-1]["seq"] == 7 and kept[-1]["received_at"].endswith("+08:00")
    # a restart continues after the newest file (nothing overwritten)
    again = QuarantineStore(tmp_path / "q", max_bytes=8_000, segments=4)
    _fill(again, 1, 200)
    assert list(iter_quarantine(tmp_path / "q"))[-1]["mn"] == "FAKE00200"


def test_quarantine_area_buffer_is_bounded(tmp_path: Path) -> None:
    store = QuarantineStore(tmp_path / "q", max_bytes=8_000, segments=4)
    results = [
        store.add(1, 0.0, "p", "unknown_mn", f"M{i}", "", "", "2051", "", b"x" * 300)
        for i in range(100)
    ]
    assert results.count(False) == store.dropped > 0
    assert store.pending_bytes <= 4 * store.segment_bytes + 400


def test_quarantine_list_is_capped_and_escaped() -> None:
    book = LoggerBook(max_quarantine=3)
    for i in range(10):
        book.quarantine(f"M{i}\nforged", "unknown_mn", "127.0.0.2:1", 1_704_643_200.0, i)
    rows = book.quarantine_list()
    assert len(rows) == 3 and book.quarantine_unlisted == 7
    assert all("\n" not in r["mn"] and r["mn"].endswith("\\x0aforged") for r in rows)
    registry = RegistrySnapshot(passwords={b"A\rB": None})
    assert book.loggers(registry, 0.0, 900)[0]["mn"] == "A\\x0dB"


def test_safe_text_escapes_control_characters_and_backslashes() -> None:
    assert safe_text("MN0001") == "MN0001"
    assert safe_text("a\nb\r\x00\x1b\x85\u2028") == "a\\x0ab\\x0d\\x00\\x1b\\x85\\u2028"
    # an escaped text is not confused with an original containing the escape
    assert safe_text("a\\x0ab") == "a\\\\x0ab" != safe_text("a\nb")


def test_quarantine_list_survives_a_restart_escaped_once(tmp_path: Path) -> None:
    from lantian.gateway.status import write_json_atomic

    book = LoggerBook()
    book.quarantine("A\nB", "unknown_mn", "127.0.0.2:1", 1_704_643_200.0, 1)
    write_json_atomic(tmp_path / "quarantine.json", book.quarantine_list())
    (tmp_path / "status.json").write_text("[]")
    again = LoggerBook()
    again.load(tmp_path)
    again.quarantine("A\nB", "unknown_mn", "127.0.0.2:1", 1_704_643_260.0, 2)
    rows = again.quarantine_list()
    assert [(r["mn"], r["count"]) for r in rows] == [("A\\x0aB", 2)]
