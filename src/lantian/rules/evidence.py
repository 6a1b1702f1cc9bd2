"""How a lead's evidence is shown: every rule declares a :class:`Field` per evidence key.

A lead's ``evidence`` object holds the engine's common keys (``window``, ``hours``,
``observed``, ``threshold``, ``coverage``, ``parameters``) and the rule's own columns
(numbers, id lists ``*_ids``). Each rule declares, for each key it emits and each of its
parameters, a label in Chinese and English, a unit and a formatter
(:attr:`lantian.rules.base.Rule.evidence`, :attr:`~lantian.rules.base.Rule.parameters`).
:func:`render` turns an evidence object into labelled, formatted fields for the lead page,
PDFs and Excel: pollutant names instead of codes, outlet/meter/station names instead of
ids, durations, 低/中/高, and the parameters as labelled sub-fields. ``tests/rules``
fails when a rule emits a key or has a parameter it does not declare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from lantian.vocab import is_english
from lantian.vocab import pollutants as _pollutants
from lantian.vocab import registry as _registry

Kind = Literal[
    "number",
    "integer",
    "percent",
    "ratio",
    "probability",
    "hours",
    "minutes",
    "pollutant",
    "pollutants",
    "names",
    "alert_level",
    "measure_action",
    "bool",
    "window",
    "params",
    "events",
    "remedy",
    "candidates",
    "text",
]
"""How a value is formatted (see :func:`format_value`)."""

POLLUTANT_UNIT = "@pollutant"
"""A :attr:`Field.unit` meaning "the unit of the lead's pollutant"."""


@dataclass(frozen=True)
class Field:
    """Display declaration of one evidence key or parameter.

    Attributes
    ----------
    zh, en
        Label in Chinese and English.
    kind
        Formatter (:data:`Kind`).
    unit
        Unit printed after a number (``mg/m³``, ``kW``, ``%``), or :data:`POLLUTANT_UNIT`.
    decimals
        Decimals of a number.
    name_kind
        For ``names``: which registry names to show (``outlet``, ``meter``, ``line``,
        ``station``, ``enterprise``).
    """

    zh: str
    en: str
    kind: Kind = "number"
    unit: str | None = None
    decimals: int = 2
    name_kind: str | None = None

    def label(self, lang: str = "zh_CN") -> str:
        """The label in ``lang``."""
        return self.en if is_english(lang) else self.zh


@dataclass(frozen=True)
class Item:
    """One rendered evidence field: its key, label, text and (for parameters) sub-fields."""

    key: str
    label: str
    text: str
    children: tuple[Item, ...] = field(default_factory=tuple)


COMMON: dict[str, Field] = {
    "window": Field("时段", "Episode", "window"),
    "hours": Field("持续时长", "Duration", "hours"),
    "coverage": Field("数据覆盖率", "Data coverage", "percent"),
    "parameters": Field("判定参数", "Rule parameters", "params"),
    "candidates": Field("上风向疑似污染源", "Upwind candidate sources", "candidates"),
}
"""Keys every rule's evidence has (``observed``/``threshold`` are declared per rule);
``candidates`` only on hot-spot leads (:mod:`lantian.rules.upwind`)."""

COMMON_PARAMETERS: dict[str, Field] = {
    "min_duration_h": Field("最短持续时长", "Shortest episode", "hours"),
    "max_gap_h": Field("合并间隔上限", "Longest gap merged", "hours"),
    "pollutants": Field("判定污染物", "Pollutants judged", "pollutants"),
}
"""Parameters several rules share (a rule may declare its own label instead)."""


@dataclass(frozen=True)
class Display:
    """Display declarations of a rule outside the catalog (device-integrity leads)."""

    evidence: dict[str, Field]
    parameters: dict[str, Field] = field(default_factory=dict)


_DEVICE_COMMON: dict[str, Field] = {
    "mn": Field("数采仪编号(MN)", "Data logger (MN)", "text"),
    "count": Field("事件次数", "Events", "integer"),
    "events": Field("事件记录", "Event records", "events"),
    "remedy": Field("处理建议", "Remedy", "remedy"),
}
DEVICE_DISPLAY: dict[str, Display] = {
    "DEVICE-CLOCK": Display(
        {**_DEVICE_COMMON, "drift_s": Field("时钟偏差", "Clock drift", unit="s", decimals=0)}
    ),
    "DEVICE-REWRITE": Display(dict(_DEVICE_COMMON)),
}
"""Evidence of the gateway's device-integrity leads (:mod:`lantian.leads.device`)."""


def _num(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}" if decimals > 0 else f"{round(value):,d}"
    if decimals > 0 and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _join(parts: Sequence[str], lang: str) -> str:
    return (", " if is_english(lang) else "、").join(parts)


