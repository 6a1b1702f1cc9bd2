"""The HJ 212 ingest gateway: an asyncio TCP server with durable acknowledgements.

Pipeline
--------
1. Each connection is an :class:`asyncio.Protocol` with its own :class:`Framer`; a frame
   with a bad CRC or a broken structure is counted and logged, never answered.
2. The header (QN, ST, CN, PW, MN, Flag) is read cheaply (:mod:`.fastpath`). An MN that
   is not in the registry, a wrong PW, or a logger registered without a PW (unless its
   ``allow_no_pw`` is set) makes the packet *quarantined*: listed for admins, not answered
   and never sent to the lake. A wrong or missing PW of a registered MN is archived with
   that status (evidence); an unknown MN (anyone can invent one) goes to a bounded,
   rotating quarantine area outside the archive (:class:`.archive.QuarantineStore`). An
   authenticated packet whose ``DataTime`` lies beyond now + ``future_margin_h`` or before
   the logger's registration is answered (it is stored) but *held* the same way
   (``future``, ``before_registration``; :func:`~.registry.time_status`).
3. Accepted packets are chained into the archive's pending batch (:mod:`.archive`, which
   is the write-ahead log). A committer task writes the pending batch with one write and
   one ``fdatasync`` in a worker thread while the event loop keeps receiving; everything
   that arrived during that fsync forms the next batch (group commit). Only after its
   batch is on disk does a packet get its 9014 answer (if its Flag asks for one).
4. A lake feeder (:mod:`.lakefeed`) reads the durable archive in batches, decodes the
   packets fully and appends them to the lake; it is not on the answer path. On start the
   archive tail not yet in the lake is replayed (idempotent: the lake keeps the newest row
   per natural key).

Protection: maximum connections, and per address (IP) at most ``max_conns_per_ip``
connections, ``ip_max_bytes`` bytes and ``ip_max_unknown`` unknown-MN frames per
``ip_window`` seconds; maximum frame size, a read timeout for a started frame (slowloris),
a short timeout until the first valid frame and a longer idle timeout after it, a per-MN
token-bucket rate limit, and bounded memory: when too many records wait for the disk, or a
peer does not read its answers, reading from the peer is paused (TCP backpressure). A
disk-space guard refuses new connections and stops reading (answering nothing it could
not store) while the archive's file system has less than ``min_free_bytes`` free, raises
an alarm (log, ``/status``, ``/metrics``) and resumes when space returns. Peer-chosen text
(MN, bytes quoted in reasons) is escaped in log lines and status output.

References
----------
.. [1] HJ 212-2017, §6.3 (frame), Table 3 (Flag A bit: answer required), Appendix C
   Table C.14 (upload and 9014 data response).
.. [2] HJ 212-2025 (RF=1 resends, Flag 8-11, heartbeat 9015).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from lantian.gateway.archive import ArchiveWriter, QuarantineStore
from lantian.gateway.fastpath import (
    UNPADDED,
    Framer,
    build_ack,
    crc16_modbus_swapped,
    crc_matches,
    data_time_of,
    header_fields,
)
from lantian.gateway.metrics import Metrics, serve_http
from lantian.gateway.registry import (
    HELD_STATUSES,
    Device,
    RegistrySnapshot,
    load_registry,
    time_status,
)
from lantian.gateway.status import LoggerBook, safe_text, write_json_atomic, write_text_atomic
from lantian.protocol.hj212.crc import crc16_hj212, crc16_modbus
from lantian.settings import Settings

__all__ = ["Gateway", "GatewayConfig", "is_loopback", "run_gateway"]

log = logging.getLogger("lantian.gateway")

# CNs that answer the platform (never answered again) or carry no data for the lake
_REPLIES = frozenset({b"9011", b"9012", b"9013", b"9014"})
_HEARTBEAT = b"9015"


STATUS_SLICE = 100
"""Loggers per slice when the periodic status is built on the event loop."""


@dataclass
class GatewayConfig:
    """Limits and intervals of one gateway (defaults suit a city-scale deployment)."""

    host: str = "127.0.0.1"
    port: int = 9212
    metrics_host: str = "127.0.0.1"
    """Bind address of ``/metrics`` and ``/status``: loopback unless ``status_token`` is set."""
    metrics_port: int | None = 9213
    """``None`` disables the HTTP metrics port; 0 picks a free port."""
    status_token: str | None = None
    qc_interval: float | None = 2.0
    """Seconds between remote-QC steps (deliver queued HJ 212 requests, record answers);
    ``None`` disables remote QC (it also needs the database registry)."""
    """Bearer token required on ``/metrics`` and ``/status`` (any bind address) when set."""
    max_connections: int = 10_000
    max_conns_per_ip: int = 256
    """Simultaneous connections from one address (more are refused)."""
    first_frame_timeout: float = 60.0
    """Seconds a connection may stay open before its first valid (accepted) frame."""
    ip_window: float = 60.0
    """Seconds of the per-address byte and unknown-MN windows."""
    ip_max_bytes: int = 64 << 20
    """Bytes one address may send per window; beyond, its connections are paused."""
    ip_max_unknown: int = 600
    """Unknown-MN frames kept per address and window; more are dropped (counted)."""
    quarantine_bytes: int = 64 << 20
    """Disk space of the rotating unknown-MN quarantine area."""
    quarantine_mns: int = 1000
    """Most MNs in the quarantine list (further ones are counted, not listed)."""
    min_free_bytes: int = 512 << 20
    """Free space of the archive's file system below which no data is taken."""
    max_data_len: int = 4096
    """Largest data segment in bytes (the standard allows 1024; SM4 text is longer)."""
    read_timeout: float = 30.0
    """Seconds a started frame may take to arrive completely (slowloris)."""
    idle_timeout: float = 900.0
    """Seconds without a complete frame before a connection is closed."""
    rate_per_mn: float = 20.0
    """Sustained packets per second per MN; more are dropped (not answered)."""
    rate_burst: float = 200.0
    max_pending: int = 20_000
    """Records waiting for the disk before reading from peers is paused."""
    registry_reload: float = 10.0
    status_interval: float = 5.0
    offline_after: float = 900.0
    lake: bool = True
    lake_mode: str = "process"
    """``process``: a separate, lower-priority feeder process (default); ``thread``."""
    lake_interval: float = 1.0
    lake_batch: int = 5_000
    """Archive records per lake append: small batches keep GIL pauses of the feeder short."""
    lake_compact_interval: float = 900.0
    """Seconds between compactions of the lake sources the feeder wrote (and once at
    shutdown), so a day partition holds one file instead of one per batch; 0 = never."""
    fsync: bool = True
    lake_yield: float = 0.02
    """A group commit or an event-loop tick later than this (seconds) holds the lake
    feeder back for a second: its lake writes and decoding wait, the answers do not."""
    lake_max_hold: float = 5.0
    """The feeder is never held back longer than this (seconds) at a time."""


