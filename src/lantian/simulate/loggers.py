"""Virtual HJ 212 data loggers that replay a bundle's data against a gateway.

One asyncio TCP connection per MN. Each logger sends its packets in data-time order when
the simulated clock has passed the end of the packet's period, asks for an answer (Flag A
bit), waits for the 9014 with a timeout and resends on timeout or lost connection (with
``RF=1`` under HJ 212-2025), like a real logger (HJ 212-2017 Table 1: timeout and retry
count).

What is sent (exchange formats v1 ``data/cems_hourly`` and ``data/power``):

* CN 2061 hourly data per outlet, ``{code}-Avg``, ``-ZsAvg`` (when given), ``-Min``,
  ``-Max`` and ``-Flag`` for every pollutant of the hour. The bundle has hourly means only:
  Min/Max come from a synthetic minute series (deterministic, its mean is exactly the
  hourly mean, ±5 %), the same series that gives the optional CN 2051 minute packets and
  CN 2011 real-time packets.
* ST=44 CN=2011 electricity monitoring (HJ 212-2025) for meters with ``mn`` and
  ``factor_code``: ``{factor_code}-Rtd`` = kW, one packet per MN and time.

References
----------
.. [1] HJ 212-2017, Table 1 (timeout/retries), Table 9 (CN 2011, 2051, 2061), Appendix C
   Table C.14 (upload and 9014 answer).
.. [2] HJ 212-2025, ST=44 electricity monitoring, RF=1 resends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from lantian.protocol.hj212.packet import build_packet
from lantian.timeutil import CST, to_cst

__all__ = ["SimPacket", "SimResult", "load_bundle_packets", "run_simulation"]

Protocol = Literal["2017", "2025"]


@dataclass(frozen=True, slots=True)
class SimPacket:
    """One packet to send: ready when the simulated clock reaches ``ready``."""

    ready: datetime
    data_time: datetime
    st: str
    cn: str
    cp: str
    version: Protocol


@dataclass
class SimLogger:
    """One virtual data logger."""

    mn: str
    pw: str
    packets: list[SimPacket] = field(default_factory=list)


@dataclass
class SimResult:
    """Counts of one simulation run."""

    loggers: int = 0
    packets: int = 0
    sent: int = 0
    acked: int = 0
    resent: int = 0
    failed: int = 0
    reconnects: int = 0
    requests_answered: int = 0
    """Platform requests (remote QC) answered."""
    elapsed_s: float = 0.0


def _read_table(path_csv: Path) -> pd.DataFrame | None:
    for path in (path_csv, path_csv.with_suffix(".parquet")):
        if path.exists():
            if path.suffix == ".parquet":
                return pd.read_parquet(path)
            return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return None


def _text(value: Any) -> str:
    """A cell as stripped text; empty for a missing cell (also NaN from Parquet)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _fmt(value: float) -> str:
    text = f"{value:.6g}"
    if "e" in text:
        text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text


def _minute_series(key: str, mean: float, n: int = 60) -> list[float]:
    """Deterministic minute values whose mean is exactly ``mean`` (±5 % wiggle)."""
    if mean == 0 or not math.isfinite(mean):
        return [mean] * n
    seed = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
    phase = (seed % 6283) / 1000.0
    raw = [math.sin(phase + i * 0.37) + 0.5 * math.sin(phase * 3 + i * 1.3) for i in range(n)]
    avg = sum(raw) / n
    dev = [r - avg for r in raw]
    peak = max(abs(d) for d in dev) or 1.0
    return [mean * (1 + 0.05 * d / peak) for d in dev]


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return to_cst(value)
    return to_cst(datetime.fromisoformat(str(value)))


