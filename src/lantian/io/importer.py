"""``lantian import``: store a bundle, atomically per file.

Registry files and alerts go to the database, one transaction per file, upserted by id
(re-importing updates, never duplicates); measurement files go to the lake
(``source='import'``) after the whole file has been checked. The first refused file stops
the import; files before it stay imported.

References
----------
.. [1] Lantian exchange formats v1 (``contracts/exchange-formats.md``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lantian.db.session import session_scope
from lantian.io.bundle import BundleFile, Known, check_file, find_files, line_owners
from lantian.io.errors import BundleError, Issue
from lantian.io.formats import LAKE_FILES
from lantian.io.parse import ParsedTable, convert
from lantian.lake import Lake
from lantian.registry.models import (
    Alert,
    Enterprise,
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
    return k


def _records(parsed: ParsedTable) -> list[dict[str, Any]]:
    return parsed.table.to_pylist()  # type: ignore[no-any-return]


SECRET_COLUMNS: tuple[str, ...] = ("sm4_key",)
"""Registry columns that an empty cell never overwrites on re-import (secrets)."""


def _upsert(session: Session, model: Any, rows: list[dict[str, Any]]) -> tuple[int, int]:
    pk = model.__mapper__.primary_key[0].key
    ids = [r[pk] for r in rows]
    existing: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        existing.update(
            session.scalars(select(getattr(model, pk)).where(getattr(model, pk).in_(chunk)))
        )
    new = [r for r in rows if r[pk] not in existing]
    old = [r for r in rows if r[pk] in existing]
    if old:
        # An export without --with-secrets leaves secret columns empty: re-importing it
        # must keep the stored secrets, not wipe them.
        keep = [c for c in SECRET_COLUMNS if any(c in r and r[c] is None for r in old)]
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


def _store_db(parsed: ParsedTable, settings: Settings, known: Known) -> tuple[int, int]:
    rows = _records(parsed)
    try:
        with session_scope(settings) as session:
            if parsed.spec.name in ("outlets", "meters", "measures"):
                _store_lines(session, parsed, known)
            if parsed.spec.name == "measures":
                return _store_measures(session, rows)
            return _upsert(session, _MODELS[parsed.spec.name], rows)
    except IntegrityError as exc:
        msg = f"refused by the database: {exc.orig}"
        raise BundleError([Issue(parsed.label, None, None, None, msg)]) from exc


def _store_lake(parsed: ParsedTable, lake: Lake) -> int:
    t = parsed.table
    if parsed.spec.name == "cems_hourly":
        t = t.drop_columns(["mn"])
    # check_file has refused duplicate keys already
    return lake.append(parsed.spec.name, t, origin="import", assume_unique=True)


def import_file(
    bundle_file: BundleFile,
    settings: Settings,
    lake: Lake,
    listener: Listener | None = None,
) -> tuple[FileResult, list[Issue]]:
    """Check and store one file (all or nothing).

    Raises
    ------
    BundleError
        The file was refused; nothing of it is stored.
    """
    began = time.perf_counter()
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
    inserted = updated = 0
    if name in LAKE_FILES:
        rows = _store_lake(parsed, lake)
        target = "lake"
    else:
        inserted, updated = _store_db(parsed, settings, known)
        rows = inserted + updated
        target = "database"
    if listener:
        listener(bundle_file.label, "stored", rows)
    result = FileResult(
        bundle_file.label, name, rows, target, time.perf_counter() - began, inserted, updated
    )
    return result, parsed.warnings


def import_bundle(
    path: Path,
    settings: Settings | None = None,
    *,
    lake: Lake | None = None,
    listener: Listener | None = None,
    report: ImportReport | None = None,
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
            result, file_warnings = import_file(f, settings, lake, listener)
            report.files.append(result)
            report.warnings.extend(file_warnings)
    finally:
        report.seconds = time.perf_counter() - began
    return report
