"""Real lead records of every rule, collected by running rule fixture tests.

:func:`samples` runs the fixture tests named in :data:`FIXTURES` (of
``test_cems_rules.py`` and ``test_power_rules.py``: small literal bundles through the real
engine) while recording the lead records the engine makes, and returns them by rule.
Used by the evidence display tests and the zh page tests (tests/web).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any
from unittest.mock import patch

from lantian.rules import engine
from lantian.rules.engine import LeadRecord

HERE = Path(__file__).resolve().parent
FIXTURES: dict[str, tuple[str, ...]] = {
    "test_cems_rules": (
        "test_exceed_t_flag_counts_and_gaps_merge",
        "test_flatline_while_producing_fires_but_not_when_stopped_or_short",
        "test_pinned_needs_level_and_unusually_low_variation",
        "test_o2_high_while_producing_but_not_while_stopped",
        "test_missing_one_pollutant_names_it",
        "test_flag_abuse_stopped_flag_while_power_shows_production",
        "test_cloned_across_enterprises_not_constant_not_same_enterprise",
    ),
    "test_power_rules": (
        "test_treatment_off_while_producing",
        "test_treatment_low_while_production_normal_only",
        "test_emergency_stop_violated_and_complied",
        "test_emergency_limit_uses_hour_of_day_baseline",
        "test_hotspot_vs_other_stations_not_regional_episode",
    ),
    "test_clue_rules": ("test_gate_violation_restricted_entries_one_lead_per_alert_day",),
    "test_grid_mobile_rules": (
        "test_grid_hotspot_cell_above_its_ring_one_lead_with_centre",
        "test_mobile_hotspot_plume_located_to_its_cell",
    ),
    "test_camera_rule": (
        "test_camera_alarm_repeated_alarms_are_one_episode_lead",
        "test_camera_alarm_located_to_the_nearest_enterprise_or_grid",
    ),
}
"""One or two fixture tests per rule (all of them would take minutes on a shared CPU)."""


@lru_cache(maxsize=1)
def samples() -> dict[str, list[LeadRecord]]:
    """rule code → lead records made by the fixture tests (in test order)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    found: dict[str, list[LeadRecord]] = {}
    real = engine._records

    def recording(rule: Any, df: Any, params: Any, names: Any) -> list[LeadRecord]:
        out = real(rule, df, params, names)
        found.setdefault(rule.code, []).extend(out)
        return out

    with patch.object(engine, "_records", recording):
        for name, tests in FIXTURES.items():
            mod = importlib.import_module(name)
            for fname in tests:
                # a failing fixture test reports itself in its own module
                with contextlib.suppress(AssertionError):
                    getattr(mod, fname)()
    return found
