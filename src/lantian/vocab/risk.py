"""Vocabulary of the risk score's terms: each term's label and its explanation, in zh and en.

:func:`lantian.supervision.risk.risk_score` gives every term its facts as ``args`` (codes
and numbers, no words); :func:`explain` turns them into the sentence of a language, naming
industries, lead families, grades and credit grades through their vocabularies. So a
Chinese page never shows an English explanation, and a new language needs only this table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from lantian.vocab import complaints as _complaints
from lantian.vocab import enforcement as _enf
from lantian.vocab import families as _fam
from lantian.vocab import registry as _reg
from lantian.vocab._base import Term, Vocabulary, is_english

RISK_TERMS: Vocabulary[str] = Vocabulary(
    "risk_term",
    [
        Term("base", "基础分", "Base points"),
        Term("industry", "行业环境影响", "Industry impact"),
        Term("size", "规模（排口数）", "Size (outlets)"),
        Term("confirmed_leads", "问题属实的线索", "Confirmed leads"),
        Term("open_leads", "待研判线索", "Open leads"),
        Term("open_cases", "未办结案件", "Open cases"),
        Term("grade", "绩效分级", "Performance grade"),
        Term("positive_list", "正面清单", "Positive list"),
        Term("since_visit", "距上次现场检查", "Time since last on-site visit"),
        Term("self_check", "企业自查结果", "Self-check results"),
        Term("credit", "环境信用", "Environmental credit"),
    ],
)
"""The terms of the risk score (``RiskTerm.code``)."""

EXPLANATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "base": {"": ("每家企业的基础分", "base points of every enterprise")},
    "industry": {
        "": ("{industry}行业的环境影响", "environmental impact of the industry {industry}")
    },
    "size": {
        "": (
            "登记排口 {outlets} 个 × {per_outlet} 分（最多计 {cap} 个）",
            "{outlets} registered outlet(s) × {per_outlet} (counted up to {cap})",
        )
    },
    "confirmed_leads": {
        "": (
            "近 {months} 个月问题属实的线索 {n} 条{families}，上限 {cap} 分",
            "{n} confirmed lead(s) in the last {months} months{families}, capped at {cap}",
        )
    },
    "open_leads": {
        "": (
            "尚未研判的线索 {n} 条，上限 {cap} 分",
            "{n} open lead(s) not yet judged, capped at {cap}",
        )
    },
    "open_cases": {
        "": ("未办结案件 {n} 件，上限 {cap} 分", "{n} open case(s), capped at {cap}"),
    },
    "grade": {
        "graded": ("绩效分级：{grade}", "performance grade {grade}"),
        "none": ("未评定绩效分级", "not graded"),
    },
    "positive_list": {
        "on": ("已纳入正面清单", "on the positive list"),
        "off": ("未纳入正面清单", "not on the positive list"),
    },
    "since_visit": {
        "never": (
            "从未现场检查（按 {months} 个月计）",
            "never visited on site (counted as {months} months)",
        ),
        "visited": (
            "上次现场检查 {date}（{months} 个月，设有上限）",
            "last on-site visit {date} ({months} months, capped)",
        ),
    },
    "self_check": {
        "none": ("暂无自查结果", "no self-check result"),
        "share": (
            "最近一次自查 {share} 的项目不合格",
            "latest self-check: {share} of items failed",
        ),
    },
    "credit": {"": ("环境信用等级：{credit_grade}", "environmental credit grade {credit_grade}")},
}
"""Per term: variant → (zh, en) template. The variant is ``args["variant"]`` (``""`` when
the term has one sentence)."""


def _value(key: str, value: object, lang: str) -> str:
    en = is_english(lang)
    if key == "industry":
        return _reg.INDUSTRIES.name(value, lang)
    if key == "grade":
        return _reg.GRADES.name(value, lang)
    if key == "credit_grade":
        return _enf.CREDIT_GRADES.name(value, lang)
    if key == "families":
        codes = list(value) if isinstance(value, list | tuple) else []
        if not codes:
            return ""
        names = [_fam.name(c, lang) for c in codes]
        return f" ({', '.join(names)})" if en else f"（{'、'.join(names)}）"
    if key == "share" and isinstance(value, int | float):
        return f"{value:.0%}"
    return str(value)


def explain(code: str, args: Mapping[str, object], lang: str = "zh_CN") -> str:
    """The explanation of term ``code`` with its ``args`` in ``lang`` (``zh_CN`` or ``en``).

    Raises
    ------
    KeyError
        An unknown term, variant or placeholder (a gap in :data:`EXPLANATIONS`).
    """
    variant = str(args.get("variant", ""))
    zh, en = EXPLANATIONS[code][variant]
    template = en if is_english(lang) else zh
    values = {k: _value(k, v, lang) for k, v in args.items() if k != "variant"}
    return template.format(**values)


def _complaint_channel(code: str, lang: str) -> str:
    return _complaints.COMPLAINT_CHANNELS.name(code, lang)


_LIFTS = " (lifts the positive-list exclusion)"
_REASONS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [
    (
        re.compile(r"trigger: confirmed lead (\w+) ended (\d{4}-\d{2}-\d{2})"),
        lambda m, lang: (
            f"触发条件：{_fam.name(m[1], lang)}线索问题属实（{m[2]} 结束）"
            if not is_english(lang)
            else f"trigger: confirmed lead {_fam.name(m[1], lang)} ended {m[2]}"
        ),
    ),
    (
        re.compile(r"trigger: complaint #(\d+) received (\d{4}-\d{2}-\d{2}) via (\w+)"),
        lambda m, lang: (
            f"触发条件：信访投诉 #{m[1]}（{m[2]} 经{_complaint_channel(m[3], lang)}受理）"
        ),
    ),
    (
        re.compile(r"trigger: heavy-pollution alert in the period"),
        lambda m, lang: "触发条件：计划期内发布重污染天气预警",
    ),
    (
        re.compile(r"positive list without a trigger: remote check \(无事不扰\)"),
        lambda m, lang: "正面清单企业且无触发条件：非现场检查（无事不扰）",
    ),
    (
        re.compile(
            r"minimum: high-risk \(risk ([\d.]+) >= ([\d.]+)\), (\d+) of (\d+) "
            r"on-site visit\(s\) in (\d{4})"
        ),
        lambda m, lang: (
            f"最低频次：高风险企业（风险分 {m[1]} ≥ {m[2]}），"
            f"{m[5]} 年已现场检查 {m[3]} 次，每年至少 {m[4]} 次"
        ),
    ),
]
"""The reasons a 双随机 draw gives for a visit (:mod:`lantian.supervision.plan`, whose JSON
keeps them in English), as shown on a page."""


def plan_reason(text: str, lang: str = "zh_CN") -> str:
    """A draw's reason for a visit in ``lang``; the reason unchanged in English or when it
    has no translation (new wording in the draw: add its pattern here)."""
    lifted = text.endswith(_LIFTS)
    core = text.removesuffix(_LIFTS) if lifted else text
    for pattern, render in _REASONS:
        m = pattern.fullmatch(core)
        if m is None:
            continue
        if is_english(lang):
            out = render(m, lang) if pattern is _REASONS[0][0] else core
            return out + (_LIFTS if lifted else "")
        return render(m, lang) + ("（解除正面清单豁免）" if lifted else "")
    return text


__all__ = ["EXPLANATIONS", "RISK_TERMS", "explain", "plan_reason"]
