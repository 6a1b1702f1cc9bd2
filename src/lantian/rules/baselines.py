"""Per-series baselines kept between platform runs, so that a run judges a change by
reading only the hours around it.

The rules judge an hour against each series' own statistics: a meter's off/running
levels (Otsu split of its power histogram) and typical on-share, a line's typical power
and hour-of-day profile with its noise, an outlet's inferred line, its median O2 and spread,
a series' repeat rate and rolling-CV reference, a treatment meter's median share and MAD,
its sampling step. They are medians over the long window of data a run reads, so a run
that reads one day gets different statistics (and withdraws or creates leads that a run
over the month would not) — and a run that re-reads a week for every new hour costs a
quarter of a full run.

Instead, each statistic is declared once in the rules through
:meth:`lantian.rules.context.Context.baseline` (a kind, the key columns of a series and
the value columns). A run that reads a series' long window (the first run, ``force``, a
refresh, a late or resent backlog) computes the statistics and this module stores them
per enterprise, with the data window they were computed from. A later run whose changed
hours lie within ``baseline_refresh_h`` of that window (a new hour, a logger's short
backlog) reads only the hours around the change (``episode_h``) and passes the stored
statistics to the rules as the ``baselines`` input table: the hours are judged against
the same yardsticks the full run used. Spark reads the same table (it is an ordinary
input), so both engines judge alike.

A stored baseline is not used (the enterprise is read whole again and its statistics
replaced) when the rule parameters or the enterprise's registry entries (outlets, meters,
lines, limits) changed since, when the change reaches further than
``baseline_refresh_h`` from its data window, or when it is older than that.

The store is one Parquet file (``LANTIAN_HOME/baselines.parquet``, rows kind, k1, k2,
name, value, text, enterprise_id) whose schema metadata holds the per-enterprise windows
and fingerprints; it is replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

STORE_NAME = "baselines.parquet"
META_KEY = b"lantian.baselines"
FORMAT = 1

SCHEMA = pa.schema(  # the store's rows
    [
        ("enterprise_id", pa.string()),
        ("kind", pa.string()),
        ("k1", pa.string()),
        ("k2", pa.string()),
        ("name", pa.string()),
        ("value", pa.float64()),
        ("text", pa.string()),
    ]
)

SERIES_ENTERPRISE_KEYS: tuple[str, ...] = ("meter_id", "outlet_id", "line_id")
"""First key column of a baseline → how its series is mapped to an enterprise."""


@dataclass(frozen=True)
class Entry:
    """What one enterprise's stored statistics were computed from."""

    data_from: datetime
    data_to: datetime
    registry: str
    """Fingerprint of the enterprise's registry rows (:func:`registry_fingerprint`)."""

    def reusable(self, lo: datetime, hi: datetime, registry: str, refresh: timedelta) -> bool:
        """True if changed hours ``[lo, hi)`` may be judged with these statistics: the same
        registry, and every hour to judge within ``refresh`` of the data they summarise
        (a new hour, a short backlog; not a resend reaching back days, not a day later)."""
        if registry != self.registry or refresh <= timedelta(0):
            return False
        first = min(lo, self.data_to)
        last = max(hi, self.data_to)
        return lo >= self.data_from and last - first <= refresh


@dataclass
class Store:
    """The stored statistics: rows (Arrow) and per-enterprise entries."""

    params: str = ""
    """Fingerprint of the rule parameters the statistics were computed with."""
    entries: dict[str, Entry] = field(default_factory=dict)
    rows: pa.Table = field(default_factory=SCHEMA.empty_table)

    def rows_of(self, enterprises: Iterable[str]) -> pa.Table:
        """The stored rows of some enterprises, without the enterprise column."""
        import pyarrow.compute as pc

        ids = pa.array(sorted(set(enterprises)), pa.string())
        mask = pc.is_in(self.rows["enterprise_id"], value_set=ids)
        return self.rows.filter(mask).drop(["enterprise_id"])

    def replace(self, params: str, computed: pa.Table, entries: Mapping[str, Entry]) -> None:
        """Replace the statistics of ``entries``' enterprises by ``computed`` (rows with an
        ``enterprise_id``). Another parameter fingerprint drops everything stored."""
        import pyarrow.compute as pc

        if params != self.params:
            self.params = params
            self.entries = {}
            self.rows = SCHEMA.empty_table()
        ids = pa.array(sorted(entries), pa.string())
        keep = self.rows.filter(pc.invert(pc.is_in(self.rows["enterprise_id"], value_set=ids)))
        new = computed.filter(pc.is_in(computed["enterprise_id"], value_set=ids))
        self.rows = pa.concat_tables([keep, new.select(SCHEMA.names).cast(SCHEMA)])
        self.entries.update(entries)


