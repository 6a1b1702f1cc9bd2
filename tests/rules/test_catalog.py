"""The catalog keeps docs and tests honest: every rule has a page and a fixture test."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from lantian.registry.vocab import CLUE_FAMILIES, LEAD_FAMILIES
from lantian.rules import catalog
from lantian.rules.base import Rule, register

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "rules"
TESTS = Path(__file__).resolve().parent


def fixture_test_sources() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in TESTS.glob("test_*.py")
        if p.name not in ("test_catalog.py", "test_dev_city.py")
    )


def test_catalog_covers_every_family_with_unique_codes() -> None:
    reg = catalog.all_rules()
    found = {r.family for r in reg.values()}
    # every v1 family has a rule; v2 clue-layer families join as their rules are built
    assert set(LEAD_FAMILIES) <= found <= set(LEAD_FAMILIES) | set(CLUE_FAMILIES)
    for code, rule in reg.items():
        assert code == rule.code
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)+", code)
        assert rule.clause and rule.title_zh and rule.title_en


@pytest.mark.parametrize("code", list(catalog.all_rules()))
def test_every_rule_has_a_doc_page_naming_its_parameters(code: str) -> None:
    rule = catalog.get_rule(code)
    page = DOCS / f"{code}.md"
    assert page.exists(), f"docs/rules/{code}.md is missing"
    text = page.read_text(encoding="utf-8")
    assert rule.family in text
    for f in fields(rule.params_type):
        assert f"`{f.name}`" in text, f"{code}: parameter {f.name} not documented"
    assert "verified" in text.lower()


@pytest.mark.parametrize("code", list(catalog.all_rules()))
def test_every_rule_has_a_fixture_test(code: str) -> None:
    assert f'"{code}"' in fixture_test_sources(), f"no fixture test runs {code}"


def test_every_rule_has_frozen_defaults_with_units_or_ratios() -> None:
    for rule in catalog.all_rules().values():
        p = rule.params_type()
        with pytest.raises(AttributeError):
            p.min_duration_h = 99


def test_duplicate_codes_are_rejected() -> None:
    rule = catalog.get_rule("CEMS-EXCEED")
    with pytest.raises(ValueError, match="twice"):
        register(Rule(**{f.name: getattr(rule, f.name) for f in fields(Rule)}))