def _hours(value: float, lang: str) -> str:
    if is_english(lang):
        return f"{round(value * 60)} min" if 0 < value < 1 else f"{_num(value, 1)} h"
    if 0 < value < 1:
        return f"{round(value * 60)}分钟"
    return f"{_num(value, 1)}小时"


def _time(text: Any) -> str:
    from lantian.timeutil import to_cst

    try:
        t = datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)
    return to_cst(t).strftime("%Y-%m-%d %H:%M")


def _display_name(names: Mapping[str, Mapping[str, str]], kind: str | None, key: Any) -> str:
    if kind is None:
        return str(key)
    name = names.get(kind, {}).get(str(key))
    return f"{name} ({key})" if name and name != str(key) else str(key)


def format_value(
    f: Field,
    value: Any,
    lang: str = "zh_CN",
    *,
    names: Mapping[str, Mapping[str, str]] | None = None,
    pollutant: str | None = None,
) -> str:
    """One value as text, following its declaration ``f``.

    ``names`` maps a kind (``outlet``…) to id → display name; ``pollutant`` is the lead's
    pollutant (for :data:`POLLUTANT_UNIT`). ``None`` is shown as ``—``.
    """
    names = names or {}
    en = is_english(lang)
    if value is None or value == "":
        return "—"
    unit = _pollutants.unit(pollutant) if f.unit == POLLUTANT_UNIT else f.unit
    kind = f.kind
    if kind == "window" and isinstance(value, Mapping):
        sep = " to " if en else " 至 "
        return f"{_time(value.get('start'))}{sep}{_time(value.get('end'))}"
    if kind == "pollutant":
        return _pollutants.name(value, lang)
    if kind == "pollutants":
        items = value if isinstance(value, list | tuple) else str(value).split("|")
        return _join([_pollutants.name(x, lang) for x in items], lang)
    if kind == "names":
        items = value if isinstance(value, list | tuple) else str(value).split("|")
        return _join([_display_name(names, f.name_kind, x) for x in items if x != ""], lang)
    if kind == "alert_level":
        return _registry.ALERT_LEVELS.name(value, lang)
    if kind == "measure_action":
        return _registry.MEASURE_ACTIONS.name(value, lang)
    if kind == "bool":
        yes = bool(value) if not isinstance(value, str) else value.lower() in ("1", "true", "yes")
        return ("yes" if yes else "no") if en else ("是" if yes else "否")
    if kind == "events":
        n = len(value) if isinstance(value, list | tuple) else value
        return f"{n} events" if en else f"{n}条"
    if kind == "remedy" and isinstance(value, Mapping):
        cn = f"（CN {value['cn']}）" if value.get("cn") else ""
        return f"{value.get('name') or value.get('text') or ''}{cn}"
    if kind == "candidates" and isinstance(value, list | tuple):
        return _candidates(value, lang, names)
    if kind == "text":
        return str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if kind == "hours":
        return _hours(x, lang)
    if kind == "minutes":
        return f"{_num(x, 0)} min" if en else f"{_num(x, 0)}分钟"
    if kind == "percent":
        return f"{_num(x * 100, 1)}%"
    if kind == "probability":
        if 0 < abs(x) < 0.001:
            mantissa, exponent = f"{x:.1e}".split("e")
            return f"{mantissa}×10^{int(exponent)}"
        return f"{_num(x * 100, 2)}%"
    if kind == "ratio":
        return f"{_num(x, f.decimals)}×" if en else f"{_num(x, f.decimals)}倍"
    text = _num(x, 0 if kind == "integer" else f.decimals)
    return f"{text} {unit}" if unit else text


def _candidates(value: Sequence[Any], lang: str, names: Mapping[str, Mapping[str, str]]) -> str:
    """Upwind candidates: ``name (id) 2.3 km, 方位45°, 偏离风向10°, 得分0.82`` each."""
    en = is_english(lang)
    if not value:
        return "none in range" if en else "范围内无"
    parts = []
    for c in value:
        if not isinstance(c, Mapping):
            parts.append(str(c))
            continue
        who = _display_name(names, "enterprise", c.get("enterprise_id"))
        bits = [f"{_num(float(c.get('distance_km') or 0), 1)} km"]
        bits.append(
            f"bearing {_num(float(c.get('bearing_deg') or 0), 0)}°"
            if en
            else f"方位{_num(float(c.get('bearing_deg') or 0), 0)}°"
        )
        off = c.get("off_wind_deg")
        if off is None:
            bits.append("calm/no wind" if en else "静风或无风向")
        else:
            bits.append(
                f"{_num(float(off), 0)}° off the wind" if en else f"偏离风向{_num(float(off), 0)}°"
            )
        if c.get("emission") == "unknown":
            bits.append("emission unknown" if en else "生产状态未知")
        bits.append(
            f"score {_num(float(c.get('score') or 0), 2)}"
            if en
            else f"得分{_num(float(c.get('score') or 0), 2)}"
        )
        parts.append(f"{who} ({', '.join(bits)})" if en else f"{who}（{'，'.join(bits)}）")
    return ("; " if en else "；").join(parts)


