"""The rule catalog: importing this module registers every built-in rule.

Each rule lives in its own module under :mod:`lantian.rules` and registers itself with
:func:`lantian.rules.base.register`. Rules of the second helper (``spark``, ``platform``,
``ambient_index``) are not part of this catalog.
"""

from __future__ import annotations

import importlib

from lantian.rules.base import REGISTRY, Rule

RULE_MODULES: tuple[str, ...] = (
    "cems_exceed",
    "cems_flatline",
    "cems_pinned",
    "cems_o2",
    "cems_missing",
    "cems_flag_abuse",
    "cems_cloned",
    "power_treat_off",
    "power_treat_low",
    "power_emergency",
    "amb_hotspot",
    "gate_violation",
    "grid_hotspot",
    "mobile_hotspot",
    "camera_alarm",
)
"""Modules under :mod:`lantian.rules` holding one rule each, in catalog order."""


def all_rules() -> dict[str, Rule]:
    """All registered rules, code → rule, in catalog order."""
    for mod in RULE_MODULES:
        importlib.import_module(f"lantian.rules.{mod}")
    return dict(REGISTRY)


def get_rule(code: str) -> Rule:
    """One rule by code (KeyError when unknown)."""
    return all_rules()[code]
