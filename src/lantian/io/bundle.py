"""Bundles: finding their files, and the checks that span rows, files and the registry.

A bundle is a directory ``registry/*.csv|parquet`` (or ``registry.xlsx`` with one sheet
per file name) plus ``data/*.csv|parquet``; a bare ``.xlsx`` workbook is a bundle too.

References
----------
.. [1] Lantian exchange formats v1 (``contracts/exchange-formats.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from lantian.io.errors import BundleError, Issue
from lantian.io.formats import (
    BUNDLE_DATA_FILES,
    BUNDLE_REGISTRY_FILES,
    FILES,
    FileSpec,
)
from lantian.io.jurisdiction import MARGIN_KM, BBox, bbox_of
from lantian.io.parse import (
    ParsedTable,
    RawTable,
    _first,
    convert,
    first_duplicate,
    read_table,
    read_xlsx,
)


@dataclass
class BundleFile:
    """One file of a bundle, found but not read yet."""

    spec: FileSpec
    label: str
    load: Callable[[], RawTable]
    path: Path | None = None
    """The file read (a workbook for its sheets), hashed into the import's audit entry."""


@dataclass
class Known:
    """Ids a file may refer to (from the database, or from earlier files of a bundle)."""

    enterprises: set[str] = field(default_factory=set)
    credit_codes: dict[str, str] = field(default_factory=dict)
    """credit code → enterprise_id"""
    outlets: set[str] = field(default_factory=set)
    outlet_mns: dict[str, str] = field(default_factory=dict)
    """mn → outlet_id"""
    meters: set[str] = field(default_factory=set)
    meter_mns: dict[tuple[str, str], str] = field(default_factory=dict)
    """(mn, factor_code) → meter_id"""
    stations: set[str] = field(default_factory=set)
    lines: dict[str, str] = field(default_factory=dict)
    """line_id → enterprise_id"""
    grids: set[str] = field(default_factory=set)
    sites: BBox | None = None
    """Bounding box of the enterprises, stations and grid cells with coordinates (grid
    cells widened by half a cell); :meth:`jurisdiction` widens it by the margin."""

    def jurisdiction(self) -> BBox | None:
        """Where clue-layer coordinates may lie (:mod:`lantian.io.jurisdiction`)."""
        return None if self.sites is None else self.sites.widened(MARGIN_KM)

    def add_sites(self, box: BBox | None) -> None:
        """Widen :attr:`sites` to hold ``box``."""
        if box is not None:
            self.sites = box.union(self.sites)

    def add(self, parsed: ParsedTable) -> None:
        """Remember the ids defined by an accepted file."""
        t = parsed.table
        name = parsed.spec.name
        if name in ("enterprises", "stations", "grids"):
            pads = None
            if name == "grids":
                pads = [(c or 0.0) / 2 for c in t.column("cell_km").to_pylist()]
            self.add_sites(bbox_of(t.column("lon").to_pylist(), t.column("lat").to_pylist(), pads))
        if name == "grids":
            self.grids.update(t.column("grid_id").to_pylist())
        if name == "enterprises":
            ids = t.column("enterprise_id").to_pylist()
            self.enterprises.update(ids)
            self.credit_codes.update(zip(t.column("credit_code").to_pylist(), ids, strict=True))
        elif name == "outlets":
            ids = t.column("outlet_id").to_pylist()
            self.outlets.update(ids)
            self.outlet_mns.update(zip(t.column("mn").to_pylist(), ids, strict=True))
        elif name == "meters":
            ids = t.column("meter_id").to_pylist()
            self.meters.update(ids)
            for mn, fc, mid in zip(
                t.column("mn").to_pylist(), t.column("factor_code").to_pylist(), ids, strict=True
            ):
                if mn is not None and fc is not None:
                    self.meter_mns[(mn, fc)] = mid
        elif name == "stations":
            self.stations.update(t.column("station_id").to_pylist())
        self.lines.update(line_owners(parsed))


