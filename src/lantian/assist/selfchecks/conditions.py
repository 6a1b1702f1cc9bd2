"""Applicability conditions of self-check items: structured, no ``eval``.

A condition is a TOML table whose keys are registry facts of the enterprise; every key
must hold (AND). An item without a condition applies to every enterprise of the template's
industry.

=========================  ==================  ========================================
key                        value               holds when
=========================  ==================  ========================================
``grade``                  list of codes       the 绩效分级 is one of them (``"none"``:
                                               not graded)
``has_cems``               bool                the enterprise has (not) an outlet with
                                               online monitoring (registry/outlets.csv)
``o2_corrected``           bool                some outlet has a reference O2 (折算)
``has_treatment_meter``    bool                分表计电 on treatment equipment exists
``has_production_meter``   bool                分表计电 on production equipment exists
``has_emergency_measures`` bool                重污染天气应急减排措施 are registered
``positive_list``          bool                on the 监督执法正面清单
``min_outlets``            int ≥ 1             at least this many monitored outlets
=========================  ==================  ========================================

The registry (exchange formats v1) has no permit type (排污许可 重点/简化/登记); items that
depend on it are written for every enterprise of the industry and cite the permit.

References
----------
.. [1] Lantian exchange formats v1, ``registry/enterprises.csv``, ``outlets.csv``,
       ``meters.csv``, ``measures.csv`` (the facts read here).
.. [2] 生态环境部, 重污染天气重点行业应急减排措施制定技术指南 (2020 修订版): 绩效分级
       A/B/C/D and 引领性 (unverified wording).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lantian.registry.vocab import GRADES

NOT_GRADED = "none"
"""The ``grade`` value for an enterprise without a 绩效分级."""

BOOL_KEYS: tuple[str, ...] = (
    "has_cems",
    "o2_corrected",
    "has_treatment_meter",
    "has_production_meter",
    "has_emergency_measures",
    "positive_list",
)
KEYS: tuple[str, ...] = ("grade", *BOOL_KEYS, "min_outlets")
"""Every key a condition may use."""


class ConditionError(ValueError):
    """A condition that is not well-formed (the message names the key)."""


@dataclass(frozen=True)
class RegistryFacts:
    """What the conditions read about one enterprise (from the registry)."""

    enterprise_id: str
    industry: str
    grade: str | None = None
    outlets: int = 0
    o2_corrected: bool = False
    has_treatment_meter: bool = False
    has_production_meter: bool = False
    has_emergency_measures: bool = False
    positive_list: bool = False

    def value(self, key: str) -> Any:
        """The fact a boolean condition key reads."""
        if key == "has_cems":
            return self.outlets > 0
        return getattr(self, key)


def validate_condition(cond: Any) -> dict[str, Any]:
    """``cond`` checked and normalised (grade codes as a sorted list).

    Raises
    ------
    ConditionError
        Not a table, an unknown key, or a value of the wrong type (the key is named).
    """
    if cond is None:
        return {}
    if not isinstance(cond, Mapping):
        raise ConditionError(f"condition must be a table of {', '.join(KEYS)}")
    out: dict[str, Any] = {}
    for key, value in cond.items():
        if key not in KEYS:
            raise ConditionError(f"unknown condition key {key!r} (known: {', '.join(KEYS)})")
        if key == "grade":
            if not isinstance(value, list) or not value:
                raise ConditionError("grade: a non-empty list of grade codes")
            allowed = (*GRADES, NOT_GRADED)
            bad = [g for g in value if g not in allowed]
            if bad:
                raise ConditionError(f"grade: unknown code(s) {bad} (known: {', '.join(allowed)})")
            out[key] = sorted(set(value))
        elif key == "min_outlets":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConditionError("min_outlets: an integer ≥ 1")
            out[key] = value
        else:
            if not isinstance(value, bool):
                raise ConditionError(f"{key}: true or false")
            out[key] = value
    return out


def applies(cond: Mapping[str, Any] | None, facts: RegistryFacts) -> bool:
    """True if every key of ``cond`` holds for ``facts`` (an empty condition always does)."""
    for key, value in (cond or {}).items():
        if key == "grade":
            if (facts.grade or NOT_GRADED) not in value:
                return False
        elif key == "min_outlets":
            if facts.outlets < int(value):
                return False
        elif bool(facts.value(key)) != bool(value):
            return False
    return True


def describe(cond: Mapping[str, Any] | None) -> str:
    """The condition in Chinese for the template editor (``适用于全部`` when empty)."""
    if not cond:
        return "全部企业"
    names = {
        "has_cems": "有在线监测排口",
        "o2_corrected": "有折算氧含量的排口",
        "has_treatment_meter": "治污设施安装分表计电",
        "has_production_meter": "生产设施安装分表计电",
        "has_emergency_measures": "有重污染天气应急减排措施",
        "positive_list": "列入正面清单",
    }
    parts = []
    for key, value in cond.items():
        if key == "grade":
            parts.append(
                "绩效分级为 " + "/".join("未分级" if g == NOT_GRADED else g for g in value)
            )
        elif key == "min_outlets":
            parts.append(f"在线监测排口不少于 {value} 个")
        else:
            parts.append(names[key] if value else "无/不" + names[key])
    return "；".join(parts)
