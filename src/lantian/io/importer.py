"""``lantian import``: store a bundle, atomically per file.

Registry files and alerts go to the database, one transaction per file, upserted by id
(re-importing updates, never duplicates); measurement files go to the lake
(``source='import'``) after the whole file has been checked. The first refused file stops
the import; files before it stay imported.

Every stored file leaves an audit entry (``import_file``: file name, SHA-256 of the file,
rows added/updated, who), and every change of an outlet's or meter's MN, limits, PW or SM4
key its own entry with before/after (secrets masked). Measurement rows stamped more than
``LANTIAN_FUTURE_MARGIN_H`` ahead of now are not stored in the lake: they are kept with a
reason under ``LANTIAN_HOME/quarantine/import/`` and counted in the report.

References
----------
.. [1] Lantian exchange formats v1 (``contracts/exchange-formats.md``).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lantian.auth.audit import ActorLike, audit
from lantian.db.session import session_scope
from lantian.io.bundle import BundleFile, Known, check_file, find_files, line_owners
from lantian.io.errors import BundleError, Issue
from lantian.io.formats import LAKE_FILES, LAKE_RENAMES, SECRET_COLUMNS
from lantian.io.jurisdiction import bbox_of
from lantian.io.parse import ParsedTable, convert
from lantian.lake import Lake
from lantian.registry.models import (
    Alert,
    Enterprise,
    Grid,
    Line,
    Measure,
    Meter,
    Outlet,
    Station,
)
from lantian.settings import Settings, get_settings

_MODELS: dict[str, Any] = {
    "enterprises": Enterprise,
    "outlets": Outlet,
    "meters": Meter,
    "stations": Station,
    "alerts": Alert,
    "grids": Grid,
}


@dataclass
class FileResult:
    """What happened to one file."""

    label: str
    name: str
    rows: int
    target: str
    seconds: float
    inserted: int = 0
    updated: int = 0
    sha256: str | None = None
    quarantined: int = 0
    """Rows stamped beyond now + ``future_margin_h``: kept in ``quarantine_file``, not stored."""
    quarantine_file: str | None = None


@dataclass
class ImportReport:
    """Result of :func:`import_bundle`."""

    files: list[FileResult] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Rows stored over all files."""
        return sum(f.rows for f in self.files)

    @property
    def quarantined(self) -> int:
        """Rows quarantined (future data time) over all files."""
        return sum(f.quarantined for f in self.files)


@dataclass(frozen=True)
class CliActor:
    """The operating-system user running ``lantian import`` (no platform account)."""

    username: str
    user_id: int | None = None


