"""The rule catalog as the lead pages show it (title, description, regulation), and the
names a lead's evidence refers to.

Reads :func:`lantian.rules.catalog.get_rule` and :mod:`lantian.vocab.rules`; an unknown
rule gives None and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lantian.registry.names import Names, lookup_names, subject_text
from lantian.rules import evidence as ev
from lantian.vocab import is_english
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


SECTION_KEYS = frozenset({"candidates"})
"""Evidence keys the lead page shows in a section of their own rather than in the evidence
table: suggested sources (可能来源), filtered there by who sees what — the table would name
enterprises outside the viewer's jurisdiction."""


def _table_evidence(lead: Any) -> dict[str, Any]:
    return {k: v for k, v in (lead.evidence or {}).items() if k not in SECTION_KEYS}


def lead_names(db: Session, lead: Any) -> Names:
    """Names of a lead's subject and of every object its evidence table lists."""
    wanted: dict[str, set[str]] = ev.referenced_ids(lead.rule, _table_evidence(lead))
    wanted.setdefault(str(lead.subject_type), set()).add(str(lead.subject_id))
    return lookup_names(db, wanted)


def evidence_items(
    db: Session, lead: Any, lang: str | None = None, names: Names | None = None
) -> list[ev.Item]:
    """The lead's evidence table as labelled fields (see :func:`lantian.rules.evidence.render`),
    without :data:`SECTION_KEYS`. ``names``: from :func:`lead_names` when already looked up."""
    lang = lang or current_language.get()
    names = names if names is not None else lead_names(db, lead)
    return ev.render(lead.rule, _table_evidence(lead), lang, names, pollutant=lead.pollutant)


__all__ = ["RuleInfo", "evidence_items", "lead_names", "lookup_names", "rule_info", "subject_text"]
