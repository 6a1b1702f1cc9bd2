"""From the durable archive to the lake: decode accepted packets and append them in batches.

Runs in a separate, lower-priority process (``python -m lantian.gateway.lakefeed``,
started and stopped by the gateway; a thread is possible too), never on the answer path:
decoding and Parquet writing neither take the gateway's GIL nor its CPU when it is busy.
The gateway publishes how far the archive is durable in ``wal/durable.pos`` after every
group commit; the feeder reads up to there. One feeder at a time holds ``wal/lake.lock``.
Its progress is a checkpoint (``LANTIAN_HOME/wal/lake.checkpoint``: archive ``seq`` and
byte position), written after the lake has fsynced a batch. After a crash the archive
records after the checkpoint are decoded and appended again; the lake keeps the newest
row per natural key, so replaying is idempotent.

A re-sent packet (same MN, CN and DataTime) never silently replaces stored values
(:mod:`.integrity`): an identical resend is dropped; a different one is kept in
``data_rewrites``, audited and flagged as a ``DATA_REWRITE`` lead, and replaces the stored
value only when it is an HJ 212-2025 ``RF=1`` resend of a logger with a registered PW.
The feeder also watches each logger's clock (``CLOCK_ANOMALY`` leads). Packets held by
the gateway (``future``, ``before_registration``) never reach the lake.

Mapping: CN 2011 → ``cems_realtime`` (``-Rtd``/``-ZsRtd``), 2051 → ``cems_minute``,
2061 → ``cems_hourly``, 2031 → ``cems_daily`` (``-Avg``/``-ZsAvg``/``-Min``/``-Max``/
``-Cou``), each with its ``-Flag``; ST=44 (electricity monitoring) → ``power`` with
``meter_id`` from the registry's (MN, factor code) and ``kw`` = ``-Rtd`` (or ``-Avg``).

References
----------
.. [1] HJ 212-2017, Table 4 (suffixes ``Rtd Avg Min Max ZsRtd ZsAvg Cou Flag``), Table 8
   (data flags), Table 9 (CN 2011, 2031, 2051, 2061).
.. [2] HJ 212-2025, ST=44 electricity monitoring, RF=1 resends.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from lantian.gateway.archive import Position, iter_records
from lantian.gateway.integrity import (
    ClockFinding,
    ClockWatch,
    Horizon,
    Rewrite,
    RowMeta,
    check_rewrites,
    is_resend,
    store_findings,
)
from lantian.gateway.metrics import Metrics
from lantian.gateway.registry import RegistrySnapshot
from lantian.protocol.hj212.factors import lake_pollutant
from lantian.protocol.hj212.packet import PacketError, parse_packet
from lantian.settings import Settings
from lantian.timeutil import now_cst

__all__ = [
    "CN_SOURCES",
    "DurableMark",
    "LakeFeeder",
    "decode_record",
    "feeder_lock",
    "ingest_quarantined",
    "read_durable",
]

log = logging.getLogger("lantian.gateway.lake")

CN_SOURCES = {
    "2011": "cems_realtime",
    "2051": "cems_minute",
    "2061": "cems_hourly",
    "2031": "cems_daily",
}
"""HJ 212 data command (CN) → lake source for stack (CEMS) data."""

_TIME = pa.timestamp("us", tz="+08:00")
_CEMS_COLUMNS = ("outlet_id", "time", "pollutant", "value", "zs_value", "min", "max", "cou", "flag")


class DurableMark:
    """Publishes the archive's durable end (``seq day offset``) in ``wal/durable.pos``."""

    def __init__(self, wal_dir: Path) -> None:
        wal_dir.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(wal_dir / "durable.pos", os.O_RDWR | os.O_CREAT, 0o644)

    def publish(self, pos: Position, seq: int) -> None:
        """Overwrite the mark (one small pwrite; no fsync: it is derived from the archive)."""
        os.pwrite(self._fd, f"{seq} {pos.day or '-'} {pos.offset}\n".ljust(63).encode() + b"\n", 0)

    def close(self) -> None:
        """Close the file."""
        os.close(self._fd)


