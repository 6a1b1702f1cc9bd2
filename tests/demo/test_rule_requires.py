"""Every rule's ``requires`` declaration holds: without rows in one of those tables the rule
finds nothing, so the engine may skip it (:func:`lantian.rules.engine.run_rules`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lantian.rules.catalog import all_rules
from lantian.rules.context import Context
from lantian.rules.engine import run_rules
from lantian.rules.inputs import empty_table, load_bundle

REQUIRING = sorted(code for code, rule in all_rules().items() if rule.requires)


def test_the_event_rules_declare_what_they_require() -> None:
    assert {"AMB-HOTSPOT", "CAMERA-ALARM", "GATE-VIOLATION", "GRID-HOTSPOT"} <= set(REQUIRING)
    assert {"MOBILE-HOTSPOT", "POWER-EMERGENCY"} <= set(REQUIRING)


@pytest.mark.slow
@pytest.mark.parametrize("code", REQUIRING)
def test_without_a_required_table_the_rule_finds_nothing(small_city: Path, code: str) -> None:
    rule = all_rules()[code]
    inputs = load_bundle(small_city)
    # the rule finds episodes on the demo city with everything (else the test proves nothing)
    assert len(rule.detect(Context(inputs), rule.params_type()).execute()) > 0
    for name in rule.requires:
        emptied = replace(inputs, **{name: empty_table(name)})
        found = rule.detect(Context(emptied), rule.params_type()).execute()
        assert len(found) == 0, f"{code} found {len(found)} episodes without {name}"


def test_the_engine_skips_a_rule_whose_required_table_is_empty(
    small_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lantian.rules import catalog

    rules = dict(all_rules())

    def boom(ctx: Context, p: object) -> None:
        raise AssertionError("CAMERA-ALARM ran without camera alarms")

    rules["CAMERA-ALARM"] = replace(rules["CAMERA-ALARM"], detect=boom)
    monkeypatch.setattr(catalog, "all_rules", lambda: rules)
    inputs = load_bundle(small_city)
    emptied = replace(inputs, camera_alarms=empty_table("camera_alarms"))
    called: list[str] = []
    leads = run_rules(emptied, rules=["CAMERA-ALARM", "CEMS-EXCEED"], progress=called.append)
    assert called == ["CAMERA-ALARM", "CEMS-EXCEED"]  # progress still counts it
    assert {ld.rule for ld in leads} == {"CEMS-EXCEED"}
    with pytest.raises(AssertionError, match="without camera alarms"):
        run_rules(inputs, rules=["CAMERA-ALARM"])