def load_bundle_packets(
    bundle: Path,
    *,
    protocol: Protocol = "2017",
    minute_interval: int = 0,
    realtime_interval: int = 0,
    start: datetime | None = None,
    end: datetime | None = None,
    max_loggers: int | None = None,
) -> list[SimLogger]:
    """Build the virtual loggers of ``bundle`` with their packets in send order.

    Parameters
    ----------
    bundle : Path
        An exchange-format bundle (``registry/outlets.csv``, ``data/cems_hourly.csv``,
        optional ``registry/meters.csv`` and ``data/power.csv``; CSV or Parquet).
    protocol : {"2017", "2025"}
        Flag version of the CEMS packets (ST=44 packets are always HJ 212-2025).
    minute_interval : int
        Also send CN 2051 minute data every this many minutes (0 = no).
    realtime_interval : int
        Also send CN 2011 real-time data every this many minutes (0 = no).
    start, end : datetime, optional
        Only data with ``start <= time < end``.
    max_loggers : int, optional
        Only the first K MNs (sorted).

    Raises
    ------
    ValueError
        The bundle has no outlets file or data that names an unknown outlet.
    """
    outlets = _read_table(bundle / "registry" / "outlets.csv")
    if outlets is None:
        raise ValueError(f"{bundle}: registry/outlets.csv is missing")
    mn_of: dict[str, str] = {}
    pw_of: dict[str, str] = {}
    for orow in outlets.to_dict("records"):
        row: dict[Any, Any] = orow
        mn = str(row.get("mn") or "").strip()
        if mn:
            mn_of[str(row["outlet_id"])] = mn
            pw_of[mn] = _text(row.get("pw")) or "123456"
    loggers: dict[str, SimLogger] = {}

    def logger(mn: str) -> SimLogger:
        lg = loggers.get(mn)
        if lg is None:
            lg = loggers[mn] = SimLogger(mn, pw_of.get(mn, "123456"))
        return lg

    def keep(t: datetime) -> bool:
        return (start is None or t >= start) and (end is None or t < end)

    hourly = _read_table(bundle / "data" / "cems_hourly.csv")
    if hourly is not None and len(hourly):
        groups: dict[tuple[str, str], list[dict[Any, Any]]] = defaultdict(list)
        for row in hourly.to_dict("records"):
            oid = str(row.get("outlet_id") or "")
            mn = mn_of.get(oid) or str(row.get("mn") or "")
            if not mn:
                raise ValueError(f"cems_hourly: outlet {oid!r} has no MN in registry/outlets.csv")
            groups[(mn, str(row["time"]))].append(row)
        for (mn, t_text), rows in groups.items():
            t = _parse_time(t_text)
            if not keep(t):
                continue
            items = []
            minutes: dict[str, tuple[list[float], str]] = {}
            for row in rows:
                code = str(row["pollutant"])
                value_text = str(row["value"]).strip()
                value = float(value_text)
                if not isinstance(row["value"], str):
                    value_text = _fmt(value)
                flag = str(row.get("flag") or "N")
                series = _minute_series(f"{mn}|{t_text}|{code}", value)
                minutes[code] = (series, flag)
                parts = [f"{code}-Avg={value_text}"]
                zs = str(row.get("zs_value") or "").strip()
                if zs and zs.lower() != "nan":
                    zs_text = zs if isinstance(row.get("zs_value"), str) else _fmt(float(zs))
                    parts.append(f"{code}-ZsAvg={zs_text}")
                parts += [
                    f"{code}-Min={_fmt(min(series))}",
                    f"{code}-Max={_fmt(max(series))}",
                    f"{code}-Flag={flag}",
                ]
                items.append(",".join(parts))
            stamp = t.strftime("%Y%m%d%H%M%S")
            lg = logger(mn)
            lg.packets.append(
                SimPacket(
                    t + timedelta(hours=1),
                    t,
                    "31",
                    "2061",
                    f"DataTime={stamp};" + ";".join(items),
                    protocol,
                )
            )
            for interval, cn, suffix in (
                (minute_interval, "2051", "Avg"),
                (realtime_interval, "2011", "Rtd"),
            ):
                if interval <= 0:
                    continue
                for m0 in range(0, 60, interval):
                    mt = t + timedelta(minutes=m0)
                    sub = []
                    for code, (series, flag) in minutes.items():
                        chunk = series[m0 : m0 + interval]
                        v = sum(chunk) / len(chunk) if suffix == "Avg" else series[m0]
                        sub.append(f"{code}-{suffix}={_fmt(v)},{code}-Flag={flag}")
                    ready = mt + timedelta(minutes=interval) if suffix == "Avg" else mt
                    lg.packets.append(
                        SimPacket(
                            ready,
                            mt,
                            "31",
                            cn,
                            f"DataTime={mt.strftime('%Y%m%d%H%M%S')};" + ";".join(sub),
                            protocol,
                        )
                    )

    meters = _read_table(bundle / "registry" / "meters.csv")
    power_path = bundle / "data" / "power.csv"
    if meters is not None and "mn" in meters.columns and "factor_code" in meters.columns:
        where = {
            str(r["meter_id"]): (str(r["mn"]), str(r["factor_code"]))
            for r in meters.to_dict("records")
            if str(r.get("mn") or "").strip() and str(r.get("factor_code") or "").strip()
        }
        for r in meters.to_dict("records"):
            # the meters of one logger share its PW (registry/meters.csv ``pw``)
            meter_mn, meter_pw = str(r.get("mn") or "").strip(), _text(r.get("pw"))
            if meter_mn and meter_pw:
                pw_of.setdefault(meter_mn, meter_pw)
        power = _read_table(power_path) if where else None
        if power is not None and len(power):
            power = power[power["meter_id"].astype(str).isin(where)]
            by_key: dict[tuple[str, datetime], list[str]] = defaultdict(list)
            for row in power.to_dict("records"):
                t = _parse_time(row["time"])
                if not keep(t):
                    continue
                mn, code = where[str(row["meter_id"])]
                kw = float(row["kw"])
                by_key[(mn, t)].append(f"{code}-Rtd={_fmt(kw)},{code}-Flag=N")
            for (mn, t), items in by_key.items():
                logger(mn).packets.append(
                    SimPacket(
                        t,
                        t,
                        "44",
                        "2011",
                        f"DataTime={t.strftime('%Y%m%d%H%M%S')};" + ";".join(items),
                        "2025",
                    )
                )
    out = sorted(loggers.values(), key=lambda lg: lg.mn)
    if max_loggers is not None:
        out = out[:max_loggers]
    for lg in out:
        lg.packets.sort(key=lambda p: (p.ready, p.data_time, p.cn))
    return out