def line_owners(parsed: ParsedTable) -> dict[str, str]:
    """line_id → enterprise_id for the rows of ``parsed`` that name a line."""
    t = parsed.table
    if "line_id" not in t.column_names or "enterprise_id" not in t.column_names:
        return {}
    out: dict[str, str] = {}
    for line, ent in zip(
        t.column("line_id").to_pylist(), t.column("enterprise_id").to_pylist(), strict=True
    ):
        if line is not None:
            out.setdefault(line, ent)
    return out


# ---------------------------------------------------------------------------- locating
def _same(raw: RawTable) -> RawTable:
    return raw


def _pick(folder: Path, name: str, bundle: Path) -> Path | None:
    found = [folder / f"{name}{ext}" for ext in (".csv", ".parquet")]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        label = str(found[0].relative_to(bundle))
        msg = f"both {name}.csv and {name}.parquet exist; keep only one"
        raise BundleError([Issue(label, None, None, None, msg)])
    return found[0] if found else None


def find_files(path: Path) -> tuple[list[BundleFile], list[Issue]]:
    """The files of the bundle at ``path`` in import order, and warnings about others.

    Raises
    ------
    BundleError
        ``path`` does not exist, holds no bundle file, or a file is given twice.
    """
    path = Path(path)
    warnings: list[Issue] = []
    if not path.exists():
        raise BundleError([Issue(str(path), None, None, None, "no such file or directory")])
    if path.is_file():
        if path.suffix.lower() != ".xlsx":
            raise BundleError([Issue(path.name, None, None, None, "a bundle file must be .xlsx")])
        return _workbook_files(path, path.name, warnings, set(FILES)), warnings
    files: list[BundleFile] = []
    xlsx = path / "registry.xlsx"
    sheets: dict[str, RawTable] | None = None
    for spec in (*BUNDLE_REGISTRY_FILES, *BUNDLE_DATA_FILES):
        found = _pick(path / spec.folder, spec.name, path)
        if found is not None:
            label = str(found.relative_to(path))
            files.append(BundleFile(spec, label, partial(read_table, found, label), found))
        elif spec.folder == "registry" and xlsx.is_file():
            if sheets is None:
                sheets = read_xlsx(xlsx, "registry.xlsx")
            if spec.name in sheets:
                raw = sheets[spec.name]
                files.append(BundleFile(spec, raw.label, partial(_same, raw), xlsx))
    if sheets is not None:
        for title, raw in sheets.items():
            if title not in {s.name for s in BUNDLE_REGISTRY_FILES}:
                warnings.append(
                    Issue(raw.label, None, None, None, "unknown sheet, ignored", "warning")
                )
    for folder in ("registry", "data"):
        d = path / folder
        if d.is_dir():
            used = {f.label for f in files}
            for p in sorted(d.iterdir()):
                rel = str(p.relative_to(path))
                if p.is_file() and rel not in used and not p.name.startswith("."):
                    warnings.append(
                        Issue(rel, None, None, None, "unknown file, ignored", "warning")
                    )
    if not files:
        msg = "no bundle file found (expected registry/*.csv, registry.xlsx or data/*.csv)"
        raise BundleError([Issue(str(path), None, None, None, msg)])
    return files, warnings


def _workbook_files(
    path: Path, label: str, warnings: list[Issue], allowed: set[str]
) -> list[BundleFile]:
    sheets = read_xlsx(path, label)
    files: list[BundleFile] = []
    for spec in (*BUNDLE_REGISTRY_FILES, *BUNDLE_DATA_FILES):
        if spec.name in sheets and spec.name in allowed:
            raw = sheets[spec.name]
            files.append(BundleFile(spec, raw.label, partial(_same, raw), path))
    for title, raw in sheets.items():
        if title not in allowed:
            warnings.append(Issue(raw.label, None, None, None, "unknown sheet, ignored", "warning"))
    if not files:
        msg = f"no sheet named after a bundle file ({', '.join(FILES)})"
        raise BundleError([Issue(label, None, None, None, msg)])
    return files


# ---------------------------------------------------------------------------- checks
def _fk(parsed: ParsedTable, column: str, known: set[str], what: str) -> Issue | None:
    col = parsed.table.column(column)
    bad = _first(
        pc.and_(col.is_valid(), pc.invert(pc.is_in(col, pa.array(sorted(known), pa.string()))))
    )
    if bad is None:
        return None
    return parsed.issue(bad, column, f"unknown {what} (not in the registry)")


