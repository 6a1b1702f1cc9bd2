"""Rules as a vocabulary: code → title (zh, en) and description (zh, en).

Read from the rule catalog (:mod:`lantian.rules.catalog`) and the device-integrity rules
of the gateway (:mod:`lantian.leads.device`), so each rule declares its names once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lantian.vocab._base import Term, Vocabulary, is_english


@dataclass(frozen=True)
class RuleText:
    """Names and description of one rule in both languages."""

    code: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str


DEVICE_RULES: tuple[RuleText, ...] = (
    RuleText(
        "DEVICE-CLOCK",
        "数采仪时钟异常",
        "Data logger clock anomaly",
        "数采仪上报的数据时间与平台接收时间持续相差过大，数据时间不可信。",
        "The data logger's data times differ persistently from the platform's receive times.",
    ),
    RuleText(
        "DEVICE-REWRITE",
        "数据被改写",
        "Stored data rewritten",
        "已入库的监测数据被重新上报为不同数值（未经认证的补发），原值保留。",
        "Stored measurements were sent again with different values (no authenticated "
        "resend); the first values are kept.",
    ),
)


@lru_cache(maxsize=1)
def texts() -> dict[str, RuleText]:
    """Every rule's names and description, code → :class:`RuleText`."""
    from lantian.rules.catalog import all_rules

    out = {
        r.code: RuleText(r.code, r.title_zh, r.title_en, r.description_zh, r.description_en)
        for r in all_rules().values()
    }
    out.update({r.code: r for r in DEVICE_RULES})
    return out


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary[str]:
    """Rules as a :class:`~lantian.vocab.Vocabulary` of titles."""
    return Vocabulary("rule", [Term(r.code, r.title_zh, r.title_en) for r in texts().values()])


def title(code: object, lang: str = "zh_CN") -> str:
    """Short name of rule ``code`` (the code itself when unknown)."""
    return vocabulary().name(code, lang)


def description(code: object, lang: str = "zh_CN") -> str:
    """One-paragraph description of rule ``code`` ("" when unknown)."""
    r = texts().get(str(code))
    if r is None:
        return ""
    return r.description_en if is_english(lang) else r.description_zh