def _frames(p: SimPacket, mn: str, pw: str, qn: str, rf: bool) -> list[bytes]:
    """The frame(s) of one packet; CP over the HJ 212 limits is split at item boundaries."""
    head, _, rest = p.cp.partition(";")
    items = rest.split(";") if rest else []
    version = p.version
    try:
        return [build_packet(p.st, p.cn, mn, p.cp, qn=qn, pw=pw, ack=True, version=version, rf=rf)]
    except ValueError:
        pass
    chunks: list[list[str]] = [items]
    while True:
        try:
            frames = []
            for i, chunk in enumerate(chunks, start=1):
                frames.append(
                    build_packet(
                        p.st,
                        p.cn,
                        mn,
                        head + ";" + ";".join(chunk),
                        qn=f"{qn[:-3]}{(int(qn[-3:]) + i - 1) % 1000:03d}",
                        pw=pw,
                        ack=True,
                        version=version,
                        rf=rf,
                        pnum=len(chunks),
                        pno=i,
                    )
                )
            return frames
        except ValueError:
            if max(len(c) for c in chunks) <= 1:
                raise
            chunks = [half for c in chunks for half in (c[: len(c) // 2], c[len(c) // 2 :]) if half]


class _Clock:
    def __init__(self, start: datetime, speed: float) -> None:
        self.start = start
        self.speed = speed
        self.wall0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.wall0) * self.speed)

    async def wait_until(self, when: datetime) -> None:
        if self.speed <= 0:
            return
        delay = (when - self.now()).total_seconds() / self.speed
        if delay > 0:
            await asyncio.sleep(delay)


def qc_profile(mn: str) -> tuple[float, bool]:
    """(clock skew in s, zero/span calibration fails) of a virtual logger: most loggers keep
    good time and calibrate; about one in ten runs 7 minutes fast and one in ten fails its
    calibration (deterministic per MN, so remote QC has failures to find in the demo)."""
    h = int(hashlib.sha1(mn.encode("utf-8")).hexdigest()[:8], 16)
    skew = 420.0 if h % 10 == 0 else float(h % 5) - 2.0
    return skew, h % 10 == 1


def asks_time(mn: str) -> bool:
    """Whether a virtual logger asks the platform for the time (1013) after connecting, as
    many loggers do at start-up: about one in ten (not the ones that run fast: a logger
    does not know its clock is off), deterministic per MN."""
    return int(hashlib.sha1(mn.encode("utf-8")).hexdigest()[:8], 16) % 10 == 2


_REQUESTS = frozenset({"1011", "1012", "2011", "3011", "3012", "3020"})
"""Platform requests a virtual logger answers (HJ 212-2017 §6.5.1: 9011, data, 9012)."""


def answer_request(
    request: bytes,
    mn: str,
    pw: str,
    now: datetime,
    *,
    skew_s: float = 0.0,
    fail_zero_span: bool = False,
) -> list[bytes]:
    """The frames a logger sends back for one platform request: 9011 ``QnRtn=1``, the data
    upload of data-returning commands (1011 ``SystemTime`` with the logger's clock skew,
    2011 real-time values, 3020 field-unit state), then 9012 ``ExeRtn`` (2 = failed for a
    zero/span calibration when ``fail_zero_span``). A request for another MN or with a
    wrong PW is refused with ``QnRtn=4`` / ``3`` (HJ 212-2017 Table 7).

    References
    ----------
    .. [1] HJ 212-2017 §6.5.1 and Appendix C Tables C.1-C.3, C.37, C.38.
    """
    from lantian.protocol.hj212.packet import (
        build_execution_response,
        build_request_response,
        parse_packet,
    )

    packet = parse_packet(request)
    if packet.cn not in _REQUESTS:
        return []
    if packet.mn != mn:
        return [build_request_response(packet, 4, pw=pw)]
    if packet.pw != pw:
        return [build_request_response(packet, 3, pw=pw)]
    out = [build_request_response(packet, 1, pw=pw)]
    version: Protocol = "2025" if packet.version == "2025" else "2017"
    logger_now = now + timedelta(seconds=skew_s)
    cp = ""
    if packet.cn == "1011":
        cp = f"SystemTime={to_cst(logger_now).strftime('%Y%m%d%H%M%S')}"
    elif packet.cn == "2011":
        stamp = to_cst(logger_now).strftime("%Y%m%d%H%M%S")
        cp = f"DataTime={stamp};a21026-Rtd=12.5,a21026-Flag=N;a19001-Rtd=9.8,a19001-Flag=N"
    elif packet.cn == "3020":
        stamp = to_cst(logger_now).strftime("%Y%m%d%H%M%S")
        cp = f"DataTime={stamp};PolId=a21026;i12001-Info=0;i12002-Info=0"
    if cp:
        out.append(build_packet(packet.st, packet.cn, mn, cp, qn=packet.qn, pw=pw, version=version))
    ok = not (packet.cn == "3011" and fail_zero_span)
    out.append(build_execution_response(packet, 1 if ok else 2, pw=pw))
    return out


class _Link:
    """One open connection of a virtual logger: a reader task that hands 9014 answers to
    the sender and answers the platform's requests (remote QC) as they arrive."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lg: SimLogger
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.lg = lg
        self.acks: dict[bytes, asyncio.Future[bool]] = {}
        self.answered = 0
        self.skew, self.fail_zero_span = qc_profile(lg.mn)
        """The logger's clock error [s] (0 once the platform set its time by 1012)."""
        self.task = asyncio.create_task(self._read())

    def time_request(self, version: Protocol) -> bytes | None:
        """A 1013 time-calibration request if this logger asks for the time (:func:`asks_time`;
        HJ 212-2017 C.3: the logger asks, the platform answers with 1012)."""
        if not asks_time(self.lg.mn):
            return None
        qn = datetime.now(CST).strftime("%Y%m%d%H%M%S") + "999"
        return build_packet("31", "1013", self.lg.mn, "", qn=qn, pw=self.lg.pw, version=version)

    async def _read(self) -> None:
        try:
            while True:
                line = await self.reader.readuntil(b"\n")
                if b"CN=9014" in line:
                    qn = line.split(b"QN=", 1)[1][:17] if b"QN=" in line else b""
                    fut = self.acks.pop(qn, None)
                    if fut is not None and not fut.done():
                        fut.set_result(True)
                    continue
                try:
                    frames = answer_request(
                        line, self.lg.mn, self.lg.pw, datetime.now(CST),
                        skew_s=self.skew, fail_zero_span=self.fail_zero_span,
                    )  # fmt: skip
                except Exception:  # not a frame this logger understands: ignore it
                    continue
                if b"CN=1012" in line and frames and b"ExeRtn=1" in frames[-1]:
                    self.skew = 0.0  # the platform set its clock
                for frame in frames:
                    self.writer.write(frame)
                    await self.writer.drain()
                    await asyncio.sleep(0.05)  # a real logger needs a moment per step
                self.answered += bool(frames)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            for fut in self.acks.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("connection lost"))

    def expect(self, qn: bytes) -> asyncio.Future[bool]:
        fut: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.acks[qn] = fut
        return fut

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def _run_logger(
    lg: SimLogger,
    host: str,
    port: int,
    clock: _Clock,
    result: SimResult,
    timeout: float,
    retries: int,
    progress: Callable[[int], None] | None,
    linger: float = 0.0,
) -> None:
    link: _Link | None = None
    counter = 0

    async def connect() -> _Link:
        delay = 0.2
        while True:
            try:
                reader, writer = await asyncio.open_connection(host, port)
                return _Link(reader, writer, lg)
            except OSError:
                result.reconnects += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    asked_time = False
    try:
        for packet in lg.packets:
            await clock.wait_until(packet.ready)
            counter += 1
            qn = datetime.now(CST).strftime("%Y%m%d%H%M%S") + f"{counter % 1000:03d}"
            acked = False
            for attempt in range(retries + 1):
                rf = attempt > 0 and packet.version == "2025"
                frames = _frames(packet, lg.mn, lg.pw, qn, rf)
                try:
                    if link is None or link.task.done():
                        link = await connect()
                    ok = True
                    for frame in frames:
                        fqn = frame.split(b"QN=", 1)[1][:17]
                        fut = link.expect(fqn)
                        link.writer.write(frame)
                        await link.writer.drain()
                        result.sent += 1
                        ok = ok and await asyncio.wait_for(fut, timeout)
                    if ok:
                        acked = True
                        if not asked_time:  # once, after its first upload (asks_time)
                            asked_time = True
                            request = link.time_request(packet.version)
                            if request is not None:
                                link.writer.write(request)
                                await link.writer.drain()
                        break
                except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError):
                    if link is not None:
                        await link.close()
                    link = None
                result.resent += 1
            if acked:
                result.acked += 1
            else:
                result.failed += 1
            if progress is not None:
                progress(1)
        if linger > 0:
            if link is None:
                link = await connect()
            await asyncio.sleep(linger)  # stay online: the platform may send requests
    finally:
        if link is not None:
            result.requests_answered += link.answered
            await link.close()