def read_durable(wal_dir: Path) -> tuple[Position, int] | None:
    """Read ``wal/durable.pos``; None when absent or being rewritten."""
    try:
        text = (wal_dir / "durable.pos").read_text(encoding="ascii")
        seq, day, offset = text.split()[:3]
        return Position("" if day == "-" else day, int(offset)), int(seq)
    except (OSError, ValueError):
        return None


@contextmanager
def feeder_lock(wal_dir: Path, timeout: float = 30.0) -> Iterator[bool]:
    """Hold ``wal/lake.lock`` (one lake feeder at a time); yields False on timeout."""
    wal_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(wal_dir / "lake.lock", os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.05)
        yield True
    finally:
        os.close(fd)


def _num(values: dict[str, Any], key: str) -> float | None:
    v = values.get(key)
    return v if isinstance(v, float) else None


def decode_record(
    record: dict[str, Any],
    registry: RegistrySnapshot,
    *,
    statuses: frozenset[str] = frozenset({"ok"}),
    require_crc: bool = False,
) -> list[tuple[str, tuple[Any, ...]]]:
    """Return ``(lake source, row)`` pairs for one archive record (empty if nothing to store).

    Rows are tuples in the order of the source's columns (:data:`_CEMS_COLUMNS` or
    ``meter_id, time, kw``). Only records whose archive ``status`` is in ``statuses`` are
    decoded (accepted packets; :func:`ingest_quarantined` also takes ``unknown_mn``).
    With ``require_crc`` a packet whose CRC (the device's variant) is wrong gives no rows
    (the gateway checked accepted packets already; quarantined ones may be unchecked).
    """
    return _decode(record, registry, statuses, require_crc)[1]


def _decode(
    record: dict[str, Any],
    registry: RegistrySnapshot,
    statuses: frozenset[str],
    require_crc: bool,
) -> tuple[bool, list[tuple[str, tuple[Any, ...]]]]:
    """:func:`decode_record`, plus whether the packet is an HJ 212-2025 resend (``RF=1``)."""
    if record.get("status") not in statuses:
        return False, []
    cn = record.get("cn")
    st = record.get("st")
    if cn not in CN_SOURCES:
        return False, []
    raw = record_raw(record)
    if raw is None:
        return False, []
    try:
        # the device's CRC variant and the SM4 keys (HJ 212-2025 encrypted CP) by MN
        packet = parse_packet(
            raw, crc=registry.crc_kind(str(record.get("mn") or "")), sm4_keys=registry.sm4_keys
        )
    except PacketError:
        return False, []
    if require_crc and not packet.crc_ok:
        return False, []
    resend = packet.rf is True
    when: datetime | None = packet.data_time
    if when is None:
        return False, []
    out: list[tuple[str, tuple[Any, ...]]] = []
    mn = packet.mn
    if st == "44":
        for code, values in packet.factors.items():
            meter_id = registry.meters.get((mn, code))
            kw = _num(values, "Rtd")
            if kw is None:
                kw = _num(values, "Avg")
            if meter_id is not None and kw is not None:
                out.append(("power", (meter_id, when, kw)))
        return resend, out
    outlet_id = registry.outlets.get(mn)
    if outlet_id is None:
        return False, []
    source = CN_SOURCES[cn]
    realtime = cn == "2011"
    for code, values in packet.factors.items():
        value = _num(values, "Rtd" if realtime else "Avg")
        if value is None:
            continue
        flag = values.get("Flag")
        out.append(
            (
                source,
                (
                    outlet_id,
                    when,
                    lake_pollutant(code, st) or code,
                    value,
                    _num(values, "ZsRtd" if realtime else "ZsAvg"),
                    None if realtime else _num(values, "Min"),
                    None if realtime else _num(values, "Max"),
                    None if realtime else _num(values, "Cou"),
                    flag if isinstance(flag, str) else None,
                ),
            )
        )
    return resend, out


