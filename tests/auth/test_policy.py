"""The enterprise visibility policy file: parsed, validated at load, errors name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantian.auth.policy import (
    DEFAULT_TRIGGERS,
    PolicyError,
    VisibilityPolicy,
    get_policy,
    load_policy,
    parse_policy,
    use_policy,
)


def test_default_never_shows_unverified_leads() -> None:
    pol = VisibilityPolicy()
    assert pol.default.case_reached_by == DEFAULT_TRIGGERS
    assert "confirmed" not in DEFAULT_TRIGGERS and not pol.provinces


def test_a_file_with_a_province_override(tmp_path: Path) -> None:
    f = tmp_path / "policy.toml"
    f.write_text(
        '[default]\ncase_reached_by = ["notice", "shared"]\n\n'
        '[provinces.44]\ncase_reached_by = ["notice", "rectification", "confirmed"]\n',
        encoding="utf-8",
    )
    pol = load_policy(f)
    assert pol.default.case_reached_by == ("notice", "shared")
    assert pol.provinces["44"].case_reached_by == ("notice", "rectification", "confirmed")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"defaults": {}}, "unknown key"),
        ({"default": {"case_reached_by": ["dispatched"]}}, "default.case_reached_by: unknown"),
        ({"default": {"case_reached_by": []}}, "empty"),
        ({"default": {"case_reached_by": "notice"}}, "list of strings"),
        ({"default": {"show": ["notice"]}}, "default: unknown key"),
        ({"provinces": {"4": {"case_reached_by": ["notice"]}}}, "provinces.4: not a 2-digit"),
        ({"provinces": {"44": {"case_reached_by": ["x"]}}}, "provinces.44.case_reached_by"),
        ({"provinces": []}, "provinces: expected a table"),
    ],
)
def test_bad_policies_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(data)


def test_bad_file_is_named(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("[default\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"bad\.toml"):
        load_policy(f)


def test_the_setting_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lantian.settings import get_settings

    f = tmp_path / "p.toml"
    f.write_text('[provinces.13]\ncase_reached_by = ["confirmed"]\n', encoding="utf-8")
    monkeypatch.setenv("LANTIAN_VISIBILITY_POLICY", str(f))
    get_settings.cache_clear()
    try:
        assert get_policy().provinces["13"].case_reached_by == ("confirmed",)
        with use_policy(VisibilityPolicy()) as pol:
            assert get_policy() is pol
    finally:
        get_settings.cache_clear()
