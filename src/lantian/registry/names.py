"""Display names of registry objects (outlet, meter, line, station, enterprise) by id.

Pages, PDFs and Excel show "1号锅炉排放口 (P0013)" instead of an id: they look the names
up here in one query per kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.vocab import registry as reg_vocab

Names = dict[str, dict[str, str]]
"""kind (``outlet``, ``meter``, ``line``, ``station``, ``enterprise``) → id → name."""


def lookup_names(db: Session, wanted: Mapping[str, Iterable[str]]) -> Names:
    """Display names of the registry objects in ``wanted`` (kind → ids); unknown kinds,
    ids and objects without a name are left out."""
    from lantian.registry.models import Enterprise, Line, Meter, Outlet, Station

    columns: dict[str, tuple[Any, Any]] = {
        "outlet": (Outlet.outlet_id, Outlet.name),
        "meter": (Meter.meter_id, Meter.name),
        "line": (Line.line_id, Line.name),
        "station": (Station.station_id, Station.name),
        "enterprise": (Enterprise.enterprise_id, Enterprise.name),
    }
    out: Names = {}
    for kind, ids in wanted.items():
        keys = sorted({str(i) for i in ids if i})
        if kind not in columns or not keys:
            continue
        key_col, name_col = columns[kind]
        found = out.setdefault(kind, {})
        for i in range(0, len(keys), 500):
            for key, name in db.execute(
                select(key_col, name_col).where(key_col.in_(keys[i : i + 500]))
            ):
                if name:
                    found[str(key)] = str(name)
    return out


def subject_text(subject_type: str, subject_id: str, names: Names, lang: str = "zh_CN") -> str:
    """``1号锅炉排放口 (P0013)``; ``排放口 P0013`` when the registry has no name."""
    name = names.get(subject_type, {}).get(str(subject_id))
    if name and name != str(subject_id):
        return f"{name} ({subject_id})"
    return f"{reg_vocab.SUBJECT_KINDS.name(subject_type, lang)} {subject_id}"