def record_raw(record: dict[str, Any]) -> bytes | None:
    """The frame of an archived record: ``raw`` (UTF-8) or ``raw_b64`` (any other bytes, e.g.
    GBK text: issue 11, item 11 f), ``None`` when it has neither."""
    if isinstance(record.get("raw"), str):
        return str(record["raw"]).encode("utf-8")
    if isinstance(record.get("raw_b64"), str):
        return base64.b64decode(str(record["raw_b64"]))
    return None


def _stale(record: dict[str, Any], registry: RegistrySnapshot) -> bool:
    """Whether an accepted record needs a newer registry than ``registry``.

    The gateway accepted it, so its MN was registered there; an unknown MN, or an
    encrypted CP without a key here, means this copy of the registry is older.
    """
    if record.get("status") != "ok":
        return False
    mn = str(record.get("mn") or "")
    if registry.kind(mn) == "unknown":
        return True
    return "CP=&&{0" in str(record.get("raw", "")) and mn not in registry.sm4_keys


def _table(source: str, rows: list[tuple[Any, ...]]) -> pa.Table:
    cols = list(zip(*rows, strict=True))
    if source == "power":
        return pa.table(
            {
                "meter_id": pa.array(cols[0], pa.string()),
                "time": pa.array(cols[1], _TIME),
                "kw": pa.array(cols[2], pa.float64()),
            }
        )
    arrays: dict[str, pa.Array] = {}
    for name, col in zip(_CEMS_COLUMNS, cols, strict=True):
        if name == "time":
            arrays[name] = pa.array(col, _TIME)
        elif name in ("outlet_id", "pollutant", "flag"):
            arrays[name] = pa.array(col, pa.string())
        else:
            arrays[name] = pa.array(col, pa.float64())
    return pa.table(arrays)


