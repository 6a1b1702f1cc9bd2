"""Configuration of differentiated supervision: defaults load, impossible values are refused."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from lantian.supervision.config import (
    SupervisionConfigError,
    default_toml,
    load_config,
    parse_config,
)


def _defaults() -> dict[str, Any]:
    return tomllib.loads(default_toml())


def test_defaults_load_and_cover_every_industry() -> None:
    cfg = load_config()
    assert cfg.plan.pre_notice_lead_days == 14
    assert {c.name for c in cfg.categories} == {"key", "general"}
    assert cfg.category_of("steel").name == "key"
    assert cfg.category_of("printing").name == "general"


def test_ratio_above_one_is_refused_naming_the_entry() -> None:
    data = _defaults()
    data["categories"]["key"]["ratio_per_quarter"] = 1.5
    with pytest.raises(SupervisionConfigError, match=r"\[categories\.key\] ratio_per_quarter"):
        parse_config(data)


def test_cap_below_minimum_is_refused() -> None:
    data = _defaults()
    data["minimums"]["high_risk_min_onsite_per_year"] = 5
    data["categories"]["general"]["max_onsite_per_year"] = 2
    with pytest.raises(
        SupervisionConfigError, match=r"\[categories\.general\] max_onsite_per_year.*minimum"
    ):
        parse_config(data)


def test_unknown_industry_and_double_membership_are_refused() -> None:
    data = _defaults()
    data["categories"]["key"]["industries"].append("bakery")
    with pytest.raises(SupervisionConfigError, match=r"\[categories\.key\] industries.*bakery"):
        parse_config(data)
    data = _defaults()
    data["categories"]["key"]["industries"].append("printing")
    with pytest.raises(SupervisionConfigError, match="'printing' is already in category"):
        parse_config(data)


def test_industry_in_no_category_is_refused() -> None:
    data = _defaults()
    data["categories"]["general"]["industries"].remove("other")
    with pytest.raises(SupervisionConfigError, match=r"\['other'\] belong to no category"):
        parse_config(data)


def test_unknown_keys_and_bad_modes_are_refused() -> None:
    data = _defaults()
    data["plan"]["ratio"] = 0.1
    with pytest.raises(SupervisionConfigError, match=r"\[plan\] ratio: unknown entry"):
        parse_config(data)
    data = _defaults()
    data["plan"]["positive_list_mode"] = "skip"
    with pytest.raises(SupervisionConfigError, match=r"\[plan\] positive_list_mode"):
        parse_config(data)
    data = _defaults()
    data["risk"]["grade"]["E"] = 3.0
    with pytest.raises(SupervisionConfigError, match=r"\[risk\.grade\] E: unknown entry"):
        parse_config(data)


def test_override_file_names_the_setting(tmp_path: Path) -> None:
    good = tmp_path / "ok.toml"
    good.write_text("[plan]\npre_notice_lead_days = 21\ncross_district = true\n", "utf-8")
    cfg = load_config(good)
    assert cfg.plan.pre_notice_lead_days == 21
    assert cfg.plan.cross_district is True
    assert cfg.plan.positive_list_mode == "remote"  # not overridden: the default stays
    bad = tmp_path / "bad.toml"
    bad.write_text("[minimums]\nhigh_risk_min_onsite_per_year = 9\n", "utf-8")
    with pytest.raises(
        SupervisionConfigError,
        match=r"LANTIAN_SUPERVISION_CONFIG=.*bad\.toml: \[categories\.general\] max_onsite",
    ):
        load_config(bad)


def test_cli_refuses_impossible_configuration_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from lantian.cli.main import app
    from lantian.settings import get_settings

    bad = tmp_path / "city.toml"
    bad.write_text(
        "[categories.key]\nlabel = 'k'\nindustries = []\n"
        "ratio_per_quarter = 1.2\nmax_onsite_per_year = 3\n",
        "utf-8",
    )
    monkeypatch.setenv("LANTIAN_SUPERVISION_CONFIG", str(bad))
    monkeypatch.setenv("LANTIAN_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(app, ["plan", "draw", "--period", "2026-12", "--seed", "1"])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 2
    assert "LANTIAN_SUPERVISION_CONFIG=" in r.output
    assert "[categories.key] ratio_per_quarter: 1.2 is above 1.0" in r.output
