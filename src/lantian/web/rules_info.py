"""The rule catalog as the lead pages show it (title, description, regulation), and the
names a lead's evidence refers to.

Reads :func:`lantian.rules.catalog.get_rule` and :mod:`lantian.vocab.rules`; an unknown
rule gives None and the page says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.rules import evidence as ev
from lantian.vocab import is_english
from lantian.vocab import registry as reg_vocab
from lantian.vocab import rules as rules_vocab
from lantian.web.deps import current_language


@dataclass(frozen=True)
class RuleInfo:
    """What the lead detail page shows about a rule."""

    code: str
    title: str
    explanation: str
    regulations: list[str]


def rule_info(code: str) -> RuleInfo | None:
    """Title, description and cited regulation of rule ``code`` in the request's language
    (None if unknown)."""
    lang = current_language.get()
    texts = rules_vocab.texts().get(code)
    if texts is None:
        return None
    en = is_english(lang)
    title = texts.title_en if en else texts.title_zh
    explanation = texts.description_en if en else texts.description_zh
    clause = ""
    try:
        from lantian.rules.catalog import get_rule

        clause = get_rule(code).clause
    except KeyError:
        clause = ""
    regulations = [c.strip() for c in clause.split("；") if c.strip()]
    return RuleInfo(code, title, explanation, regulations)


Names = dict[str, dict[str, str]]
"""kind (``outlet``, ``meter``, ``line``, ``station``, ``enterprise``) → id → name."""


def lookup_names(db: Session, wanted: Mapping[str, Iterable[str]]) -> Names:
    """Display names of the registry objects in ``wanted`` (kind → ids)."""
    from lantian.registry.models import Enterprise, Line, Meter, Outlet, Station

    models: dict[str, tuple[Any, Any, Any]] = {
        "outlet": (Outlet, Outlet.outlet_id, Outlet.name),
        "meter": (Meter, Meter.meter_id, Meter.name),
        "line": (Line, Line.line_id, Line.name),
        "station": (Station, Station.station_id, Station.name),
        "enterprise": (Enterprise, Enterprise.enterprise_id, Enterprise.name),
    }
    out: Names = {}
    for kind, ids in wanted.items():
        keys = sorted({str(i) for i in ids if i})
        if kind not in models or not keys:
            continue
        _model, key_col, name_col = models[kind]
        found = out.setdefault(kind, {})
        for i in range(0, len(keys), 500):
            for key, name in db.execute(
                select(key_col, name_col).where(key_col.in_(keys[i : i + 500]))
            ):
                if name:
                    found[str(key)] = str(name)
    return out


def lead_names(db: Session, lead: Any) -> Names:
    """Names of a lead's subject and of every object its evidence lists."""
    wanted: dict[str, set[str]] = ev.referenced_ids(lead.rule, lead.evidence or {})
    wanted.setdefault(str(lead.subject_type), set()).add(str(lead.subject_id))
    return lookup_names(db, wanted)


def subject_text(subject_type: str, subject_id: str, names: Names, lang: str) -> str:
    """``1号锅炉排放口 (P0013)``; ``排放口 P0013`` when the registry has no name."""
    name = names.get(subject_type, {}).get(str(subject_id))
    if name and name != str(subject_id):
        return f"{name} ({subject_id})"
    return f"{reg_vocab.SUBJECT_KINDS.name(subject_type, lang)} {subject_id}"


def evidence_items(db: Session, lead: Any, lang: str | None = None) -> list[ev.Item]:
    """The lead's evidence as labelled fields (see :func:`lantian.rules.evidence.render`)."""
    lang = lang or current_language.get()
    names = lead_names(db, lead)
    return ev.render(lead.rule, lead.evidence or {}, lang, names, pollutant=lead.pollutant)