async def run_simulation(
    loggers: list[SimLogger],
    host: str,
    port: int,
    *,
    speed: float = 3600.0,
    start: datetime | None = None,
    timeout: float = 10.0,
    retries: int = 3,
    progress: Callable[[int], None] | None = None,
    linger: float = 0.0,
) -> SimResult:
    """Run every virtual logger against ``host:port`` until all packets are sent.

    Parameters
    ----------
    speed : float
        Simulated seconds per wall-clock second (3600 = one hour of data per second);
        0 sends as fast as the gateway answers.
    start : datetime, optional
        Simulated start time; default the earliest ``ready`` time minus one hour.
    timeout, retries : float, int
        Answer timeout (s) and resends per packet (HJ 212-2017 Table 1 defaults: 10 s, 3).
    linger : float
        Seconds each logger stays connected after its last packet, answering the
        platform's requests (remote QC); loggers without packets connect for that long.
    """
    result = SimResult(loggers=len(loggers), packets=sum(len(lg.packets) for lg in loggers))
    firsts = [lg.packets[0].ready for lg in loggers if lg.packets]
    if not firsts and linger <= 0:
        return result
    t0 = start or (min(firsts) - timedelta(hours=1) if firsts else datetime.now(CST))
    clock = _Clock(t0, speed)
    wall = time.monotonic()
    await asyncio.gather(
        *(
            _run_logger(lg, host, port, clock, result, timeout, retries, progress, linger)
            for lg in loggers
        )
    )
    result.elapsed_s = time.monotonic() - wall
    return result