def declarations(rule: Any) -> tuple[dict[str, Field], dict[str, Field]]:
    """(evidence fields, parameter fields) of ``rule`` (a :class:`~lantian.rules.base.Rule`
    or None), with the common declarations merged in."""
    ev = dict(COMMON)
    params = dict(COMMON_PARAMETERS)
    if rule is not None:
        ev.update(getattr(rule, "evidence", {}) or {})
        params.update(getattr(rule, "parameters", {}) or {})
    return ev, params


def _rule(code: str | None) -> Any:
    if not code:
        return None
    from lantian.rules.catalog import all_rules

    found = all_rules().get(code)
    if found is not None:
        return found
    return DEVICE_DISPLAY.get(code)


def render(
    rule: str | Any,
    evidence: Mapping[str, Any] | None,
    lang: str = "zh_CN",
    names: Mapping[str, Mapping[str, str]] | None = None,
    *,
    pollutant: str | None = None,
) -> list[Item]:
    """Labelled, formatted fields of a lead's ``evidence`` in the rule's declared order.

    Parameters
    ----------
    rule
        Rule code (``CEMS-EXCEED``) or a rule object with ``evidence``/``parameters``.
    evidence
        The lead's evidence object.
    lang
        ``zh_CN`` or ``en``.
    names
        kind → id → display name (see :func:`lantian.web.names.names_for_evidence`).
    pollutant
        The lead's pollutant (unit of ``observed``/``threshold`` where declared so).

    A key the rule does not declare is still shown (label ``其他（key）``) so nothing is
    lost, but ``tests/rules/test_evidence_display.py`` keeps that from happening.
    """
    if not evidence:
        return []
    obj = _rule(rule) if isinstance(rule, str) else rule
    ev_fields, param_fields = declarations(obj)
    order = [k for k in ev_fields if k in evidence and k != "parameters"]
    order += [k for k in evidence if k not in ev_fields and k != "parameters"]
    if "parameters" in evidence:
        order.append("parameters")
    out: list[Item] = []
    for key in order:
        value = evidence[key]
        f = ev_fields.get(key)
        if key == "parameters" and isinstance(value, Mapping):
            children = tuple(
                Item(
                    k,
                    param_fields[k].label(lang) if k in param_fields else _undeclared(k, lang),
                    format_value(
                        param_fields.get(k, Field(k, k, "text")),
                        v,
                        lang,
                        names=names,
                        pollutant=pollutant,
                    ),
                )
                for k, v in value.items()
            )
            label = COMMON["parameters"].label(lang)
            out.append(Item(key, label, "", children))
            continue
        if f is None:
            out.append(Item(key, _undeclared(key, lang), _fallback(value)))
            continue
        text = format_value(f, value, lang, names=names, pollutant=pollutant)
        out.append(Item(key, f.label(lang), text))
    return out


def _undeclared(key: str, lang: str) -> str:
    return f"other ({key})" if is_english(lang) else "其他"


def _fallback(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(x) for x in value)
    if isinstance(value, Mapping):
        return "；".join(f"{v}" for v in value.values())
    return str(value)


def referenced_ids(rule: str | Any, evidence: Mapping[str, Any] | None) -> dict[str, set[str]]:
    """kind → ids that ``evidence`` names (to look their display names up)."""
    out: dict[str, set[str]] = {}
    if not evidence:
        return out
    obj = _rule(rule) if isinstance(rule, str) else rule
    ev_fields, _params = declarations(obj)
    for key, f in ev_fields.items():
        if f.kind == "candidates" and isinstance(evidence.get(key), list | tuple):
            out.setdefault("enterprise", set()).update(
                str(c["enterprise_id"])
                for c in evidence[key]
                if isinstance(c, Mapping) and c.get("enterprise_id")
            )
            continue
        if f.kind != "names" or f.name_kind is None or key not in evidence:
            continue
        value = evidence[key]
        items = value if isinstance(value, list | tuple) else str(value).split("|")
        out.setdefault(f.name_kind, set()).update(str(x) for x in items if x not in (None, ""))
    return out