def _dup(parsed: ParsedTable, key: tuple[str, ...], what: str = "") -> Issue | None:
    found = first_duplicate(parsed.table, list(key))
    if found is None:
        return None
    row, earlier = found
    label = what or ", ".join(key)
    msg = f"duplicate {label}: already on line {parsed.line(earlier)}"
    value = ", ".join(str(parsed.table.column(k)[row].as_py()) for k in key)
    return parsed.issue(row, key[-1] if len(key) > 1 else key[0], msg, value)


def _line_conflicts(parsed: ParsedTable, known: Known) -> Issue | None:
    t = parsed.table
    seen: dict[str, str] = {}
    for i, (line, ent) in enumerate(
        zip(t.column("line_id").to_pylist(), t.column("enterprise_id").to_pylist(), strict=True)
    ):
        if line is None:
            continue
        owner = seen.setdefault(line, known.lines.get(line, ent))
        if owner != ent:
            return parsed.issue(i, "line_id", f"line belongs to enterprise {owner}, not {ent}")
    return None


def _mn_to_outlet(parsed: ParsedTable, known: Known) -> tuple[ParsedTable, list[Issue]]:
    t = parsed.table
    mn = t.column("mn")
    if mn.null_count == len(mn):
        return parsed, []
    keys = pa.array(list(known.outlet_mns), pa.string())
    values = pa.array(list(known.outlet_mns.values()), pa.string())
    pos = pc.index_in(mn, keys)
    bad = _first(pc.and_(mn.is_valid(), pos.is_null()))
    if bad is not None:
        return parsed, [parsed.issue(bad, "mn", "unknown data logger MN (no outlet has it)")]
    mapped = pc.take(values, pos)
    given = t.column("outlet_id")
    clash = _first(
        pc.and_(pc.and_(given.is_valid(), mapped.is_valid()), pc.not_equal(given, mapped))
    )
    if clash is not None:
        other = mapped[clash].as_py()
        return parsed, [parsed.issue(clash, "mn", f"MN belongs to outlet {other}")]
    resolved = pc.coalesce(given, mapped)
    t = t.set_column(t.column_names.index("outlet_id"), "outlet_id", resolved)
    return ParsedTable(parsed.label, parsed.spec, t, parsed.lines, parsed.warnings), []


def check_file(parsed: ParsedTable, known: Known) -> ParsedTable:
    """Checks across rows and against ``known`` ids; returns the table to store.

    For ``cems_hourly`` rows identified by ``mn``, ``outlet_id`` is filled in.

    Raises
    ------
    BundleError
        Duplicates, unknown references, contradicting lines, rule violations.
    """
    name = parsed.spec.name
    t = parsed.table
    issues: list[Issue | None] = []
    if name == "cems_hourly":
        parsed, problems = _mn_to_outlet(parsed, known)
        if problems:
            raise BundleError(problems)
        t = parsed.table
        missing = _first(t.column("outlet_id").is_null())
        if missing is not None:
            raise BundleError([parsed.issue(missing, "outlet_id", "no outlet_id and no mn", "")])
    issues.append(_dup(parsed, parsed.spec.key))
    for unique in parsed.spec.unique:
        issues.append(_dup(parsed, unique))
    if name == "enterprises":
        for i, (code, ent) in enumerate(
            zip(
                t.column("credit_code").to_pylist(),
                t.column("enterprise_id").to_pylist(),
                strict=True,
            )
        ):
            other = known.credit_codes.get(code)
            if other is not None and other != ent:
                issues.append(parsed.issue(i, "credit_code", f"already used by enterprise {other}"))
                break
    if name in ("outlets", "meters", "measures"):
        issues.append(_fk(parsed, "enterprise_id", known.enterprises, "enterprise"))
        issues.append(_line_conflicts(parsed, known))
    if name == "outlets":
        for i, (mn, oid) in enumerate(
            zip(t.column("mn").to_pylist(), t.column("outlet_id").to_pylist(), strict=True)
        ):
            other = known.outlet_mns.get(mn)
            if other is not None and other != oid:
                issues.append(parsed.issue(i, "mn", f"already used by outlet {other}"))
                break
    if name == "meters":
        for i, (mn, fc, mid) in enumerate(
            zip(
                t.column("mn").to_pylist(),
                t.column("factor_code").to_pylist(),
                t.column("meter_id").to_pylist(),
                strict=True,
            )
        ):
            other = known.meter_mns.get((mn, fc))
            if other is not None and other != mid:
                issues.append(parsed.issue(i, "factor_code", f"MN and factor code used by {other}"))
                break
    if name == "measures":
        limit = pc.and_(pc.equal(t.column("action"), "limit"), t.column("limit_pct").is_null())
        bad = _first(limit)
        if bad is not None:
            issues.append(parsed.issue(bad, "limit_pct", "action 'limit' needs limit_pct", ""))
    if name == "alerts":
        bad = _first(pc.less_equal(t.column("end"), t.column("start")))
        if bad is not None:
            issues.append(parsed.issue(bad, "end", "end must be after start"))
    if name == "cems_hourly":
        issues.append(_fk(parsed, "outlet_id", known.outlets, "outlet"))
    if name == "power":
        issues.append(_fk(parsed, "meter_id", known.meters, "meter"))
    if name == "ambient_hourly":
        issues.append(_fk(parsed, "station_id", known.stations, "station"))
    issues.extend(_check_clue(parsed, known))
    found = [i for i in issues if i is not None]
    if found:
        raise BundleError(found)
    return parsed


