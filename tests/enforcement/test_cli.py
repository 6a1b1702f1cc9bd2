"""``lantian penalty violations --json`` and ``lantian penalty assess --facts … --json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.enforcement.config import default_toml, load_sets


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lantian.settings import get_settings

    monkeypatch.setenv("LANTIAN_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("LANTIAN_PENALTY_CONFIG", raising=False)
    get_settings.cache_clear()


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["penalty", *args])


def test_violations_json_lists_every_loaded_type() -> None:
    result = _run("violations", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    (pset,) = load_sets()
    assert [r["code"] for r in rows] == [v.code for v in pset.violations]
    first = rows[0]
    assert set(first) >= {"code", "name", "law", "article", "legal_min", "legal_max"}
    assert first["legal_min"] == 100000 and first["legal_max"] == 1000000


def _facts(tmp_path: Path, **kw: Any) -> Path:
    data: dict[str, Any] = {
        "violation": "AIR-EXCEED",
        "first_offence": True,
        "harm": "slight",
        "corrected_in_time": True,
        "no_fault_proven": False,
        "mitigating": [],
        "aggravating": [],
        "law_study_passed": False,
        "apology_approved": False,
    }
    data.update(kw)
    p = tmp_path / "facts.json"
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return p


def test_assess_json_first_offence(tmp_path: Path) -> None:
    result = _run("assess", "--facts", str(_facts(tmp_path)), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["outcome"] == "no_penalty" and out["discretionary"] is True
    assert out["amount"] is None and out["list_entry"] == "FO-01"
    assert all(set(r) == {"clause", "fact", "met"} for r in out["reasons"])


def test_assess_json_fine(tmp_path: Path) -> None:
    result = _run(
        "assess",
        "--facts",
        str(_facts(tmp_path, first_offence=False, aggravating=["A-OBSTRUCT"])),
        "--json",
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["outcome"] == "heavier"
    lo, hi = out["range"]
    assert 100000 <= lo <= out["amount"] <= hi <= 1000000


def test_assess_contradiction_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = _facts(tmp_path, harm="serious", claimed_outcome="no_penalty")
    result = _run("assess", "--facts", str(path), "--json")
    assert result.exit_code == 2
    assert "claimed_outcome" in result.output and result.stdout == ""


def test_assess_unknown_code(tmp_path: Path) -> None:
    result = _run("assess", "--facts", str(_facts(tmp_path, violation="X")), "--json")
    assert result.exit_code == 2 and "violation" in result.output


def test_bureau_set_with_unknown_field_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lantian.settings import get_settings

    bad = tmp_path / "bureau.toml"
    bad.write_text(
        default_toml().replace("verified = true\n", "verified = true\nfoo = 1\n", 1),
        encoding="utf-8",
    )
    monkeypatch.setenv("LANTIAN_PENALTY_CONFIG", str(bad))
    get_settings.cache_clear()
    result = _run("violations", "--json")
    assert result.exit_code == 2
    assert "bureau.toml" in result.output and "'foo'" in result.output
    assert "AIR-EXCEED" in result.output
