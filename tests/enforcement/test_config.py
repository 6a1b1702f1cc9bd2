"""Penalty sets as data: the shipped example loads; every fault names file, entry and field."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from lantian.enforcement.config import (
    PenaltyConfigError,
    default_toml,
    load_sets,
    parse_set,
    select_set,
)


def base() -> dict[str, Any]:
    return tomllib.loads(default_toml())


def test_shipped_set_is_complete_and_cited() -> None:
    (s,) = load_sets()
    assert s.province == "13" and s.fallback and s.lookback_days > 0
    assert s.violations and s.no_penalty and s.first_offence and s.mitigating
    assert s.aggravating and s.no_coercion and s.discretion.factors
    for v in s.violations:
        assert v.law and v.article and 0 <= v.legal_min <= v.legal_max
    for e in (*s.no_penalty, *s.first_offence):
        assert e.source and e.violation in {v.code for v in s.violations}
    assert abs(sum(f.weight for f in s.discretion.factors) - 1) < 1e-9
    assert "unverified" in default_toml()


def _fails(data: dict[str, Any], *parts: str) -> None:
    with pytest.raises(PenaltyConfigError) as exc:
        parse_set(data, "bureau.toml")
    for p in parts:
        assert p in str(exc.value), str(exc.value)


def test_unknown_field_in_an_entry_is_named() -> None:
    d = base()
    d["violations"][1]["legal_maximum"] = 5
    _fails(
        d, "bureau.toml", "[[violations]] #2 code='AIR-EVADE'", "'legal_maximum'", "unknown field"
    )


def test_unknown_top_level_table_is_named() -> None:
    d = base()
    d["penalties"] = {}
    _fails(d, "(top level)", "'penalties'")


@pytest.mark.parametrize(
    ("table", "index", "key", "value", "message"),
    [
        ("violations", 0, "legal_max", 50000, "below legal_min"),
        ("violations", 0, "fine_basis", "per_ton", "not one of"),
        ("violations", 1, "code", "AIR-EXCEED", "duplicate code"),
        ("no_penalty", 0, "violation", "NOPE", "unknown violation code"),
        ("no_penalty", 0, "max_harm", "slight", "§33"),
        ("first_offence", 0, "max_harm", "serious", "首违不罚"),
        ("mitigating", 0, "effect", "halve", "not one of"),
        ("mitigating", 0, "mandatory", "yes", "true or false"),
    ],
)
def test_bad_entry_values_are_named(
    table: str, index: int, key: str, value: Any, message: str
) -> None:
    d = base()
    d[table][index][key] = value
    _fails(d, f"[[{table}]]", f"'{key}'", message)


def test_discretion_weights_must_add_up() -> None:
    d = base()
    d["discretion"]["factors"][0]["weight"] = 0.9
    _fails(d, "[discretion]", "'factors'", "add up")


def test_discretion_factor_default_must_be_a_level() -> None:
    d = base()
    d["discretion"]["factors"][1]["default"] = "extreme"
    _fails(d, "code='magnitude'", "'default'")


def test_reduction_percent_range_and_credit_outcomes() -> None:
    d = base()
    d["law_study"]["percent"] = 120
    _fails(d, "[law_study]", "'percent'")
    d = base()
    d["credit"]["points"]["lenient"] = 1
    _fails(d, "[credit.points]", "'lenient'")


def test_missing_meta_field_is_named() -> None:
    d = base()
    del d["meta"]["effective_from"]
    _fails(d, "[meta]", "'effective_from'", "missing")


def test_sets_from_a_directory_select_by_province_and_date(tmp_path: Path) -> None:
    text = default_toml()
    (tmp_path / "hebei-2024.toml").write_text(
        text.replace(
            "effective_from = 2024-01-01", "effective_from = 2024-01-01\neffective_to = 2026-01-01"
        ),
        encoding="utf-8",
    )
    (tmp_path / "hebei-2026.toml").write_text(
        text.replace("effective_from = 2024-01-01", "effective_from = 2026-01-01").replace(
            'version = "2026-example-1"', 'version = "2026-example-2"'
        ),
        encoding="utf-8",
    )
    sets = load_sets(tmp_path)
    assert select_set(sets, "13", dt.date(2025, 12, 31)).version == "2026-example-1"
    assert select_set(sets, "13", dt.date(2026, 1, 1)).version == "2026-example-2"
    assert select_set(sets, "21", dt.date(2026, 6, 1)).province == "13"  # fallback
    with pytest.raises(PenaltyConfigError, match="no penalty set"):
        select_set(sets, "21", dt.date(2023, 6, 1))


def test_overlapping_sets_of_one_province_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(default_toml(), encoding="utf-8")
    (tmp_path / "b.toml").write_text(default_toml(), encoding="utf-8")
    with pytest.raises(PenaltyConfigError, match="overlaps"):
        load_sets(tmp_path)


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[meta\n", encoding="utf-8")
    with pytest.raises(PenaltyConfigError, match=r"LANTIAN_PENALTY_CONFIG=.*bad\.toml"):
        load_sets(bad)