def _outside(parsed: ParsedTable, box: BBox | None) -> Issue | None:
    """The first row whose lon/lat lies outside the jurisdiction ``box``."""
    if box is None:
        return None
    t = parsed.table
    for i, (lon, lat) in enumerate(
        zip(t.column("lon").to_pylist(), t.column("lat").to_pylist(), strict=True)
    ):
        if lon is None or lat is None:
            continue
        if not box.contains(lon, lat):
            column = "lon" if not box.lon_min <= lon <= box.lon_max else "lat"
            msg = (
                f"position ({lon}, {lat}) outside the jurisdiction ({box.describe()}: the "
                f"registry's enterprises, stations and grid cells widened by {MARGIN_KM:g} km)"
            )
            return parsed.issue(i, column, msg)
    return None


def _check_clue(parsed: ParsedTable, known: Known) -> list[Issue | None]:
    """References and positions of the v2 clue-layer files (issue #17, "Bad input")."""
    name = parsed.spec.name
    box = known.jurisdiction()
    # grids.csv is registry: like enterprises and stations it defines the jurisdiction
    if name == "grid_hourly":
        return [_fk(parsed, "grid_id", known.grids, "grid")]
    if name == "met_hourly":
        return [_fk(parsed, "station_id", known.stations, "station")]
    if name == "mobile_track":
        return [_outside(parsed, box)]
    if name == "camera_alarms":
        return [
            _fk(parsed, "enterprise_id", known.enterprises, "enterprise"),
            _outside(parsed, box),
        ]
    if name == "gate_records":
        return [_fk(parsed, "enterprise_id", known.enterprises, "enterprise")]
    return []


@dataclass
class Bundle:
    """A bundle read and checked without a database (references resolved within it)."""

    path: Path
    tables: dict[str, ParsedTable]
    warnings: list[Issue]

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name].table

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)


def parse_file(bundle_file: BundleFile, known: Known) -> ParsedTable:
    """Read, convert and check one bundle file (``known`` is not updated)."""
    raw = bundle_file.load()
    parsed = convert(raw, bundle_file.spec)
    return check_file(parsed, known)


def read_bundle(path: Path, known: Known | None = None) -> Bundle:
    """Read and check every file of the bundle at ``path``; nothing is stored.

    References between files resolve within the bundle (plus ``known``, if given).

    Raises
    ------
    BundleError
        At the first refused file.
    """
    files, warnings = find_files(path)
    known = known or Known()
    tables: dict[str, ParsedTable] = {}
    for f in files:
        parsed = parse_file(f, known)
        known.add(parsed)
        tables[f.spec.name] = parsed
        warnings.extend(parsed.warnings)
    return Bundle(Path(path), tables, warnings)
