"""Data-logger status (online, last seen, last data time, clock drift) and the quarantine list.

The gateway keeps both in memory and writes them every few seconds to
``LANTIAN_HOME/gateway/status.json`` and ``LANTIAN_HOME/gateway/quarantine.json``
(atomic replace), where the CLI and the web read them; the running gateway also serves
them as JSON on ``/status`` of its metrics port.

Clock drift is measured on real-time uploads (CN 2011), whose ``DataTime`` is the sampling
instant: ``drift = receive time - DataTime`` (positive: the logger's clock is behind, or the
packet was delayed). Minute/hour/day packets carry the *start* of their period and are not
used for drift.

References
----------
.. [1] HJ 212-2017, Table 4 (``DataTime``: start of the period for 2051/2061/2031, sampling
   instant for 2011).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from lantian.gateway.registry import RegistrySnapshot
from lantian.timeutil import CST

__all__ = [
    "LoggerBook",
    "data_time_epoch",
    "read_json",
    "safe_text",
    "write_json_atomic",
    "write_text_atomic",
]

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def safe_text(text: str) -> str:
    """``text`` with control characters (CR, LF, NUL, ESC, C1, line separators) escaped.

    For everything a peer chooses (MN, reasons quoting its bytes) that goes into a log line
    or a status listing: ``"A\\nB"`` cannot start a forged log line. A backslash is escaped
    too, so an escaped text cannot be mistaken for the original.
    """
    if not _CONTROL.search(text) and "\\" not in text:
        return text
    return _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        text.replace("\\", "\\\\"),
    )


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` via a temporary file and an atomic rename."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False))


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` via a temporary file and an atomic rename."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def read_json(path: Path, default: Any) -> Any:
    """Read a JSON file, or return ``default`` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