class LakeFeeder:
    """Tail the durable archive into the lake (see the module docstring).

    Parameters
    ----------
    settings : Settings
        Gives ``archive_dir``, ``lake_dir`` and ``wal_dir`` (checkpoint).
    registry : callable
        Returns the current registry snapshot (MN → outlet, (MN, factor) → meter).
    metrics : Metrics, optional
        Counts lake rows by source.
    """

    def __init__(
        self,
        settings: Settings,
        registry: Callable[[], RegistrySnapshot],
        metrics: Metrics | None = None,
        refresh: Callable[[], RegistrySnapshot] | None = None,
    ) -> None:
        from lantian.lake import Lake

        self.refresh = refresh
        """Reloads the registry now (the feeder process's copy may be older than the
        gateway's: an accepted packet of an MN or key it does not know triggers it)."""
        self.settings = settings
        self.clock = ClockWatch()
        """Clock-drift runs per MN (:class:`~.integrity.ClockWatch`)."""
        self.horizon = Horizon()
        """Latest stored time per subject: later rows need no rewrite lookup."""
        self.rewrites = 0
        """Rewrites found (resent values that differ from the stored ones)."""
        self.clock_findings = 0

        self.archive_root = settings.archive_dir
        self.lake = Lake(settings.lake_dir)
        settings.wal_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoint_path = settings.wal_dir / "lake.checkpoint"
        self.registry = registry
        self.metrics = metrics or Metrics()
        self.rows: dict[str, int] = {}
        self.reload_checkpoint()
        self.refresh_count = 0
        self.written: set[str] = set()
        """Lake sources appended to since the last :meth:`compact`."""
        self._compacted_at = time.monotonic()
        self._durable: tuple[Position, int] = (self.pos, self.done_seq)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.failures = 0

    def _watch_clock(self, record: dict[str, Any]) -> ClockFinding | None:
        """Feed an accepted or future-held packet to the clock watch."""
        if record.get("status") not in ("ok", "future"):
            return None
        try:
            received = datetime.fromisoformat(str(record.get("received_at"))).timestamp()
        except ValueError:
            return None
        return self.clock.observe(
            str(record.get("mn") or ""),
            str(record.get("cn") or ""),
            str(record.get("data_time") or ""),
            received,
            is_resend(str(record.get("raw") or "")),
        )

    def reload_checkpoint(self) -> int:
        """Read the checkpoint (another feeder may have moved it); return its ``seq``."""
        try:
            cp = json.loads(self.checkpoint_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cp = {}
        self.pos = Position(str(cp.get("day", "")), int(cp.get("offset", 0)))
        self.done_seq = int(cp.get("seq", 0))
        self.rows = {str(k): int(v) for k, v in dict(cp.get("rows", {})).items()}
        return self.done_seq

    def notify(self, durable: Position, seq: int) -> None:
        """The archive is durable up to ``durable`` (record ``seq``)."""
        self._durable = (durable, seq)

    def run_once(self, max_records: int = 50_000) -> int:
        """Move at most ``max_records`` archive records into the lake; return how many."""
        with self._lock:
            stop_pos, stop_seq = self._durable
            if self.done_seq >= stop_seq:
                return 0
            rows: dict[str, list[tuple[Any, ...]]] = {}
            registry = self.registry()
            count = 0
            last_pos = self.pos
            last_seq = self.done_seq
            metas: dict[str, list[RowMeta]] = {}
            clocks: list[ClockFinding] = []
            for pos, record in iter_records(self.archive_root, self.pos, stop_pos):
                count += 1
                last_pos = pos
                last_seq = int(record["seq"])
                if self.refresh is not None and _stale(record, registry):
                    registry = self.refresh()
                    self.refresh_count += 1
                resend, decoded = _decode(record, registry, frozenset({"ok"}), False)
                finding = self._watch_clock(record)
                if finding is not None:
                    clocks.append(finding)
                if decoded:
                    mn = str(record.get("mn") or "")
                    meta = RowMeta(
                        last_seq,
                        mn,
                        resend,
                        registry.passwords.get(mn.encode()) is not None,
                        str(record.get("received_at") or ""),
                    )
                for source, row in decoded:
                    rows.setdefault(source, []).append(row)
                    metas.setdefault(source, []).append(meta)
                if count >= max_records:
                    break
            rewrites: list[Rewrite] = []
            for source in list(rows):
                rows[source], found = check_rewrites(
                    self.lake, source, rows[source], metas[source], self.horizon
                )
                rewrites += found
                if not rows[source]:
                    del rows[source]
            if rewrites or clocks:
                # evidence first: a failure here retries the batch from the checkpoint
                store_findings(self.settings, registry, rewrites, clocks)
                self.rewrites += len(rewrites)
                self.clock_findings += len(clocks)
            stamp = now_cst()
            for source, source_rows in rows.items():
                stored = self.lake.append(
                    source, _table(source, source_rows), origin="gateway", ingested_at=stamp
                )
                self.metrics.lake_rows[source] += stored
                self.rows[source] = self.rows.get(source, 0) + stored
                self.written.add(source)
            self._save(last_pos, last_seq)
            return count

    def compact(self) -> int:
        """Compact the day partitions of the sources written since the last call.

        Each feeder batch adds one file per day partition; :meth:`Lake.compact` merges a
        partition's files into one deduplicated file, so reads do not have to deduplicate
        thousands of small files. Returns the partitions compacted.
        """
        with self._lock:
            sources, self.written = sorted(self.written), set()
            self._compacted_at = time.monotonic()
            merged = 0
            for source in sources:
                report = self.lake.compact(source)
                merged += len(report.partitions)
                if report.partitions:
                    log.info(
                        "lake %s: %d partition(s) compacted (%d files) in %.2f s",
                        source,
                        len(report.partitions),
                        report.files_merged,
                        report.seconds,
                    )
            return merged

    def compact_due(self, interval: float | None) -> int:
        """:meth:`compact` when ``interval`` seconds have passed (``None``/``<= 0``: never)."""
        if not interval or interval <= 0 or not self.written:
            return 0
        if time.monotonic() - self._compacted_at < interval:
            return 0
        return self.compact()

    def _save(self, pos: Position, seq: int) -> None:
        tmp = self.checkpoint_path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"seq": seq, "day": pos.day, "offset": pos.offset, "rows": self.rows}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.checkpoint_path)
        self.pos = pos
        self.done_seq = seq

    def catch_up(self) -> int:
        """Run until the lake has everything durable so far; return records processed."""
        total = 0
        while True:
            n = self.run_once()
            if n == 0:
                return total
            total += n

    def start(
        self, interval: float = 2.0, batch: int = 50_000, compact_interval: float | None = None
    ) -> None:
        """Start the background thread (one batch every ``interval`` seconds or sooner).

        With ``compact_interval`` the sources written are compacted that often (seconds),
        and once more by :meth:`stop`.
        """
        self._compact_interval = compact_interval

        def loop() -> None:
            while not self._stop.is_set():
                self._stop.wait(interval)
                try:
                    while self.run_once(batch) >= batch and not self._stop.is_set():
                        pass
                    self.compact_due(compact_interval)
                except Exception:
                    self.failures += 1
                    self.metrics.errors["lake_write"] += 1
                    log.exception("lake append failed; retrying from the checkpoint")

        self._thread = threading.Thread(target=loop, name="gateway-lake", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and move what is left into the lake."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.catch_up()
        except Exception:
            log.exception("final lake flush failed; the next start replays it")
        if getattr(self, "_compact_interval", None):
            try:
                self.compact()
            except Exception:
                log.exception("lake compaction at shutdown failed")


@dataclass
class QuarantineIngest:
    """Outcome of :func:`ingest_quarantined`."""

    records: int = 0
    """Quarantined (unknown MN) archive records of the MN found."""
    decoded: int = 0
    """Of these, records whose rows went to the lake."""
    superseded: int = 0
    """Records skipped because a later accepted packet has the same CN and DataTime."""
    rows: dict[str, int] = field(default_factory=dict)
    """Lake rows written by source."""
    bad_pw: int = 0
    """Records skipped because their PW is not the one now registered (or none is)."""
    held: int = 0
    """Records skipped because their data time lies in the future or before registration."""


def _pw_of(record: dict[str, Any]) -> bytes | None:
    """The ``PW`` header field of an archived packet."""
    from lantian.gateway.fastpath import header_fields

    raw = record_raw(record) or b""
    return header_fields(raw[6:]).get(b"PW")


def ingest_quarantined(
    settings: Settings, mn: str, registry: RegistrySnapshot | None = None
) -> QuarantineIngest:
    """Decode the archived, quarantined packets of a now registered ``mn`` into the lake.

    Packets of an MN that was unknown when they arrived are archived with status
    ``unknown_mn`` and kept out of the lake. Once the MN is in the registry they are read
    again from the archive, decoded with the registry (outlet or meters, CRC variant,
    SM4 key) and appended to the lake. A packet is skipped when the archive holds a later
    accepted packet of the MN with the same CN and DataTime (the newer values stay).
    Idempotent: the lake keeps one row per natural key, so running it again stores the
    same rows. Packets with a wrong PW (``bad_pw``) are never ingested, and quarantined
    packets whose PW is not the one now registered (or of an MN registered without a PW
    and without ``allow_no_pw``) are skipped (``bad_pw`` count), as are packets whose data
    time lies beyond now + ``future_margin_h`` or before the registration (``held``).

    Raises
    ------
    ValueError
        If ``mn`` is not registered (as an outlet's or a meter's data logger).

    References
    ----------
    .. [1] HJ 212-2017, Table 3 (MN, PW), Table 4 (DataTime), Table 9 (data CNs).
    """
    from lantian.gateway.registry import load_registry, time_status

    registry = registry or load_registry(settings)
    if registry.kind(mn) == "unknown":
        raise ValueError(f"MN {mn} is not registered (add its outlet or meter first)")
    quarantined: list[dict[str, Any]] = []
    accepted: dict[tuple[str, str], int] = {}
    from itertools import chain

    from lantian.gateway.archive import iter_quarantine

    # unknown-MN packets: the gateway's quarantine area (older archives hold them too)
    area = iter_quarantine(settings.resolved_home / "gateway" / "quarantine")
    for record in chain((r for _, r in iter_records(settings.archive_dir)), area):
        if record.get("mn") != mn:
            continue
        if record.get("status") == "unknown_mn":
            quarantined.append(record)
        elif record.get("status") == "ok":
            key = (str(record.get("cn")), str(record.get("data_time")))
            accepted[key] = max(accepted.get(key, 0), int(record["seq"]))
    result = QuarantineIngest(records=len(quarantined))
    rows: dict[str, list[tuple[Any, ...]]] = {}
    required = registry.passwords.get(mn.encode())
    no_pw = mn.encode() in registry.no_pw
    for record in quarantined:
        later = accepted.get((str(record.get("cn")), str(record.get("data_time"))), 0)
        if record.get("data_time") and later > int(record["seq"]):
            result.superseded += 1
            continue
        # the PW was not checked while the MN was unknown: check it against the registry now
        if no_pw or (required is not None and _pw_of(record) != required):
            result.bad_pw += 1
            continue
        # the data time was not bounded either: future or pre-registration data stays out
        held = time_status(
            registry,
            mn.encode(),
            str(record.get("cn") or "").encode(),
            str(record.get("data_time") or "").encode(),
            time.time(),
            settings.future_margin_h * 3600.0,
        )
        if held != "ok":
            result.held += 1
            continue
        decoded = decode_record(
            record, registry, statuses=frozenset({"unknown_mn"}), require_crc=True
        )
        if decoded:
            result.decoded += 1
        for source, row in decoded:
            rows.setdefault(source, []).append(row)
    if not rows:
        return result
    from lantian.lake import Lake

    lake = Lake(settings.lake_dir)
    stamp = now_cst()
    with feeder_lock(settings.wal_dir, timeout=120) as locked:
        if not locked:
            raise RuntimeError("the lake feeder lock is busy; try again")
        for source, source_rows in rows.items():
            result.rows[source] = lake.append(
                source, _table(source, source_rows), origin="gateway", ingested_at=stamp
            )
        for source in rows:
            lake.compact(source)
    return result


def _background_priority() -> None:
    """Run the feeder only on CPU time the gateway leaves idle.

    The lake is deliberately off the answer path (packets are durable in the archive before
    they are answered), so under a burst the gateway's framing, fsync and answers come first
    and the feeder catches up afterwards. Linux SCHED_IDLE does exactly that; elsewhere the
    lowest nice level.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)


def feeder_main(argv: list[str] | None = None) -> int:
    """Entry of the feeder process (started by the gateway; exits when the gateway dies)."""
    from lantian.gateway.registry import load_registry
    from lantian.settings import get_settings

    ap = argparse.ArgumentParser(prog="python -m lantian.gateway.lakefeed")
    ap.add_argument("--parent", type=int, required=True)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--registry-reload", type=float, default=10.0)
    ap.add_argument("--compact-interval", type=float, default=900.0, help="0 = never")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    _background_priority()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    settings = get_settings()
    registry = load_registry(settings)
    loaded = time.monotonic()
    refreshed = 0.0

    def refresh() -> RegistrySnapshot:
        # at most once a second (an MN that stays unknown must not reload per record)
        nonlocal registry, loaded, refreshed
        if time.monotonic() - refreshed >= 1.0:
            registry = load_registry(settings)
            loaded = refreshed = time.monotonic()
        return registry

    feeder = LakeFeeder(settings, lambda: registry, refresh=refresh)
    with feeder_lock(settings.wal_dir, timeout=120) as locked:
        if not locked:
            log.error("another lake feeder holds %s", settings.wal_dir / "lake.lock")
            return 1
        feeder.reload_checkpoint()
        while True:
            last = stop.is_set() or os.getppid() != args.parent
            mark = read_durable(settings.wal_dir)
            if mark is not None:
                feeder.notify(*mark)
            try:
                if time.monotonic() - loaded > args.registry_reload:
                    registry = load_registry(settings)
                    loaded = time.monotonic()
                while feeder.run_once(args.batch) >= args.batch and not stop.is_set():
                    pass
                if last:
                    feeder.catch_up()
                    if args.compact_interval > 0:
                        feeder.compact()
                else:
                    feeder.compact_due(args.compact_interval)
            except Exception:
                log.exception("lake append or compaction failed; retrying from the checkpoint")
            if last:
                return 0
            stop.wait(args.interval)


if __name__ == "__main__":
    raise SystemExit(feeder_main())