def cli_actor() -> CliActor:
    """``cli:<login name>`` of the current process, for audit entries of CLI imports."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        name = "unknown"
    return CliActor(f"cli:{name}"[:64])


WATCHED_COLUMNS: dict[str, tuple[str, ...]] = {
    "outlets": ("mn", "pw", "sm4_key", "limit_pm", "limit_so2", "limit_nox", "o2_ref_pct"),
    "meters": ("mn", "factor_code", "pw", "sm4_key"),
}
"""Registry columns whose every change leaves an audit entry with before/after."""
MASK = "********"


Listener = Callable[[str, str, int | None], None]
"""``listener(label, stage, rows)`` with stage in ``start``, ``checked``, ``stored``."""


def load_known(session: Session) -> Known:
    """The registry ids currently in the database."""
    k = Known()
    for eid, code in session.execute(select(Enterprise.enterprise_id, Enterprise.credit_code)):
        k.enterprises.add(eid)
        k.credit_codes[code] = eid
    for oid, mn in session.execute(select(Outlet.outlet_id, Outlet.mn)):
        k.outlets.add(oid)
        k.outlet_mns[mn] = oid
    for mid, mmn, fc in session.execute(select(Meter.meter_id, Meter.mn, Meter.factor_code)):
        k.meters.add(mid)
        if mmn is not None and fc is not None:
            k.meter_mns[(mmn, fc)] = mid
    k.stations.update(session.scalars(select(Station.station_id)))
    for lid, eid in session.execute(select(Line.line_id, Line.enterprise_id)):
        k.lines[lid] = eid
    k.grids.update(session.scalars(select(Grid.grid_id)))
    for model in (Enterprise, Station):
        row = session.execute(
            select(
                func.min(model.lon), func.min(model.lat), func.max(model.lon), func.max(model.lat)
            )
        ).one()
        k.add_sites(bbox_of([row[0], row[2]], [row[1], row[3]]))
    for lon, lat, cell_km in session.execute(select(Grid.lon, Grid.lat, Grid.cell_km)):
        k.add_sites(bbox_of([lon], [lat], [(cell_km or 0.0) / 2]))
    return k


def _records(parsed: ParsedTable) -> list[dict[str, Any]]:
    return parsed.table.to_pylist()  # type: ignore[no-any-return]


def _masked(column: str, value: Any) -> Any:
    return MASK if column in SECRET_COLUMNS and value is not None else value


def _registry_changes(
    name: str,
    stored: dict[str, dict[str, Any]],
    rows: list[dict[str, Any]],
    pk: str,
    keep: list[str],
) -> list[tuple[str, dict[str, Any] | None, dict[str, Any]]]:
    """``(id, before, after)`` of each row whose watched columns change (secrets masked)."""
    out: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
    for r in rows:
        cols = [c for c in WATCHED_COLUMNS.get(name, ()) if c in r]
        old = stored.get(r[pk])
        if old is None:
            after = {c: _masked(c, r[c]) for c in cols if r[c] is not None}
            if after:
                out.append((r[pk], None, after))
            continue
        changed = [c for c in cols if old.get(c) != r[c] and not (c in keep and r[c] is None)]
        if changed:
            before = {c: _masked(c, old.get(c)) for c in changed}
            after = {c: _masked(c, r[c]) for c in changed}
            for c in changed:
                if c in SECRET_COLUMNS and old.get(c) is not None and r[c] is not None:
                    after[c] = f"{MASK} (changed)"
            out.append((r[pk], before, after))
    return out


def _upsert(
    session: Session,
    model: Any,
    rows: list[dict[str, Any]],
    name: str = "",
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] | None = None,
) -> tuple[int, int]:
    pk = model.__mapper__.primary_key[0].key
    ids = [r[pk] for r in rows]
    watched = [c for c in WATCHED_COLUMNS.get(name, ()) if hasattr(model, c)]
    cols = [getattr(model, pk), *(getattr(model, c) for c in watched)]
    stored: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for rec in session.execute(select(*cols).where(getattr(model, pk).in_(chunk))):
            stored[rec[0]] = dict(zip(watched, rec[1:], strict=True))
    existing = set(stored)
    new = [r for r in rows if r[pk] not in existing]
    old = [r for r in rows if r[pk] in existing]
    # An export without --with-secrets leaves secret columns empty: re-importing it
    # must keep the stored secrets, not wipe them.
    keep = [c for c in SECRET_COLUMNS if any(c in r and r[c] is None for r in old)]
    if changes is not None:
        changes.extend(_registry_changes(name, stored, rows, pk, keep))
    if old:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for r in old:
            row = {k: v for k, v in r.items() if not (k in keep and v is None)}
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for group in groups.values():
            session.execute(update(model), group)
    if new:
        session.add_all(model(**r) for r in new)
    session.flush()
    return len(new), len(old)


def _store_lines(session: Session, parsed: ParsedTable, known: Known) -> None:
    new = [
        Line(line_id=lid, enterprise_id=eid)
        for lid, eid in line_owners(parsed).items()
        if lid not in known.lines
    ]
    if new:
        session.add_all(new)
        session.flush()


def _store_measures(session: Session, rows: list[dict[str, Any]]) -> tuple[int, int]:
    existing = {(m.line_id, m.level): m.id for m in session.scalars(select(Measure))}
    inserted = updated = 0
    for r in rows:
        mid = existing.get((r["line_id"], r["level"]))
        if mid is None:
            session.add(Measure(**r))
            inserted += 1
        else:
            session.execute(update(Measure), [{"id": mid, **r}])
            updated += 1
    session.flush()
    return inserted, updated


_OBJECT_TYPES = {"outlets": "outlet", "meters": "meter"}


def _store_db(
    parsed: ParsedTable,
    settings: Settings,
    known: Known,
    record: Callable[[Session, int, int], None] | None = None,
    actor: ActorLike | None = None,
) -> tuple[int, int]:
    """Store a registry/alerts file in one transaction with its audit entries."""
    rows = _records(parsed)
    name = parsed.spec.name
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
    try:
        with session_scope(settings) as session:
            if name in ("outlets", "meters", "measures"):
                _store_lines(session, parsed, known)
            if name == "measures":
                inserted, updated = _store_measures(session, rows)
            else:
                inserted, updated = _upsert(session, _MODELS[name], rows, name, changes)
            for object_id, before, after in changes:
                audit(
                    session,
                    actor,
                    "registry_import",
                    _OBJECT_TYPES[name],
                    object_id,
                    before=before,
                    after=after,
                    note=f"import of {parsed.label}",
                )
            if name == "enterprises":  # 正面清单 and 绩效分级 keep their history (issue #13)
                from lantian.supervision.history import record_import

                record_import(session, actor, [r["enterprise_id"] for r in rows], parsed.label)
            if record is not None:
                record(session, inserted, updated)
            return inserted, updated
    except IntegrityError as exc:
        msg = f"refused by the database: {exc.orig}"
        raise BundleError([Issue(parsed.label, None, None, None, msg)]) from exc


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes as 64 hex digits (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def quarantine_dir(settings: Settings) -> Path:
    """Where imported rows with a future data time are kept: ``LANTIAN_HOME/quarantine/import``."""
    return settings.resolved_home / "quarantine" / "import"


def split_future(
    parsed: ParsedTable, settings: Settings, now: dt.datetime | None = None
) -> tuple[ParsedTable, pa.Table | None, str]:
    """Split off the rows stamped beyond now + ``settings.future_margin_h``.

    Returns
    -------
    (kept, quarantined, reason)
        ``kept`` holds the other rows; ``quarantined`` (``None`` when there are none) the
        split-off rows with their source ``line`` and the ``reason``.

    References
    ----------
    .. [1] HJ 212-2017 §6.3: ``DataTime`` is the time the data belong to; a time ahead of
       the clock is a wrong logger clock or forged data (issue #11).
    """
    if "time" not in parsed.table.column_names or parsed.num_rows == 0:
        return parsed, None, ""
    now = now or dt.datetime.now(dt.UTC)
    limit = now + dt.timedelta(hours=settings.future_margin_h)
    times = parsed.table.column("time")
    future = pc.fill_null(pc.greater(times, pa.scalar(limit, type=times.type)), False)
    if not pc.any(future).as_py():
        return parsed, None, ""
    mask = np.asarray(future.to_numpy(zero_copy_only=False), dtype=bool)
    reason = (
        f"data time after now + {settings.future_margin_h:g} h (LANTIAN_FUTURE_MARGIN_H; "
        f"limit {limit.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()})"
    )
    bad = parsed.table.filter(pa.array(mask))
    bad = bad.append_column("line", pa.array(parsed.lines[mask], type=pa.int64()))
    bad = bad.append_column("reason", pa.array([reason] * bad.num_rows, type=pa.string()))
    kept = replace(parsed, table=parsed.table.filter(pa.array(~mask)), lines=parsed.lines[~mask])
    return kept, bad, reason


def _write_quarantine(settings: Settings, label: str, table: pa.Table) -> Path:
    folder = quarantine_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", label)
    path = folder / f"{stamp}-{safe}.parquet"
    tmp = path.with_name(f".{path.name}.part")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return path


def _store_lake(parsed: ParsedTable, lake: Lake) -> int:
    t = parsed.table
    if parsed.spec.name == "cems_hourly":
        t = t.drop_columns(["mn"])
    renames = LAKE_RENAMES.get(parsed.spec.name)
    if renames:
        t = t.rename_columns([renames.get(c, c) for c in t.column_names])
    # check_file has refused duplicate keys already
    return lake.append(parsed.spec.name, t, origin="import", assume_unique=True)


def import_file(
    bundle_file: BundleFile,
    settings: Settings,
    lake: Lake,
    listener: Listener | None = None,
    actor: ActorLike | None = None,
) -> tuple[FileResult, list[Issue]]:
    """Check and store one file (all or nothing) and audit it.

    Parameters
    ----------
    actor
        Who imports (a web user); default the CLI user (:func:`cli_actor`).

    Raises
    ------
    BundleError
        The file was refused; nothing of it is stored.
    """
    began = time.perf_counter()
    actor = actor if actor is not None else cli_actor()
    if listener:
        listener(bundle_file.label, "start", None)
    raw = bundle_file.load()
    parsed = convert(raw, bundle_file.spec)
    with session_scope(settings) as session:
        known = load_known(session)
    parsed = check_file(parsed, known)
    if listener:
        listener(bundle_file.label, "checked", parsed.num_rows)
    name = bundle_file.spec.name
    digest = file_sha256(bundle_file.path) if bundle_file.path is not None else None
    warnings = list(parsed.warnings)
    inserted = updated = quarantined = 0
    quarantine_file: str | None = None

    def record(session: Session, added: int, changed: int) -> None:
        audit(
            session,
            actor,
            "import_file",
            "import",
            digest or bundle_file.label[:64],
            after={
                "file": bundle_file.label,
                "path": str(bundle_file.path) if bundle_file.path is not None else None,
                "sha256": digest,
                "table": name,
                "inserted": added,
                "updated": changed,
                "quarantined": quarantined,
                "quarantine_file": quarantine_file,
            },
            note=f"import {bundle_file.label}: {added} added, {changed} updated",
        )

    if name in LAKE_FILES:
        parsed, future, reason = split_future(parsed, settings)
        if future is not None:
            quarantined = future.num_rows
            quarantine_file = str(_write_quarantine(settings, bundle_file.label, future))
            first = int(future.column("line")[0].as_py())
            shown = future.column("time")[0].as_py()
            warnings.append(
                Issue(
                    bundle_file.label,
                    first,
                    "time",
                    shown.isoformat() if shown is not None else None,
                    f"{quarantined} row(s) quarantined, not stored: {reason}; kept in "
                    f"{quarantine_file}",
                    "warning",
                )
            )
        rows = _store_lake(parsed, lake) if parsed.num_rows else 0
        target = "lake"
        with session_scope(settings) as session:
            record(session, rows, 0)
    else:
        inserted, updated = _store_db(parsed, settings, known, record, actor)
        rows = inserted + updated
        target = "database"
    if listener:
        listener(bundle_file.label, "stored", rows)
    result = FileResult(
        bundle_file.label,
        name,
        rows,
        target,
        time.perf_counter() - began,
        inserted,
        updated,
        digest,
        quarantined,
        quarantine_file,
    )
    return result, warnings


def import_bundle(
    path: Path,
    settings: Settings | None = None,
    *,
    lake: Lake | None = None,
    listener: Listener | None = None,
    report: ImportReport | None = None,
    actor: ActorLike | None = None,
) -> ImportReport:
    """Import the bundle at ``path`` file by file (registry first, then data).

    Parameters
    ----------
    path
        Bundle directory, or an ``.xlsx`` workbook.
    settings
        Effective settings (database and lake); default :func:`get_settings`.
    lake
        Lake to write to; default the one at ``settings.lake_dir``.
    listener
        Progress callback ``(label, stage, rows)``.
    report
        Report to fill (so a caller still has the finished files when a file fails).
    actor
        Who imports, for the audit entries (a web user); default the CLI user.

    Raises
    ------
    BundleError
        At the first refused file; earlier files stay imported (see ``report``).
    """
    settings = settings or get_settings()
    settings.ensure_home()
    lake = lake or Lake(settings.lake_dir)
    report = report if report is not None else ImportReport()
    began = time.perf_counter()
    files, warnings = find_files(path)
    report.warnings.extend(warnings)
    try:
        for f in files:
            result, file_warnings = import_file(f, settings, lake, listener, actor)
            report.files.append(result)
            report.warnings.extend(file_warnings)
    finally:
        report.seconds = time.perf_counter() - began
    return report
