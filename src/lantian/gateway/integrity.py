"""Device integrity on the way into the lake: rewritten values and drifting logger clocks.

Run by the lake feeder (:mod:`.lakefeed`) on every batch of archive records, off the
answer path.

Rewrites (数据被改写)
    A decoded row whose natural key (outlet, time, pollutant / meter, time) is already in
    the lake, or earlier in the same batch, is compared with the stored row. An identical
    resend is dropped (no second row, no new ``seq``). A *different* value never silently
    replaces the stored one: the conflict is kept in the ``data_rewrites`` table (old and
    new value), audited, and flagged as a ``DATA_REWRITE`` lead (one per device episode);
    the later value goes to the lake only when it came as a protocol resend over the
    device's authenticated session: HJ 212-2025 ``RF=1`` from a logger with a registered
    PW (HJ 212-2017 has no resend marker outside a platform's history request, which this
    platform does not send yet). Otherwise the lake keeps the first value.

Clock drift (数采仪时钟异常)
    The lag ``arrival - DataTime`` is taken from real-time packets (CN 2011, the sampling
    instant) that are not resends, and for minute/hour/day packets as ``arrival - end of
    the period`` only when negative (data for a period that has not ended yet can only
    come from a clock that runs ahead; hourly data legitimately arrives after the hour).
    A clock is flagged when every such lag of the logger stays beyond the tolerance on the
    same side, and *steady* (within the tolerance of the run's first lag: an offset clock
    keeps ``DataTime`` in step with arrival), for at least ``persist_s`` of arrival time
    and ``min_samples`` packets. A 补发 backlog arrives within seconds, its lag shrinking,
    and is followed by fresh packets, which end the run; so does a faster-than-real-time
    replay (``lantian simulate``). Packets quarantined as ``future`` count too. The lead
    offers the HJ 212 time calibration (CN 1013) as the remedy.

References
----------
.. [1] HJ 212-2017, Table 4 (``DataTime``), Table 9 (CN 2011/2051/2061/2031), Appendix C
   (1012 设置现场机时间, 1013 现场机时间校准请求).
.. [2] HJ 212-2025, ``RF=1`` (补传, resent history).
"""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from lantian.gateway.registry import RegistrySnapshot
from lantian.gateway.status import data_time_epoch
from lantian.settings import Settings
from lantian.timeutil import to_cst
from lantian.vocab.pollutants import name as pollutant_name

__all__ = [
    "ClockFinding",
    "ClockWatch",
    "Horizon",
    "Rewrite",
    "RowMeta",
    "check_rewrites",
    "is_resend",
    "store_findings",
]

_RF = re.compile(r"(?:^|;)RF=1(?:;|$)")
_PERIOD_S = {"2051": 3600.0, "2061": 3600.0, "2031": 86400.0}
_KEYS = {"power": 2}
"""Key width by source (CEMS sources: 3 = outlet_id, time, pollutant)."""


def is_resend(raw: str) -> bool:
    """Whether the packet's header carries HJ 212-2025 ``RF=1`` (补传).

    References
    ----------
    .. [1] HJ 212-2025, data segment field ``RF``.
    """
    head = raw.split("CP=", 1)[0]
    return bool(_RF.search(head[6:] if head.startswith("##") else head))


@dataclass(frozen=True)
class RowMeta:
    """Where a decoded lake row came from."""

    seq: int
    mn: str
    resend: bool
    authenticated: bool
    received_at: str


@dataclass(frozen=True)
class Rewrite:
    """A resent row that differs from the stored one."""

    source: str
    subject_type: str
    subject_id: str
    time: datetime
    pollutant: str
    old_value: float | None
    new_value: float | None
    old_flag: str | None
    new_flag: str | None
    used: bool
    meta: RowMeta


def _fields(source: str, row: tuple[Any, ...]) -> tuple[float | None, str | None]:
    if source == "power":
        return row[2], None
    return row[3], row[8]