def load(home: Path) -> Store:
    """The store under ``home`` (empty when absent, of another format or unreadable).

    An unreadable store (a truncated file after a full disk, a hand edit) is logged and
    treated as absent: it costs one long read per enterprise, never a stopped detection.
    """
    path = Path(home) / STORE_NAME
    if not path.exists():
        return Store()
    try:
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
        if meta.get("format") != FORMAT:
            return Store()
        entries = {
            ent: Entry(
                datetime.fromisoformat(e["from"]), datetime.fromisoformat(e["to"]), e["registry"]
            )
            for ent, e in meta.get("entries", {}).items()
        }
        rows = table.cast(SCHEMA)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException) as exc:
        log.warning("stored baselines %s unreadable (%s): re-reading every enterprise", path, exc)
        return Store()
    return Store(params=str(meta.get("params", "")), entries=entries, rows=rows)


def save(home: Path, store: Store) -> None:
    """Write the store atomically (temporary file, then rename)."""
    path = Path(home) / STORE_NAME
    meta = {
        "format": FORMAT,
        "params": store.params,
        "entries": {
            ent: {
                "from": e.data_from.isoformat(),
                "to": e.data_to.isoformat(),
                "registry": e.registry,
            }
            for ent, e in sorted(store.entries.items())
        },
    }
    table = store.rows.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def long_rows(
    collected: Sequence[tuple[str, tuple[str, ...], Any]],
    enterprise_of: Mapping[str, Mapping[str, str]],
) -> pa.Table:
    """The statistics a run computed, as store rows.

    Parameters
    ----------
    collected
        ``(kind, keys, table)`` as recorded by :meth:`Context.baseline` (Ibis tables of
        any backend; executed here).
    enterprise_of
        First key column (:data:`SERIES_ENTERPRISE_KEYS`) → series id → enterprise.

    Returns
    -------
    pyarrow.Table
        One row per (kind, series, value column): enterprise_id, kind, k1, k2, name, value
        (numbers and booleans) or text (strings). A series whose enterprise is unknown
        is left out; a series computed by several contexts of one run is stored once.
    """
    cols: dict[str, list[Any]] = {n: [] for n in SCHEMA.names}
    seen: set[tuple[str, str, str | None]] = set()
    for kind, keys, table in collected:
        owners = enterprise_of[keys[0]]
        data = table.to_pyarrow().to_pylist()
        values = [c for c in table.columns if c not in keys]
        for row in data:
            k1 = row[keys[0]]
            k2 = row[keys[1]] if len(keys) > 1 else None
            ent = owners.get(str(k1)) if k1 is not None else None
            if ent is None:
                continue
            key = (kind, str(k1), None if k2 is None else str(k2))
            if key in seen:
                continue
            seen.add(key)
            for name in values:
                v = row[name]
                cols["enterprise_id"].append(ent)
                cols["kind"].append(kind)
                cols["k1"].append(key[1])
                cols["k2"].append(key[2])
                cols["name"].append(name)
                if isinstance(v, str):
                    cols["value"].append(None)
                    cols["text"].append(v)
                else:
                    cols["value"].append(None if v is None else float(v))
                    cols["text"].append(None)
    return pa.table(cols, schema=SCHEMA)


def series_owners(registry: Mapping[str, pa.Table]) -> dict[str, dict[str, str]]:
    """For each of :data:`SERIES_ENTERPRISE_KEYS`: series id → enterprise, from the
    registry's ``meters`` and ``outlets`` (a line belongs to its meters' and outlets'
    enterprise)."""
    out: dict[str, dict[str, str]] = {k: {} for k in SERIES_ENTERPRISE_KEYS}
    for name, id_col in (("meters", "meter_id"), ("outlets", "outlet_id")):
        for row in registry[name].select([id_col, "line_id", "enterprise_id"]).to_pylist():
            ent = row["enterprise_id"]
            if ent is None:
                continue
            if row[id_col] is not None:
                out[id_col][str(row[id_col])] = str(ent)
            if row["line_id"] is not None:
                out["line_id"][str(row["line_id"])] = str(ent)
    return out


def fingerprint(value: Any) -> str:
    """SHA-1 of a JSON-able value (keys sorted; other objects by ``repr``)."""
    text = json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def registry_fingerprints(tables: Mapping[str, pa.Table]) -> dict[str, str]:
    """Enterprise → fingerprint of its enterprise, outlet and meter rows (all columns):
    a new meter, a moved line, a changed limit make its stored statistics stale."""
    parts: dict[str, list[Any]] = {}
    for name in ("enterprises", "outlets", "meters"):
        for row in tables[name].to_pylist():
            ent = row.get("enterprise_id")
            if ent is not None:
                parts.setdefault(str(ent), []).append([name, sorted(row.items())])
    return {ent: fingerprint(sorted(rows, key=repr)) for ent, rows in parts.items()}


__all__ = [
    "SERIES_ENTERPRISE_KEYS",
    "STORE_NAME",
    "Entry",
    "Store",
    "fingerprint",
    "load",
    "long_rows",
    "registry_fingerprints",
    "save",
    "series_owners",
]
