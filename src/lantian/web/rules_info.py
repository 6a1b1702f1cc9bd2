"""The rule catalog as the lead pages show it (title, explanation, regulation).

Reads :func:`lantian.rules.catalog.get_rule`; an unknown rule gives None and the page says
so.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from lantian.web.deps import current_language


@dataclass(frozen=True)
class RuleInfo:
    """What the lead detail page shows about a rule."""

    code: str
    title: str
    explanation: str
    regulations: list[str]


def _first_paragraph(text: str | None) -> str:
    if not text:
        return ""
    return inspect.cleandoc(text).split("\n\n", 1)[0].replace("\n", " ").strip()


def rule_info(code: str) -> RuleInfo | None:
    """Title, explanation and cited regulation of rule ``code`` (None if unknown)."""
    try:
        from lantian.rules.catalog import get_rule

        rule = get_rule(code)
    except (ImportError, KeyError):
        return None
    en = current_language.get().startswith("en")
    title = rule.title_en if en else rule.title_zh
    parts = list(rule.notes) or [_first_paragraph(getattr(rule.detect, "__doc__", None))]
    explanation = " ".join(p for p in parts if p)
    regulations = [c.strip() for c in rule.clause.split("；") if c.strip()]
    return RuleInfo(rule.code, title, explanation, regulations)