def _same(a: tuple[Any, ...], b: tuple[Any, ...], source: str) -> bool:
    va, fa = _fields(source, a)
    vb, fb = _fields(source, b)
    if fa != fb:
        return False
    if va is None or vb is None:
        return va is vb
    if source != "power" and not _close(a[4], b[4]):
        return False
    return math.isclose(va, vb, rel_tol=1e-9, abs_tol=1e-12)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _stored(
    lake: Any, source: str, rows: list[tuple[Any, ...]]
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The lake's current rows with the natural keys of ``rows`` (key → row tuple)."""
    import duckdb

    width = _KEYS.get(source, 3)
    if not lake.has_data(source):
        return {}
    times = [r[1] for r in rows]
    lo, hi = min(times), max(times)
    if source == "power":
        keys = pa.table(
            {
                "meter_id": pa.array([r[0] for r in rows], pa.string()),
                "time": pa.array(times, pa.timestamp("us", tz="UTC")),
            }
        )
        cols = '"meter_id", "time", "kw"'
        on = 's."meter_id" = k."meter_id" AND s."time" = k."time"'
    else:
        keys = pa.table(
            {
                "outlet_id": pa.array([r[0] for r in rows], pa.string()),
                "time": pa.array(times, pa.timestamp("us", tz="UTC")),
                "pollutant": pa.array([r[2] for r in rows], pa.string()),
            }
        )
        cols = '"outlet_id", "time", "pollutant", "value", "zs_value", "min", "max", "cou", "flag"'
        on = (
            's."outlet_id" = k."outlet_id" AND s."time" = k."time" '
            'AND s."pollutant" = k."pollutant"'
        )
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("k", keys)
        sql = (
            f"SELECT DISTINCT {', '.join('s.' + c.strip() for c in cols.split(','))} "
            f"FROM {lake.scan_sql(source, lo, hi + timedelta(seconds=1))} s JOIN k ON {on}"
        )
        found = con.execute(sql).fetchall()
    finally:
        con.close()
    return {tuple(r[:width]): tuple(r) for r in found}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Horizon:
    """The latest stored time per (source, subject): a later row cannot be in the lake.

    Live data arrives in time order, so most rows of a batch lie after their subject's
    horizon and need no lake lookup; only resends and out-of-order backlogs are looked up.
    A subject's horizon is read from the lake the first time it is needed and forgotten
    after ``ttl_s`` seconds (another writer, e.g. a bulk import, may have added rows).
    """

    ttl_s: float = 300.0
    _known: dict[tuple[str, str], datetime] = field(default_factory=dict)
    _since: float = field(default_factory=time.monotonic)

    def load(self, lake: Any, source: str, subjects: set[str]) -> None:
        """Read the horizon of ``subjects`` not known yet (one query)."""
        import duckdb

        if time.monotonic() - self._since > self.ttl_s:
            self._known.clear()
            self._since = time.monotonic()
        missing = sorted(s for s in subjects if (source, s) not in self._known)
        if not missing:
            return
        for subject in missing:
            self._known[(source, subject)] = _EPOCH
        if not lake.has_data(source):
            return
        col = "meter_id" if source == "power" else "outlet_id"
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.register("k", pa.table({col: pa.array(missing, pa.string())}))
            found = con.execute(
                f'SELECT s."{col}", max(s."time") FROM {lake.scan_sql(source)} s '
                f'JOIN k ON s."{col}" = k."{col}" GROUP BY 1'
            ).fetchall()
        finally:
            con.close()
        for subject, latest in found:
            self._known[(source, str(subject))] = latest

    def after(self, source: str, row: tuple[Any, ...]) -> bool:
        """Whether ``row`` lies after its subject's horizon (new for sure)."""
        known = self._known.get((source, str(row[0])))
        return known is not None and row[1] > known

    def advance(self, source: str, rows: list[tuple[Any, ...]]) -> None:
        """Move the horizon past rows about to be stored."""
        for row in rows:
            key = (source, str(row[0]))
            known = self._known.get(key)
            if known is not None and row[1] > known:
                self._known[key] = row[1]


def check_rewrites(
    lake: Any,
    source: str,
    rows: list[tuple[Any, ...]],
    metas: list[RowMeta],
    horizon: Horizon | None = None,
) -> tuple[list[tuple[Any, ...]], list[Rewrite]]:
    """Rows of ``source`` to append, and the rewrites found (see the module docstring).

    Rows are in archive order. A row whose key is new is kept; an identical resend is
    dropped; a differing one is a :class:`Rewrite` and kept only when it is an
    authenticated protocol resend (``used``). With a :class:`Horizon`, rows after their
    subject's latest stored time are not looked up in the lake.
    """
    width = _KEYS.get(source, 3)
    if horizon is not None:
        horizon.load(lake, source, {str(r[0]) for r in rows})
        lookup = [r for r in rows if not horizon.after(source, r)]
        current = _stored(lake, source, lookup) if lookup else {}
    else:
        current = _stored(lake, source, rows)
    keep: list[tuple[Any, ...]] = []
    index: dict[tuple[Any, ...], int] = {}
    found: list[Rewrite] = []
    for row, meta in zip(rows, metas, strict=True):
        key = tuple(row[:width])
        old = current.get(key)
        if old is None:
            current[key] = row
            index[key] = len(keep)
            keep.append(row)
            continue
        if _same(old, row, source):
            continue
        used = meta.resend and meta.authenticated
        old_value, old_flag = _fields(source, old)
        new_value, new_flag = _fields(source, row)
        found.append(
            Rewrite(
                source,
                "meter" if source == "power" else "outlet",
                str(row[0]),
                row[1],
                "kw" if source == "power" else str(row[2]),
                old_value,
                new_value,
                old_flag,
                new_flag,
                used,
                meta,
            )
        )
        if used:
            current[key] = row
            if key in index:
                keep[index[key]] = row
            else:
                index[key] = len(keep)
                keep.append(row)
    if horizon is not None:
        horizon.advance(source, keep)
    return keep, found


@dataclass(frozen=True)
class ClockFinding:
    """A logger whose clock has been off beyond the tolerance for a while."""

    mn: str
    drift_s: float
    """Median of ``arrival - DataTime`` over the run (negative: the clock runs ahead)."""
    samples: int
    since: float
    at: float


@dataclass
class ClockWatch:
    """Per-MN runs of out-of-tolerance lags (see the module docstring)."""

    tolerance_s: float = 600.0
    persist_s: float = 1800.0
    min_samples: int = 3
    _runs: dict[str, tuple[int, float, list[float]]] = field(default_factory=dict)

    def observe(
        self, mn: str, cn: str, data_time: str, received: float, resend: bool
    ) -> ClockFinding | None:
        """Feed one packet; return a finding when the run has lasted long enough."""
        if resend or not mn:
            return None
        when = data_time_epoch(data_time)
        if when is None:
            return None
        if cn == "2011":
            lag = received - when
        elif cn in _PERIOD_S:
            lag = received - (when + _PERIOD_S[cn])
            if lag >= -self.tolerance_s:
                return None  # late hourly data is normal, not drift: this says nothing
        else:
            return None
        side = 1 if lag > self.tolerance_s else -1 if lag < -self.tolerance_s else 0
        run = self._runs.get(mn)
        if side == 0:
            self._runs.pop(mn, None)
            return None
        if run is None or run[0] != side or (run[2] and abs(lag - run[2][0]) > self.tolerance_s):
            # a new run; also when the lag moves: a clock that is off keeps DataTime in step
            # with arrival (constant lag), a backlog or a replay catches up (lag shrinks)
            run = (side, received, [])
        lags = [*run[2][-99:], lag]
        self._runs[mn] = (side, run[1], lags)
        if len(lags) >= self.min_samples and received - run[1] >= self.persist_s:
            self._runs[mn] = (side, received, [])  # the next finding after another period
            ordered = sorted(lags)
            return ClockFinding(mn, ordered[len(ordered) // 2], len(lags), run[1], received)
        return None


def _iso(ts: float) -> datetime:
    from lantian.timeutil import CST

    return datetime.fromtimestamp(ts, CST)


def store_findings(
    settings: Settings,
    registry: RegistrySnapshot,
    rewrites: list[Rewrite],
    clocks: list[ClockFinding],
) -> None:
    """Keep rewrites in ``data_rewrites``, audit them and upsert the device leads.

    Idempotent for a replayed batch: a rewrite already stored (same archive ``seq`` and
    key) is skipped.
    """
    if not rewrites and not clocks:
        return
    from sqlalchemy import select

    from lantian.auth.audit import audit
    from lantian.db.session import session_scope
    from lantian.leads.device import CLOCK_RULE, REWRITE_RULE, upsert_device_lead
    from lantian.registry.models import DataRewrite, Meter, Outlet

    with session_scope(settings) as session:

        def enterprise(subject_type: str, subject_id: str) -> str | None:
            model: Any = Outlet if subject_type == "outlet" else Meter
            pk = model.outlet_id if subject_type == "outlet" else model.meter_id
            return session.scalar(select(model.enterprise_id).where(pk == subject_id))

        groups: dict[tuple[str, str, int], list[Rewrite]] = defaultdict(list)
        for rw in rewrites:
            exists = session.scalar(
                select(DataRewrite.id).where(
                    DataRewrite.archive_seq == rw.meta.seq,
                    DataRewrite.source == rw.source,
                    DataRewrite.subject_id == rw.subject_id,
                    DataRewrite.time == rw.time,
                    DataRewrite.pollutant == rw.pollutant,
                )
            )
            if exists is not None:
                continue
            received = datetime.fromisoformat(rw.meta.received_at)
            session.add(
                DataRewrite(
                    source=rw.source,
                    subject_type=rw.subject_type,
                    subject_id=rw.subject_id,
                    mn=rw.meta.mn,
                    time=rw.time,
                    pollutant=rw.pollutant,
                    old_value=rw.old_value,
                    new_value=rw.new_value,
                    old_flag=rw.old_flag,
                    new_flag=rw.new_flag,
                    resend=rw.meta.resend,
                    used=rw.used,
                    archive_seq=rw.meta.seq,
                    received_at=received,
                )
            )
            groups[(rw.subject_type, rw.subject_id, rw.meta.seq)].append(rw)
        session.flush()
        for (subject_type, subject_id, seq), items in groups.items():
            first = items[0]
            changes: list[dict[str, Any]] = [
                {
                    "source": rw.source,
                    "time": rw.time.isoformat(),
                    "pollutant": rw.pollutant,
                    "old": rw.old_value,
                    "new": rw.new_value,
                    "old_flag": rw.old_flag,
                    "new_flag": rw.new_flag,
                }
                for rw in items
            ]
            used = first.used
            audit(
                session,
                None,
                "data_rewrite",
                subject_type,
                subject_id,
                before={c["pollutant"]: c["old"] for c in changes},
                after={c["pollutant"]: c["new"] for c in changes},
                note=(
                    f"MN {first.meta.mn} archive seq {seq}: resent values differ from the "
                    f"stored ones at {first.time.isoformat()}; "
                    + ("the resend (RF=1, authenticated) replaced them" if used else "kept")
                ),
            )
            at = datetime.fromisoformat(first.meta.received_at)
            shown = "，".join(
                f"{pollutant_name(c['pollutant'])} {c['old']} → {c['new']}" for c in changes[:3]
            )
            upsert_device_lead(
                session,
                rule=REWRITE_RULE,
                subject_type=subject_type,
                subject_id=subject_id,
                enterprise_id=enterprise(subject_type, subject_id),
                at=at,
                event={
                    "archive_seq": seq,
                    "received_at": first.meta.received_at,
                    "resend": first.meta.resend,
                    "authenticated": first.meta.authenticated,
                    "used": used,
                    "changes": changes[:20],
                },
                summary=(
                    f"数据被改写：{subject_id} {to_cst(first.time).strftime('%Y-%m-%d %H:%M')}"
                    f" {shown}"
                ),
                severity=3,
                score=0.9,
                extra={"mn": first.meta.mn},
            )
        for finding in clocks:
            mn = finding.mn
            subject_type, subject_id = "outlet", registry.outlets.get(mn, "")
            if not subject_id:
                meter_ids = sorted(m for (m_mn, _), m in registry.meters.items() if m_mn == mn)
                if not meter_ids:
                    continue
                subject_type, subject_id = "meter", meter_ids[0]
            minutes = finding.drift_s / 60.0
            side = "慢" if finding.drift_s > 0 else "快"
            upsert_device_lead(
                session,
                rule=CLOCK_RULE,
                subject_type=subject_type,
                subject_id=subject_id,
                enterprise_id=enterprise(subject_type, subject_id),
                at=_iso(finding.at),
                event={
                    "since": _iso(finding.since).isoformat(),
                    "at": _iso(finding.at).isoformat(),
                    "drift_s": round(finding.drift_s, 1),
                    "samples": finding.samples,
                },
                summary=(
                    f"数采仪时钟异常：MN {mn} 时钟{side} {abs(minutes):.0f} 分钟"
                    f"（依据 {finding.samples} 个数据包）"
                ),
                severity=2,
                score=0.8,
                extra={
                    "mn": mn,
                    "drift_s": round(finding.drift_s, 1),
                    "remedy": {
                        "cn": "1013",
                        "name": "现场机时间校准请求",
                        "text": (
                            "校准数采仪时钟（HJ 212-2017 命令 1013 现场机时间校准请求；"
                            "平台以命令 1012 设置现场机时间）"
                        ),
                    },
                },
            )