@lru_cache(maxsize=8192)
def data_time_epoch(digits: str) -> float | None:
    """Return the epoch seconds of an HJ 212 ``DataTime`` (``YYYYMMDDhhmmss[zzz]``, CST).

    References
    ----------
    .. [1] HJ 212-2017, Table 4 (``DataTime`` N14).
    """
    if len(digits) < 14 or not digits[:14].isdigit():
        return None
    try:
        return datetime(
            int(digits[0:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            int(digits[12:14]),
            tzinfo=CST,
        ).timestamp()
    except ValueError:
        return None


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return _iso_second(int(ts))


@lru_cache(maxsize=4096)
def _iso_second(sec: int) -> str:
    return datetime.fromtimestamp(sec, CST).isoformat(timespec="seconds")


class LoggerBook:
    """In-memory status of every data logger seen, and of quarantined MNs."""

    def __init__(self, max_quarantine: int = 1000) -> None:
        # mn -> [last_seen, last_data_time, drift_received, drift_data_time, packets, connections]
        self._loggers: dict[str, list[Any]] = {}
        self._quarantine: dict[str, dict[str, Any]] = {}
        self.max_quarantine = max_quarantine
        """Most MNs in the quarantine list; packets of further MNs are only counted."""
        self.quarantine_unlisted = 0
        """Quarantined packets whose MN was not listed because the list was full."""

    def load(self, home: Path) -> None:
        """Start from the state written by a previous run (last seen survives restarts)."""
        for row in read_json(home / "status.json", []):
            try:
                seen = datetime.fromisoformat(row["last_seen"]).timestamp()
            except (KeyError, TypeError, ValueError):
                continue
            self._loggers.setdefault(
                row["mn"], [seen, row.get("last_data_time") or "", None, "", 0, 0]
            )
        for row in read_json(home / "quarantine.json", []):
            if len(self._quarantine) >= self.max_quarantine:
                break
            if isinstance(row, dict) and "mn" in row:
                mn = str(row["mn"])  # stored escaped; older files may hold raw text
                row["mn"] = mn = safe_text(mn) if _CONTROL.search(mn) else mn
                self._quarantine.setdefault(mn, row)

    def _entry(self, mn: str) -> list[Any]:
        entry = self._loggers.get(mn)
        if entry is None:
            entry = self._loggers[mn] = [0.0, "", None, "", 0, 0]
        return entry

    def seen(self, mn: str, now: float, cn: bytes, data_time: bytes) -> None:
        """Record an accepted packet (hot path)."""
        entry = self._loggers.get(mn)
        if entry is None:
            entry = self._entry(mn)
        entry[0] = now
        entry[4] += 1
        if data_time:
            entry[1] = data_time
            if cn == b"2011":
                entry[2] = now
                entry[3] = data_time

    def connected(self, mn: str) -> None:
        """A connection identified itself as ``mn``."""
        self._entry(mn)[5] += 1

    def disconnected(self, mn: str) -> None:
        """A connection of ``mn`` closed."""
        entry = self._entry(mn)
        entry[5] = max(0, entry[5] - 1)

    def quarantine(self, mn: str, reason: str, peer: str, now: float, seq: int) -> None:
        """Record a quarantined packet (unknown MN or wrong PW); ``mn`` is shown escaped."""
        mn = safe_text(mn)
        row = self._quarantine.get(mn)
        stamp = _iso(now)
        if row is None:
            if len(self._quarantine) >= self.max_quarantine:
                self.quarantine_unlisted += 1
                return
            row = self._quarantine[mn] = {"mn": mn, "first_seen": stamp, "count": 0}
        row.update(reason=reason, last_seen=stamp, peer=peer, last_seq=seq)
        row["count"] += 1

    def quarantine_list(self) -> list[dict[str, Any]]:
        """Quarantined MNs, most recent first."""
        return sorted(self._quarantine.values(), key=lambda r: r["last_seen"] or "", reverse=True)

    def loggers(
        self, registry: RegistrySnapshot, now: float, offline_after: float
    ) -> list[dict[str, Any]]:
        """Status rows of every registered or seen MN."""
        return list(self.iter_loggers(registry, now, offline_after))

    def iter_loggers(
        self, registry: RegistrySnapshot, now: float, offline_after: float
    ) -> Iterator[dict[str, Any]]:
        """The rows of :meth:`loggers` one by one (the MNs are fixed when iteration starts),
        so that the gateway can build a city's status in slices between its answers."""
        mns = set(self._loggers) | {mn.decode() for mn in registry.passwords}
        for mn in sorted(mns):
            entry = self._loggers.get(mn)
            last_seen = entry[0] if entry and entry[0] else None
            drift = None
            if entry and entry[2] is not None:
                dt = data_time_epoch(_text(entry[3]))
                if dt is not None:
                    drift = round(entry[2] - dt, 1)
            connected = bool(entry and entry[5])
            yield (
                {
                    "mn": safe_text(mn),
                    "kind": registry.kind(mn),
                    "outlet_id": registry.outlets.get(mn),
                    "online": connected
                    or (last_seen is not None and now - last_seen <= offline_after),
                    "connected": connected,
                    "last_seen": _iso(last_seen),
                    "last_data_time": _text(entry[1]) if entry else None,
                    "clock_drift_s": drift,
                    "packets": entry[4] if entry else 0,
                    **_device_state(registry, mn, self._quarantine.get(mn)),
                }
            )


def _device_state(
    registry: RegistrySnapshot, mn: str, held: dict[str, Any] | None
) -> dict[str, Any]:
    """Credential warning and the last quarantine of one MN (device integrity)."""
    key = mn.encode()
    warning = None
    if key in registry.no_pw:
        warning = "no_pw: no PW registered, packets refused"
    elif key in registry.allow_no_pw:
        warning = "allow_no_pw: accepted without a PW"
    quarantine = None
    if held is not None:
        quarantine = {k: held.get(k) for k in ("reason", "count", "first_seen", "last_seen")}
    return {"warning": warning, "quarantine": quarantine}


def _text(value: Any) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value or "")