class _Conn(asyncio.Protocol):
    """One data-logger connection."""

    __slots__ = (
        "backlog",
        "framer",
        "gw",
        "held",
        "ip",
        "last_frame",
        "mn",
        "paused",
        "peer",
        "started",
        "transport",
        "valid",
        "write_paused",
    )

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.framer = Framer(gw.config.max_data_len)
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self.mn = ""
        self.ip: _Address | None = None
        self.started = self.last_frame = time.monotonic()
        self.paused = False
        self.write_paused = False
        self.held = False
        """Reading stopped by the per-address byte limit or the disk guard."""
        self.backlog = b""
        """Bytes received beyond the address's budget, framed when the window ends."""
        self.valid = False
        """An accepted frame arrived (the idle timeout applies instead of the first-frame one)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop: not a subclass
        peer = transport.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        gw = self.gw
        cfg = gw.config
        if gw.disk_low:
            gw.error("disk_low", self.peer, "connection refused: disk space low")
            self.transport.abort()
            return
        if len(gw.conns) >= cfg.max_connections or gw.closing:
            gw.error("max_connections", self.peer, "connection refused")
            self.transport.abort()
            return
        ip = gw.address(host)
        if ip.conns >= cfg.max_conns_per_ip:
            gw.error("ip_connections", self.peer, f"over {cfg.max_conns_per_ip} connections")
            self.transport.abort()
            return
        ip.conns += 1
        self.ip = ip
        gw.conns.add(self)
        if ip.held_until:
            gw.hold(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.ip is not None and self in self.gw.conns:
            self.ip.conns -= 1
        self.gw.conns.discard(self)
        self.gw.paused.discard(self)
        if self.mn:
            self.gw.book.disconnected(self.mn)

    def data_received(self, data: bytes) -> None:
        gw = self.gw
        ip = self.ip
        if ip is not None:
            over = ip.bytes + len(data) - gw.config.ip_max_bytes
            if over > 0 or ip.held_until:
                # beyond the address's budget: keep the rest (read before the pause took
                # effect, at most one read) until the window ends
                keep = 0 if ip.held_until else len(data) - over
                self.backlog += data[keep:]
                data = data[:keep]
                if not ip.held_until:
                    gw.ip_over_bytes(ip, self.peer)
                else:
                    gw.hold(self)
            ip.bytes += len(data)
            if not data:
                return
        frames, problems, fatal = self.framer.feed(data)
        for kind, reason in problems:
            if kind == UNPADDED:
                gw.deviation(kind, self.peer, reason)
            else:
                gw.error(kind, self.peer, reason)
        now = time.time()
        if frames:
            self.last_frame = time.monotonic()
            for frame in frames:
                gw.handle(self, frame[0], frame[1], frame[2], now)
        if fatal is not None:
            gw.error(fatal.kind, self.peer, fatal.reason)
            assert self.transport is not None
            self.transport.abort()
            return
        if self.framer.buffered:
            if self.framer.partial_since is None:
                self.framer.partial_since = time.monotonic()
        else:
            self.framer.partial_since = None

    def pause_writing(self) -> None:
        # the peer does not read its answers: stop reading its packets
        self.write_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.transport is not None and not self.paused and not self.held:
            self.transport.resume_reading()


def _device_check(
    raw: bytes, data: bytes, crc_ok: bool, device: Device
) -> tuple[bool, bytes | None]:
    """Check a frame of a logger with a CRC-16/MODBUS opt-in or an SM4 key.

    Returns ``(crc_ok, DataTime digits or None)``. A plain frame of a Modbus device is
    checked with :func:`crc16_modbus` (``modbus``) or :func:`.crc16_modbus_swapped`
    (``modbus_swapped``); an HJ 212-2025 frame with an encrypted CP (its CRC
    is over the plaintext) is decoded with the device's key by the protocol library.
    """
    encrypted = b"CP=&&{0" in data
    if not encrypted:
        if device.crc != "hj212":
            return crc_matches(raw[-4:], data, _CHECKS[device.crc]), None
        return crc_ok, None
    from lantian.protocol.hj212.packet import PacketError, parse_packet

    try:
        packet = parse_packet(raw, crc=device.crc, sm4_key=device.sm4_key)
    except PacketError:
        return False, None
    data_time = packet.params.get("DataTime")
    return packet.crc_ok, (
        data_time.encode("ascii", "replace") if isinstance(data_time, str) else b""
    )


_CHECKS: dict[str, Callable[[bytes], int]] = {
    "hj212": crc16_hj212,
    "modbus": crc16_modbus,
    "modbus_swapped": crc16_modbus_swapped,
}
"""The check of each registry ``crc`` kind (packets and their answers)."""


class _Address:
    """Per-address (IP) counters: connections now, bytes and unknown-MN frames in a window."""

    __slots__ = ("bytes", "conns", "held_until", "host", "unknown", "window_start")

    def __init__(self, host: str, now: float) -> None:
        self.host = host
        self.conns = 0
        self.bytes = 0
        self.unknown = 0
        self.window_start = now
        self.held_until = 0.0


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class Gateway:
    """The gateway; use :meth:`start`, then :meth:`wait_closed` or :meth:`shutdown`.

    Parameters
    ----------
    settings : Settings
        Gives ``archive_dir``, ``wal_dir``, ``lake_dir`` and the database of the registry.
    config : GatewayConfig
        Limits, ports and intervals.
    registry : RegistrySnapshot, optional
        A fixed registry (tests, benchmarks); by default it is loaded from the database and
        reloaded every ``config.registry_reload`` seconds.
    """

    def __init__(
        self,
        settings: Settings,
        config: GatewayConfig | None = None,
        registry: RegistrySnapshot | None = None,
    ) -> None:
        self.settings = settings
        self.config = config or GatewayConfig()
        settings.ensure_home()
        self.home = settings.resolved_home / "gateway"
        self.home.mkdir(parents=True, exist_ok=True)
        self.archive = ArchiveWriter(settings.archive_dir, fsync=self.config.fsync)
        self.quarantine = QuarantineStore(
            self.home / "quarantine", max_bytes=self.config.quarantine_bytes
        )
        self.metrics = Metrics()
        self.book = LoggerBook(self.config.quarantine_mns)
        self.addresses: dict[str, _Address] = {}
        self.disk_low = False
        self.disk_free: int | None = None
        self.free_bytes: Callable[[Path], int] = lambda path: shutil.disk_usage(path).free
        """Free bytes of the file system holding ``path`` (tests replace it)."""
        self._quarantine_flushing = False
        self._flush_task: asyncio.Future[None] | None = None
        self._fixed_registry = registry is not None
        self._future_s = settings.future_margin_h * 3600.0
        self.registry = registry or RegistrySnapshot()
        self.conns: set[_Conn] = set()
        self.paused: set[_Conn] = set()
        self.closing = False
        self.failed = False
        self._shutdown_started = False
        self._acks: list[tuple[asyncio.Transport, bytes, float]] = []
        self._buckets: dict[bytes, _Bucket] = {}
        self._wake = asyncio.Event()
        self._io = ThreadPoolExecutor(1, thread_name_prefix="gateway-wal")
        self._tasks: list[asyncio.Task[Any]] = []
        self.qc: Any = None
        """The remote-QC dispatcher (:mod:`lantian.qc.dispatch`), when enabled."""
        self._server: asyncio.Server | None = None
        self._http: asyncio.Server | None = None
        self._stopped = asyncio.Event()
        self._log_times: deque[float] = deque(maxlen=50)
        self.feeder: Any = None
        self._mark: Any = None
        self._busy_until = 0.0
        """Until then (monotonic) the feeder is held back (commits or the loop were slow)."""
        self._mark_at = 0.0
        self._mark_pending: tuple[Any, int] | None = None
        self.lake_holds = 0
        self._feeder_proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.metrics_port: int | None = None
        m = self.metrics
        m.gauges["lantian_gateway_connections"] = lambda: float(len(self.conns))
        m.gauges["lantian_gateway_loggers_connected"] = lambda: float(
            len({c.mn for c in self.conns if c.mn})
        )
        m.gauges["lantian_gateway_archive_seq"] = lambda: float(self.archive.durable_seq)
        m.gauges["lantian_gateway_pending_records"] = lambda: float(self.archive.pending)
        m.gauges["lantian_gateway_lake_lag_records"] = self._lake_lag
        m.gauges["lantian_gateway_disk_low"] = lambda: float(self.disk_low)
        m.gauges["lantian_gateway_disk_free_bytes"] = lambda: float(self.disk_free or 0)
        m.gauges["lantian_gateway_quarantine_records"] = lambda: float(self.quarantine.records)
        m.gauges["lantian_gateway_quarantine_dropped"] = lambda: float(self.quarantine.dropped)
        m.gauges["lantian_gateway_quarantine_evicted"] = lambda: float(self.quarantine.evicted)
        m.gauges["lantian_gateway_quarantine_unlisted"] = lambda: float(
            self.book.quarantine_unlisted
        )
        m.gauges["lantian_gateway_addresses"] = lambda: float(len(self.addresses))
        m.gauges["lantian_gateway_lake_holds"] = lambda: float(self.lake_holds)

    def _lake_lag(self) -> float:
        if self.feeder is None:
            return 0.0
        if self._feeder_proc is not None:
            self.feeder.reload_checkpoint()
            for source, n in self.feeder.rows.items():
                self.metrics.lake_rows[source] = n
        return float(self.archive.durable_seq - self.feeder.done_seq)

    # -- errors and logging ---------------------------------------------------
    def deviation(self, kind: str, peer: str, reason: str) -> None:
        """Count a tolerated deviation of ``kind`` (e.g. an unpadded length field) and log
        it at INFO (rate-limited with the errors); the frame itself is processed."""
        self.metrics.deviations[kind] += 1
        now = time.monotonic()
        if len(self._log_times) == self._log_times.maxlen and now - self._log_times[0] < 1.0:
            return
        self._log_times.append(now)
        log.info("%s from %s: %s (tolerated)", kind, safe_text(peer), safe_text(reason))

    def error(self, kind: str, peer: str, reason: str) -> None:
        """Count an error of ``kind`` and log it (at most ~50 lines per second).

        ``peer`` and ``reason`` are escaped (:func:`.status.safe_text`): an MN with a line
        break cannot forge log lines.
        """
        self.metrics.errors[kind] += 1
        now = time.monotonic()
        if len(self._log_times) == self._log_times.maxlen and now - self._log_times[0] < 1.0:
            return
        self._log_times.append(now)
        log.warning("%s from %s: %s", kind, safe_text(peer), safe_text(reason))

    # -- per-address limits ---------------------------------------------------
    def address(self, host: str) -> _Address:
        """The counters of ``host`` (a new window when the last one has ended)."""
        now = time.monotonic()
        ip = self.addresses.get(host)
        if ip is None:
            ip = self.addresses[host] = _Address(host, now)
        elif now - ip.window_start >= self.config.ip_window:
            ip.window_start = now
            ip.bytes = ip.unknown = 0
        return ip

    def ip_over_bytes(self, ip: _Address, peer: str) -> None:
        """``ip`` sent more than its bytes per window: pause its connections until the end."""
        cfg = self.config
        ip.held_until = ip.window_start + cfg.ip_window
        self.error("ip_bytes", peer, f"address over {cfg.ip_max_bytes} bytes per {cfg.ip_window} s")
        for conn in list(self.conns):
            if conn.ip is ip:
                self.hold(conn)

    def hold(self, conn: _Conn) -> None:
        """Stop reading from ``conn`` (per-address byte limit, disk guard)."""
        conn.held = True
        if conn.transport is not None:
            conn.transport.pause_reading()

    def release(self, conn: _Conn) -> None:
        """Undo :meth:`hold` (unless backpressure still pauses it); frame the backlog."""
        conn.held = False
        if conn.transport is not None and not conn.paused and not conn.write_paused:
            conn.transport.resume_reading()
        if conn.backlog and conn.transport is not None and not conn.transport.is_closing():
            data, conn.backlog = conn.backlog, b""
            conn.data_received(data)

    def _sweep_addresses(self, mono: float) -> None:
        window = self.config.ip_window
        for host, ip in list(self.addresses.items()):
            if mono - ip.window_start < window:
                continue
            ip.window_start = mono
            ip.bytes = ip.unknown = 0
            if ip.held_until:
                ip.held_until = 0.0
                for conn in list(self.conns):
                    if conn.ip is ip and not self.disk_low:
                        self.release(conn)
            if ip.conns <= 0:
                del self.addresses[host]

    # -- disk guard -------------------------------------------------------------
    def check_disk(self) -> None:
        """Raise or clear the low-disk alarm (10 % hysteresis) and hold or release readers."""
        cfg = self.config
        try:
            free = int(self.free_bytes(self.settings.archive_dir))
        except OSError:
            return
        self.disk_free = free
        if not self.disk_low and free < cfg.min_free_bytes:
            self.disk_low = True
            self.metrics.errors["disk_low"] += 1
            log.critical(
                "ALARM disk space low: %d MB free under %s (minimum %d MB); refusing "
                "connections and taking no data until space returns",
                free >> 20,
                self.settings.archive_dir,
                cfg.min_free_bytes >> 20,
            )
            for conn in self.conns:
                self.hold(conn)
        elif self.disk_low and free >= cfg.min_free_bytes * 1.1:
            self.disk_low = False
            log.warning("disk space back: %d MB free; taking data again", free >> 20)
            for conn in list(self.conns):
                if conn.ip is None or not conn.ip.held_until:
                    self.release(conn)

    # -- the hot path ---------------------------------------------------------
    def handle(self, conn: _Conn, data: bytes, crc_ok: bool, raw: bytes, now: float) -> None:
        """Validate, archive and (after the commit) answer one frame."""
        head = header_fields(data)
        mn = head.get(b"MN")
        devices = self.registry.devices
        device = devices.get(mn) if devices and mn else None
        dt: bytes | None = None
        if device is not None:
            crc_ok, dt = _device_check(raw, data, crc_ok, device)
        if not crc_ok and not self._quarantine_unverified(conn, mn, data, raw):
            return
        cn = head.get(b"CN")
        if not mn or not cn:
            self.error("malformed", conn.peer, "no MN or CN in the data segment")
            return
        try:
            flag = int(head.get(b"Flag", b"0"))
        except ValueError:
            self.error("malformed", conn.peer, f"bad Flag {head.get(b'Flag')!r}")
            return
        cfg = self.config
        passwords = self.registry.passwords
        if mn not in passwords:
            self._quarantine_unknown(conn, mn, head, cn, data, raw, now)
            return
        # per-MN token bucket
        bucket = self._buckets.get(mn)
        if bucket is None:
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            bucket = self._buckets[mn] = _Bucket(cfg.rate_burst, now)
        else:
            bucket.tokens = min(
                cfg.rate_burst, bucket.tokens + (now - bucket.stamp) * cfg.rate_per_mn
            )
            bucket.stamp = now
        if bucket.tokens < 1.0:
            self.error("rate_limited", conn.peer, f"MN {mn!r} over {cfg.rate_per_mn}/s")
            return
        bucket.tokens -= 1.0
        required = passwords[mn]
        if required is None:  # refused unless the device's allow_no_pw is set
            status = "no_pw" if mn in self.registry.no_pw else "ok"
        else:
            status = "ok" if head.get(b"PW") == required else "bad_pw"
        mn_s = mn.decode("utf-8", "replace")
        qn = head.get(b"QN", b"")
        if dt is None:
            dt = data_time_of(data)
        if status == "ok" and dt:
            status = time_status(self.registry, mn, cn, dt, now, self._future_s)
        self.archive.add(
            now,
            conn.peer,
            status,
            mn_s,
            qn.decode("ascii", "replace"),
            head.get(b"ST", b"").decode("ascii", "replace"),
            cn.decode("ascii", "replace"),
            dt.decode("ascii"),
            raw,
        )
        if status != "ok":
            self.error(status, conn.peer, f"MN {mn_s} quarantined")
            self.book.quarantine(mn_s, status, conn.peer, now, self.archive.seq)
            if status not in HELD_STATUSES:  # not authenticated: never answered
                self._wake.set()
                return
        self.metrics.packets[cn.decode("ascii", "replace")] += 1
        conn.valid = True
        if not conn.mn:
            conn.mn = mn_s
            self.book.connected(mn_s)
        if status == "ok":
            self.book.seen(mn_s, now, cn, dt)
            qc = self.qc
            if qc is not None:
                qc.versions[mn_s] = "2025" if flag & 8 else "2017"
                if cn == b"1013":  # 现场机时间校准请求: answered by a 1012 (remote QC)
                    qc.on_time_request(mn_s)
            if qc is not None and qc.pending:
                cn_s = cn.decode("ascii", "replace")
                qn_s = qn.decode("ascii", "replace")
                if qc.wants(cn_s, mn_s, qn_s):
                    qc.on_packet(mn_s, qn_s, raw, now)
        if flag & 1 and cn not in _REPLIES and conn.transport is not None:
            check = crc16_hj212 if device is None else _CHECKS[device.crc]
            self._acks.append(
                (conn.transport, build_ack(qn, head.get(b"PW", b""), mn, flag, cn, check), now)
            )
        if self.archive.pending >= cfg.max_pending and not conn.paused:
            conn.paused = True
            self.paused.add(conn)
            assert conn.transport is not None
            conn.transport.pause_reading()
            self.metrics.errors["backpressure"] += 1
        self._wake.set()

    def _quarantine_unknown(
        self,
        conn: _Conn,
        mn: bytes,
        head: dict[bytes, bytes],
        cn: bytes,
        data: bytes,
        raw: bytes,
        now: float,
    ) -> None:
        """Keep a frame of an unregistered MN in the quarantine area (never answered).

        At most ``ip_max_unknown`` such frames per address and window are kept; the rest
        are counted (``ip_unknown_mn``) and dropped, as are frames for which the quarantine
        area's write buffer is full.
        """
        ip = conn.ip
        mn_s = mn.decode("utf-8", "replace")
        if ip is not None:
            ip.unknown += 1
            if ip.unknown > self.config.ip_max_unknown:
                self.error("ip_unknown_mn", conn.peer, f"MN {mn_s} dropped: address over limit")
                return
        dt = data_time_of(data)
        self.book.quarantine(mn_s, "unknown_mn", conn.peer, now, self.archive.seq)
        store = self.quarantine
        if not store.add(
            self.archive.seq,
            now,
            conn.peer,
            "unknown_mn",
            mn_s,
            head.get(b"QN", b"").decode("ascii", "replace"),
            head.get(b"ST", b"").decode("ascii", "replace"),
            cn.decode("ascii", "replace"),
            dt.decode("ascii", "replace"),
            raw,
        ):
            self.error("quarantine_full", conn.peer, f"MN {mn_s} dropped: buffer full")
            return
        self.error("unknown_mn", conn.peer, f"MN {mn_s} quarantined")
        if store.pending_bytes >= store.segment_bytes and (
            self._flush_task is None or self._flush_task.done()
        ):
            self._flush_task = asyncio.ensure_future(self._flush_quarantine())

    async def _flush_quarantine(self, final: bool = False) -> None:
        if self._quarantine_flushing or (self.disk_low and not final):
            return
        lines = self.quarantine.take()
        if not lines:
            return
        self._quarantine_flushing = True
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.quarantine.write, lines)
        except OSError:
            self.metrics.errors["quarantine_write"] += 1
            log.exception("quarantine area write failed")
        finally:
            self._quarantine_flushing = False

    def _quarantine_unverified(
        self, conn: _Conn, mn: bytes | None, data: bytes, raw: bytes
    ) -> bool:
        """After a failed CRC check: whether the frame still goes on (to the quarantine).

        The CRC variant and the SM4 key of an MN are only known once it is registered. A
        frame of an unknown MN with the CRC-16/MODBUS (plain or byte-swapped), or with an
        encrypted CP (CRC over
        the plaintext), is therefore archived as quarantined (never answered), so that
        ``lantian gateway quarantine --ingest MN`` can check and decode it after the
        registration. Every other CRC failure is counted and dropped.
        """
        encrypted = b"CP=&&{0" in data
        unknown = bool(mn) and mn not in self.registry.passwords
        if unknown and (
            encrypted
            or crc_matches(raw[-4:], data, crc16_modbus)
            or crc_matches(raw[-4:], data, crc16_modbus_swapped)
        ):
            return True
        if encrypted and mn in self.registry.passwords and mn not in self.registry.devices:
            self.error("crc", conn.peer, f"MN {mn!r}: CP is SM4-encrypted, no key registered")
        else:
            self.error("crc", conn.peer, f"CRC mismatch: {raw[-60:]!r}")
        return False

    # -- group commit -----------------------------------------------------------
    async def _committer(self) -> None:
        loop = asyncio.get_running_loop()
        metrics = self.metrics
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self.archive.pending:
                if self.closing:
                    return
                continue
            batch, seq, digest = self.archive.take()
            acks, self._acks = self._acks, []
            t_write = time.monotonic()
            try:
                await loop.run_in_executor(self._io, self.archive.write, batch)
            except OSError:
                # fail-stop: a gateway that cannot store must not accept anything more; the
                # unanswered packets are resent by the loggers, and the next start cuts off
                # a partly written batch
                log.critical("archive write failed; stopping the gateway", exc_info=True)
                metrics.errors["archive_write"] += 1
                self.failed = True
                self.closing = True
                if self._server is not None:
                    self._server.close()
                for conn in list(self.conns):
                    if conn.transport is not None:
                        conn.transport.abort()
                asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.shutdown()))
                return
            t_done = time.monotonic()
            metrics.commit_latency.observe(t_done - t_write)
            if t_done - t_write > self.config.lake_yield:
                self._busy_until = t_done + 1.0
            self.archive.durable_seq = seq
            self.archive.durable_hash = digest
            metrics.batches += 1
            metrics.batch_records += len(batch)
            now = time.time()
            observe = metrics.ack_latency.observe
            for transport, frame, t0 in acks:
                if not transport.is_closing():
                    transport.write(frame)
                    observe(now - t0)
            metrics.acks += len(acks)
            if self.paused and self.archive.pending < self.config.max_pending // 2:
                for conn in list(self.paused):
                    conn.paused = False
                    if conn.transport is not None and not conn.write_paused and not conn.held:
                        conn.transport.resume_reading()
                self.paused.clear()
            if self.feeder is not None:
                self.feeder.notify(self.archive.durable, seq)
            if self._mark is not None:
                self._publish_mark(self.archive.durable, seq)
            if self.closing and not self.archive.pending:
                return

    # -- housekeeping -------------------------------------------------------------
    def _publish_mark(self, durable: Any, seq: int) -> None:
        """Let the feeder process read the archive up to ``durable`` unless it is held back.

        The feeder (a separate process) only reads what this mark allows. While group
        commits or the event loop run late (``lake_yield``), the mark stays where it is, so
        the feeder's decoding and lake writes (with their fsyncs, which share the file
        system journal with the archive's) pause after their current batch and the answers
        do not queue behind them; at most ``lake_max_hold`` seconds at a time.
        """
        now = time.monotonic()
        if now < self._busy_until and now - self._mark_at < self.config.lake_max_hold:
            if self._mark_pending is None:
                self.lake_holds += 1
            self._mark_pending = (durable, seq)
            return
        self._mark.publish(durable, seq)
        self._mark_at = now
        self._mark_pending = None

    async def _ticker(self) -> None:
        """Measure how late the event loop runs a 50 ms tick (``loop_lag`` histogram); hand
        the feeder a held-back durable mark once the gateway is not busy any more."""
        observe = self.metrics.loop_lag.observe
        while True:
            t0 = time.monotonic()
            await asyncio.sleep(0.05)
            late = max(0.0, time.monotonic() - t0 - 0.05)
            observe(late)
            if late > self.config.lake_yield:
                self._busy_until = time.monotonic() + 1.0
            if self._mark_pending is not None and self._mark is not None:
                self._publish_mark(*self._mark_pending)

    async def _sweeper(self) -> None:
        cfg = self.config
        while True:
            await asyncio.sleep(
                min(1.0, cfg.read_timeout / 2, cfg.idle_timeout / 2, cfg.first_frame_timeout / 2)
            )
            mono = time.monotonic()
            self.check_disk()
            self._sweep_addresses(mono)
            await self._flush_quarantine()
            for conn in list(self.conns):
                if conn.held:
                    continue  # not reading: its silence is ours
                since = conn.framer.partial_since
                if since is not None and mono - since > cfg.read_timeout:
                    self.error("read_timeout", conn.peer, "frame not completed in time")
                elif not conn.valid and mono - conn.started > cfg.first_frame_timeout:
                    self.error("first_frame_timeout", conn.peer, "no valid frame in time")
                elif mono - conn.last_frame > cfg.idle_timeout:
                    self.error("idle_timeout", conn.peer, "no frame in time")
                else:
                    continue
                if conn.transport is not None:
                    conn.transport.abort()

    async def _registry_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.registry_reload)
            try:
                self.registry = await loop.run_in_executor(None, load_registry, self.settings)
            except Exception:
                log.exception("registry reload failed; keeping the previous registry")

    async def _status_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.status_interval)
            await self._write_status_sliced(loop)
            proc = self._feeder_proc
            if proc is not None and proc.poll() is not None and not self.closing:
                # the lake feeder died: start it again (it resumes from its checkpoint)
                self.metrics.errors["lake_feeder_exit"] += 1
                log.error("lake feeder exited with %s; restarting it", proc.returncode)
                self._feeder_proc = self._spawn_feeder()

    def status(self) -> dict[str, Any]:
        """Logger status and quarantine as plain JSON data."""
        q = self.quarantine
        return {
            "loggers": self.book.loggers(self.registry, time.time(), self.config.offline_after),
            "quarantine": self.book.quarantine_list(),
            "quarantine_area": {
                "records": q.records,
                "dropped": q.dropped + self.metrics.errors["ip_unknown_mn"],
                "evicted": q.evicted,
                "unlisted": self.book.quarantine_unlisted,
                "max_bytes": self.config.quarantine_bytes,
            },
            "alarms": ["disk_low"] if self.disk_low else [],
            "disk_free_bytes": self.disk_free,
            "archive_seq": self.archive.durable_seq,
            "lake_seq": self.feeder.done_seq if self.feeder else None,
        }

    def write_status(self) -> None:
        """Write ``gateway/status.json``, ``gateway/quarantine.json`` and ``archive/HEAD``."""
        status = self.status()
        self._write_status_files(
            json.dumps(status["loggers"], ensure_ascii=False),
            json.dumps(status["quarantine"], ensure_ascii=False),
            self.archive.durable_seq,
            self.archive.durable_hash,
        )

    async def _write_status_sliced(self, loop: asyncio.AbstractEventLoop) -> None:
        """:meth:`write_status` without holding up the answers.

        A city's status (thousands of loggers) takes tens of milliseconds of Python to
        build; built in one piece (even in a worker thread, which holds the GIL) it delayed
        every answer due meanwhile (p99 spikes of 40-70 ms every ``status_interval`` at
        2,000 packets/s, ``bench/bench_gateway.py --after-burst``). The rows are built and
        serialised here on the event loop in slices of :data:`STATUS_SLICE` loggers with a
        yield between slices; only the file writes run in a thread.
        """
        now = time.time()
        parts: list[str] = []
        rows = self.book.iter_loggers(self.registry, now, self.config.offline_after)
        for i, row in enumerate(rows, 1):
            parts.append(json.dumps(row, ensure_ascii=False))
            if i % STATUS_SLICE == 0:
                await asyncio.sleep(0)
        loggers = "[" + ",".join(parts) + "]"
        quarantine = json.dumps(self.book.quarantine_list(), ensure_ascii=False)
        seq, digest = self.archive.durable_seq, self.archive.durable_hash
        await loop.run_in_executor(None, self._write_status_files, loggers, quarantine, seq, digest)

    def _write_status_files(self, loggers: str, quarantine: str, seq: int, digest: str) -> None:
        write_text_atomic(self.home / "status.json", loggers)
        write_text_atomic(self.home / "quarantine.json", quarantine)
        self.archive.write_head(seq, digest)

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Load the registry, replay the archive tail into the lake, start listening."""
        loop = asyncio.get_running_loop()
        cfg = self.config
        if (
            cfg.metrics_port is not None
            and not cfg.status_token
            and not is_loopback(cfg.metrics_host)
        ):
            raise ValueError(
                f"/status and /metrics on {cfg.metrics_host} (not loopback) need a token: set "
                "LANTIAN_GATEWAY_STATUS_TOKEN or bind them to 127.0.0.1 "
                "(LANTIAN_GATEWAY_METRICS_HOST)"
            )
        self.check_disk()
        if not self._fixed_registry:
            self.registry = await loop.run_in_executor(None, load_registry, self.settings)
        self.archive.durable_hash = self.archive.last_hash
        if self.config.lake:
            from lantian.gateway.lakefeed import DurableMark, LakeFeeder

            self.feeder = LakeFeeder(self.settings, lambda: self.registry, self.metrics)
            self.feeder.notify(self.archive.durable, self.archive.durable_seq)
            replayed = await loop.run_in_executor(None, self._locked_catch_up)
            if replayed:
                log.info("replayed %d archived packets into the lake", replayed)
            if self.config.lake_mode == "process":
                self._mark = DurableMark(self.settings.wal_dir)
                self._mark.publish(self.archive.durable, self.archive.durable_seq)
                self._feeder_proc = self._spawn_feeder()
            else:
                self.feeder.start(
                    self.config.lake_interval,
                    self.config.lake_batch,
                    self.config.lake_compact_interval,
                )
        self.book.load(self.home)
        self._server = await loop.create_server(
            lambda: _Conn(self), self.config.host, self.config.port, backlog=4096
        )
        self.port = self._server.sockets[0].getsockname()[1]
        if self.config.metrics_port is not None:
            self._http = await serve_http(
                self.config.metrics_host,
                self.config.metrics_port,
                self.metrics,
                self.status,
                token=self.config.status_token,
            )
            self.metrics_port = self._http.sockets[0].getsockname()[1]
        self._tasks = [
            asyncio.create_task(self._committer(), name="committer"),
            asyncio.create_task(self._sweeper(), name="sweeper"),
            asyncio.create_task(self._status_loop(), name="status"),
            asyncio.create_task(self._ticker(), name="ticker"),
        ]
        if not self._fixed_registry:
            self._tasks.append(asyncio.create_task(self._registry_loop(), name="registry"))
        if not self._fixed_registry and self.config.qc_interval:
            from lantian.qc.dispatch import QcDispatcher  # 远程质控 (issue #16)

            self.qc = QcDispatcher(self.settings, self.config.qc_interval)
            self._tasks.append(asyncio.create_task(self.qc.run(self), name="qc"))
        log.info(
            "HJ 212 gateway on %s:%d (archive seq %d)",
            self.config.host,
            self.port,
            self.archive.durable_seq,
        )

    def _locked_catch_up(self) -> int:
        from lantian.gateway.lakefeed import feeder_lock

        with feeder_lock(self.settings.wal_dir, timeout=60) as locked:
            if not locked:
                log.error("lake feeder lock busy; the lake catches up later")
                return 0
            self.feeder.reload_checkpoint()
            done = int(self.feeder.catch_up())
            if self.config.lake_compact_interval > 0 and self.feeder.written:
                self.feeder.compact()
            return done

    def _spawn_feeder(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "LANTIAN_HOME": str(self.settings.resolved_home)}
        if self.settings.database_url:
            env["LANTIAN_DATABASE_URL"] = self.settings.database_url
        cmd = [sys.executable, "-m", "lantian.gateway.lakefeed", "--parent", str(os.getpid())]
        cmd += [
            "--interval",
            str(self.config.lake_interval),
            "--batch",
            str(self.config.lake_batch),
        ]
        cmd += ["--registry-reload", str(self.config.registry_reload)]
        cmd += ["--compact-interval", str(self.config.lake_compact_interval)]
        return subprocess.Popen(cmd, env=env)

    def _stop_feeder(self) -> None:
        proc = self._feeder_proc
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self._locked_catch_up()  # whatever the feeder process left
        elif self.feeder is not None:
            self.feeder.stop()
        if self._mark is not None:
            self._mark.close()

    async def shutdown(self) -> None:
        """Stop accepting, store and answer what was received, flush the lake, exit."""
        if self._shutdown_started:
            await self._stopped.wait()
            return
        self._shutdown_started = True
        self.closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self.conns):
            if conn.transport is not None:
                conn.transport.pause_reading()
        # the committer drains the pending batch, answers it and then returns
        self._wake.set()
        committer = self._tasks[0] if self._tasks else None
        if committer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await committer
        for task in self._tasks[1:]:
            task.cancel()
        for conn in list(self.conns):
            if conn.transport is not None:
                conn.transport.close()
        await asyncio.sleep(0)
        if self._flush_task is not None and not self._flush_task.done():
            with contextlib.suppress(Exception):
                await self._flush_task
        await self._flush_quarantine(final=True)
        if self._http is not None:
            self._http.close()
        loop = asyncio.get_running_loop()
        if self._mark is not None and self._mark_pending is not None:
            self._mark.publish(*self._mark_pending)
        await loop.run_in_executor(None, self._stop_feeder)
        await loop.run_in_executor(None, self.write_status)
        self.archive.close()
        self._io.shutdown(wait=True)
        self._stopped.set()
        log.info("gateway stopped at archive seq %d", self.archive.durable_seq)

    async def wait_closed(self) -> None:
        """Wait until :meth:`shutdown` has finished."""
        await self._stopped.wait()


async def _main(settings: Settings, config: GatewayConfig, ready_file: Path | None) -> None:
    gw = Gateway(settings, config)
    await gw.start()
    # the registry, modules and replay leftovers live as long as the gateway: keep them
    # out of the collector's full passes (shorter GC pauses on the answer path)
    gc.collect()
    gc.freeze()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(gw.shutdown()))
    if ready_file is not None:
        write_json_atomic(
            ready_file, {"port": gw.port, "metrics_port": gw.metrics_port, "pid": os.getpid()}
        )
    await gw.wait_closed()
    if gw.failed:
        raise SystemExit("gateway stopped: the archive could not be written")


def run_gateway(
    settings: Settings,
    config: GatewayConfig,
    *,
    ready_file: Path | None = None,
    use_uvloop: bool = True,
) -> None:
    """Run the gateway until SIGTERM/SIGINT (blocking). Uses uvloop when installed."""
    runner: Any = asyncio.run
    if use_uvloop:
        try:
            import uvloop  # type: ignore[import-not-found,unused-ignore]

            runner = uvloop.run
        except ImportError:
            pass
    runner(_main(settings, config, ready_file))
