"""The condition language and the shipped templates: every template of every industry,
every item's condition satisfied and violated (table-driven), and bad entries named."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lantian.assist.selfchecks.conditions import (
    KEYS,
    ConditionError,
    RegistryFacts,
    applies,
    describe,
    validate_condition,
)
from lantian.assist.selfchecks.templates import (
    TemplateError,
    read_templates,
    shipped_templates,
)
from lantian.registry.vocab import GRADES, INDUSTRIES

BARE = RegistryFacts(enterprise_id="X", industry="other")
FULL = RegistryFacts(
    enterprise_id="X",
    industry="other",
    grade="A",
    outlets=3,
    o2_corrected=True,
    has_treatment_meter=True,
    has_production_meter=True,
    has_emergency_measures=True,
    positive_list=True,
)


def satisfying(cond: dict[str, Any]) -> RegistryFacts:
    """Facts that meet ``cond`` key by key (built without :func:`applies`)."""
    f = BARE
    for key, value in cond.items():
        if key == "grade":
            g = value[0]
            f = replace(f, grade=None if g == "none" else g)
        elif key == "min_outlets":
            f = replace(f, outlets=value)
        elif key == "has_cems":
            f = replace(f, outlets=1 if value else 0)
        else:
            f = replace(f, **{key: value})
    return f


def violating(cond: dict[str, Any], key: str) -> RegistryFacts:
    """Facts that meet every key of ``cond`` but ``key``."""
    f = satisfying(cond)
    value = cond[key]
    if key == "grade":
        other = next(g for g in (*GRADES, "none") if g not in value)
        return replace(f, grade=None if other == "none" else other)
    if key == "min_outlets":
        return replace(f, outlets=value - 1)
    if key == "has_cems":
        return replace(f, outlets=0 if value else 1)
    return replace(f, **{key: not value})


CASES = [
    (industry, item)
    for industry, spec in sorted(shipped_templates().items())
    for item in spec.items
]


def test_every_industry_of_the_exchange_formats_has_a_template() -> None:
    assert set(shipped_templates()) == set(INDUSTRIES)
    assert len(INDUSTRIES) == 14


@pytest.mark.parametrize(("industry", "item"), CASES, ids=[f"{i}-{it.id}" for i, it in CASES])
def test_item_applies_exactly_when_its_condition_holds(industry: str, item: Any) -> None:
    assert item.basis.strip() and item.text.strip()
    assert "{standard}" not in item.basis
    if not item.when:
        assert applies(item.when, BARE) and applies(item.when, FULL)
        return
    assert applies(item.when, satisfying(item.when)), item.when
    for key in item.when:
        assert not applies(item.when, violating(item.when, key)), (item.id, key)


# explicit expectations for a few enterprise profiles: which items apply
PROFILES: list[tuple[str, RegistryFacts, set[str], set[str]]] = [
    (
        "steel",
        replace(FULL, industry="steel", grade="B", has_emergency_measures=False),
        {"CEMS-1", "CEMS-5", "ST-3", "ST-4", "PWR-1", "ER-2", "EM-1"},
        {"ER-1", "ER-3"},
    ),
    (
        "steel",
        replace(BARE, industry="steel"),
        {"PM-1", "EM-1", "ST-1", "ER-3"},
        {"CEMS-1", "ST-3", "ST-4", "PWR-1", "ER-2"},
    ),
    ("printing", replace(BARE, industry="printing"), {"VOC-1", "PR-1"}, {"CEMS-1", "PWR-1"}),
    (
        "coating",
        replace(BARE, industry="coating", has_treatment_meter=True, grade="D"),
        {"CO-3", "PWR-1", "ER-3"},
        {"PWR-2", "ER-2"},
    ),
    (
        "waste_incineration",
        replace(BARE, industry="waste_incineration", outlets=2),
        {"WI-4", "CEMS-2"},
        {"CEMS-5"},
    ),
]


@pytest.mark.parametrize(("industry", "facts", "included", "excluded"), PROFILES)
def test_profiles(
    industry: str, facts: RegistryFacts, included: set[str], excluded: set[str]
) -> None:
    ids = {it.id for it in shipped_templates()[industry].items if applies(it.when, facts)}
    assert included <= ids
    assert not (excluded & ids)


def test_emission_item_cites_the_industry_standard() -> None:
    tpl = shipped_templates()["cement"]
    em = next(it for it in tpl.items if it.id == "EM-1")
    assert "GB 4915-2013" in em.basis


@pytest.mark.parametrize(
    ("cond", "message"),
    [
        ({"permit_type": "key"}, "unknown condition key 'permit_type'"),
        ({"grade": ["Z"]}, "grade: unknown code"),
        ({"grade": []}, "grade: a non-empty list"),
        ({"has_cems": "yes"}, "has_cems: true or false"),
        ({"min_outlets": 0}, "min_outlets"),
        ("has_cems", "condition must be a table"),
    ],
)
def test_bad_conditions_are_named(cond: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        validate_condition(cond)


def test_describe_in_chinese() -> None:
    assert describe({}) == "全部企业"
    assert "有在线监测排口" in describe({"has_cems": True})
    assert "未分级" in describe({"grade": ["none"]})
    assert set(KEYS) >= {"grade", "has_cems"}


ONE_ITEM = 'industry="steel"\ntitle="t"\n[[items]]\nid="A"\ntext="x"\nbasis="b"\n'


def _write(tmp: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    return tmp


def test_bad_template_files_name_the_entry(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"steel.toml items\[1\] \(A-1\): when: unknown"):
        read_templates(
            _write(
                tmp_path,
                {
                    "steel.toml": 'industry = "steel"\ntitle = "t"\n[[items]]\nid = "A-1"\n'
                    'text = "x"\nbasis = "b"\nwhen = { colour = true }\n'
                },
            )
        )
    with pytest.raises(TemplateError, match=r"items\[1\]: basis is required"):
        read_templates(
            _write(
                tmp_path,
                {"steel.toml": 'industry="steel"\ntitle="t"\n[[items]]\nid="A"\ntext="x"\n'},
            )
        )
    with pytest.raises(TemplateError, match="industry 'tin'"):
        read_templates(_write(tmp_path, {"steel.toml": 'industry="tin"\ntitle="t"\n'}))
    with pytest.raises(TemplateError, match="appears twice"):
        read_templates(
            _write(
                tmp_path,
                {
                    "steel.toml": 'industry="steel"\ntitle="t"\n[[items]]\nid="A"\ntext="x"\n'
                    'basis="b"\n[[items]]\nid="A"\ntext="y"\nbasis="b"\n'
                },
            )
        )
    with pytest.raises(TemplateError, match="no self-check template for"):
        read_templates(
            _write(
                tmp_path,
                {"steel.toml": ONE_ITEM},
            )
        )
