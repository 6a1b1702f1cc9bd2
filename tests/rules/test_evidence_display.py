"""Every rule declares how each evidence key it emits and each parameter is shown, and the
rendered evidence of real fixture leads reads as Chinese (and as English in en)."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest
from tests._zh_scan import assert_clean_zh
from tests.rules.evidence_samples import samples

from lantian.rules import catalog
from lantian.rules import evidence as ev
from lantian.rules.context import Context
from lantian.rules.engine import _CORE

RULES = list(catalog.all_rules())
HAN = re.compile(r"[\u4e00-\u9fff]")


def emitted_keys(code: str) -> set[str]:
    """Evidence keys rule ``code`` can emit: the columns of its episode table (beyond the
    lead's own fields) plus the engine's common keys."""
    from tests.rules.rules_fixtures import Bundle

    rule = catalog.get_rule(code)
    table = rule.detect(Context(Bundle().build()), rule.params_type())
    extra = {c for c in table.columns if c not in _CORE}
    return extra | {"window", "parameters"}


@pytest.mark.parametrize("code", RULES)
def test_rule_declares_every_evidence_key_it_emits(code: str) -> None:
    rule = catalog.get_rule(code)
    declared, _params = ev.declarations(rule)
    missing = emitted_keys(code) - set(declared)
    assert not missing, f"{code}: no display declaration for evidence keys {sorted(missing)}"
    for key in emitted_keys(code):
        assert HAN.search(declared[key].zh), (code, key)
        assert declared[key].en and not HAN.search(declared[key].en), (code, key)


@pytest.mark.parametrize("code", RULES)
def test_rule_declares_every_parameter(code: str) -> None:
    rule = catalog.get_rule(code)
    _ev, declared = ev.declarations(rule)
    missing = {f.name for f in fields(rule.params_type)} - set(declared)
    assert not missing, f"{code}: no display declaration for parameters {sorted(missing)}"


def test_every_rule_has_fixture_leads() -> None:
    assert set(RULES) <= set(samples()), set(RULES) - set(samples())


@pytest.mark.parametrize("code", RULES)
def test_fixture_evidence_keys_are_declared_and_render_as_chinese(code: str) -> None:
    rule = catalog.get_rule(code)
    declared, params = ev.declarations(rule)
    for lead in samples().get(code, []):
        assert set(lead.evidence) <= set(declared), set(lead.evidence) - set(declared)
        assert set(lead.evidence["parameters"]) <= set(params)
        names = {"outlet": {"P1": "1号锅炉排放口"}, "line": {"E1-L1": "烧结生产线"}}
        items = ev.render(code, lead.evidence, "zh_CN", names, pollutant=lead.pollutant)
        assert [i.key for i in items][-1] == "parameters"
        text = "\n".join(
            f"{i.label}: {i.text}" + "".join(f"\n  {c.label}: {c.text}" for c in i.children)
            for i in items
        )
        assert_clean_zh(text, where=f"{code} {lead.lead_id}")
        en = ev.render(code, lead.evidence, "en", names, pollutant=lead.pollutant)
        for item in [*en, *(c for i in en for c in i.children)]:
            assert not HAN.search(item.label), (code, item)


def test_render_formats_units_names_and_parameters() -> None:
    evidence = {
        "window": {"start": "2025-01-08T09:00:00+08:00", "end": "2025-01-08T19:00:00+08:00"},
        "hours": 10,
        "observed": 64.44,
        "threshold": 50,
        "coverage": 0.9,
        "mean_zs": 58.0,
        "peak_factor": 1.2888,
        "t_flag_hours": 0,
        "outlet_ids": ["P0013"],
        "parameters": {"min_duration_h": 1, "pollutants": ["a21002"], "min_factor": 1.0},
    }
    names = {"outlet": {"P0013": "1号锅炉排放口"}}
    got = {
        i.key: (i.label, i.text)
        for i in ev.render("CEMS-EXCEED", evidence, "zh_CN", names, pollutant="a21002")
    }
    assert got["window"] == ("时段", "2025-01-08 09:00 至 2025-01-08 19:00")
    assert got["hours"] == ("持续时长", "10小时")
    assert got["observed"] == ("最高折算浓度", "64.44 mg/m³")
    assert got["coverage"] == ("数据覆盖率", "90%")
    assert got["peak_factor"] == ("最高超标倍数", "1.29倍")
    assert got["outlet_ids"] == ("排放口", "1号锅炉排放口 (P0013)")
    params = {
        c.key: c.text
        for i in ev.render("CEMS-EXCEED", evidence, "zh_CN", names)
        for c in i.children
    }
    assert params == {"min_duration_h": "1小时", "pollutants": "氮氧化物", "min_factor": "1倍"}


def test_an_undeclared_key_is_shown_without_its_name() -> None:
    items = ev.render("CEMS-EXCEED", {"new_metric": 3}, "zh_CN")
    assert [(i.label, i.text) for i in items] == [("其他", "3")]
    assert ev.render("NO-SUCH-RULE", {}, "zh_CN") == []
