"""Engine: contract format of leads.jsonl, determinism, windows, parameter overrides, CLI."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from rules_fixtures import Bundle, detect, iso, standard_line, wiggle
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.registry.vocab import LEAD_FAMILIES, SUBJECT_TYPES
from lantian.rules.config import ConfigError, RulesConfig
from lantian.rules.engine import run_rules, write_leads_jsonl
from lantian.timeutil import CST

SO2 = "a21026"


def exceed_bundle() -> Bundle:
    b = Bundle().enterprise("E1", industry="steel").enterprise("E2", industry="cement")
    b.outlet("P1", "E1", "E1-L1").outlet("P2", "E2", "E2-L1")
    standard_line(b, "E1", "E1-L1", prefix="A")
    standard_line(b, "E2", "E2-L1", prefix="B")
    b.cems("P1", 72, SO2, lambda h: 40.0 if 10 <= h < 12 else 20.0 + wiggle(h, 3))
    b.cems("P2", 72, SO2, lambda h: 40.0 if 30 <= h < 33 else 21.0 + wiggle(h + 7, 3))
    return b


def test_leads_jsonl_has_exactly_the_contract_fields(tmp_path: Path) -> None:
    leads = run_rules(exceed_bundle().build())
    out = tmp_path / "leads.jsonl"
    assert write_leads_jsonl(leads, out) == 2
    keys = {
        "lead_id",
        "rule",
        "family",
        "enterprise_id",
        "subject_type",
        "subject_id",
        "pollutant",
        "start",
        "end",
        "severity",
        "score",
        "summary",
        "evidence",
    }
    ids = set()
    for line in out.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        assert set(d) == keys
        assert d["family"] in LEAD_FAMILIES and d["subject_type"] in SUBJECT_TYPES
        s, e = datetime.fromisoformat(d["start"]), datetime.fromisoformat(d["end"])
        assert d["start"].endswith("+08:00") and d["end"].endswith("+08:00") and e > s
        assert d["severity"] in (1, 2, 3) and 0 <= d["score"] <= 1
        assert isinstance(d["evidence"], dict) and d["evidence"]["window"]["start"] == d["start"]
        assert d["summary"].endswith("。")
        ids.add(d["lead_id"])
    assert len(ids) == 2


def test_same_input_same_ids_and_order() -> None:
    a = run_rules(exceed_bundle().build())
    b = run_rules(exceed_bundle().build())
    assert [x.to_json() for x in a] == [x.to_json() for x in b]
    assert [x.start for x in a] == sorted(x.start for x in a)


def test_window_keeps_overlapping_episodes_clipped() -> None:
    lo = datetime(2024, 1, 8, 11, tzinfo=CST)
    hi = datetime(2024, 1, 9, 0, tzinfo=CST)
    leads = run_rules(exceed_bundle().build(), window=(lo, hi))
    assert [(ld.subject_id, ld.start, ld.end) for ld in leads] == [("P1", iso(11), iso(12))]


def test_overrides_most_specific_wins() -> None:
    cfg = RulesConfig.from_dict(
        {
            "rules": {"CEMS-EXCEED": {"min_duration_h": 3}},
            "industry": {"cement": {"rules": {"CEMS-EXCEED": {"min_duration_h": 1}}}},
        }
    )
    leads = run_rules(exceed_bundle().build(), rules=["CEMS-EXCEED"], params=cfg)
    assert [ld.subject_id for ld in leads] == ["P2"]
    cfg2 = RulesConfig.from_dict(
        {
            "rules": {"CEMS-EXCEED": {"min_duration_h": 3}},
            "industry": {"cement": {"rules": {"CEMS-EXCEED": {"min_duration_h": 1}}}},
            "enterprise": {"E2": {"rules": {"CEMS-EXCEED": {"min_duration_h": 5}}}},
            "outlet": {"P1": {"rules": {"CEMS-EXCEED": {"min_duration_h": 2}}}},
        }
    )
    leads = run_rules(exceed_bundle().build(), rules=["CEMS-EXCEED"], params=cfg2)
    assert [ld.subject_id for ld in leads] == ["P1"]
    assert leads[0].evidence["parameters"]["min_duration_h"] == 2


def test_bad_config_is_named() -> None:
    with pytest.raises(ConfigError, match="unknown rule"):
        RulesConfig.from_dict({"rules": {"NOPE": {}}})
    with pytest.raises(ConfigError, match="min_duration_hours"):
        RulesConfig.from_dict({"rules": {"CEMS-EXCEED": {"min_duration_hours": 1}}})
    with pytest.raises(ConfigError, match="bad value"):
        RulesConfig.from_dict({"rules": {"CEMS-EXCEED": {"min_duration_h": "x"}}})


def test_plain_mapping_params() -> None:
    leads = detect(exceed_bundle().build(), "CEMS-EXCEED", {"min_duration_h": 3})
    assert [ld.subject_id for ld in leads] == ["P2"]


def write_bundle(root: Path) -> Path:
    (root / "registry").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "registry" / "enterprises.csv").write_text(
        "\ufeffenterprise_id,name,credit_code,industry,city\nE1,甲公司,,steel,清河市\n",
        encoding="utf-8",
    )
    (root / "registry" / "outlets.csv").write_text(
        "outlet_id,enterprise_id,name,mn,o2_ref_pct,limit_pm,limit_so2,limit_nox,line_id\n"
        "P1,E1,1#排口,MN001,,10,35,50,\n",
        encoding="utf-8",
    )
    (root / "registry" / "meters.csv").write_text(
        "meter_id,enterprise_id,line_id,role,name,rated_kw\n", encoding="utf-8"
    )
    rows = ["mn,time,pollutant,value,zs_value,flag"]
    for h in range(6):
        rows.append(f"MN001,2024-01-08T{h:02d}:00:00,a21026,{50 if h in (2, 3) else 10},,N")
    (root / "data" / "cems_hourly.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def test_cli_detect_and_rules_list(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b")
    out = tmp_path / "leads.jsonl"
    runner = CliRunner()
    res = runner.invoke(app, ["detect", str(bundle), "--out", str(out)])
    assert res.exit_code == 0, res.output
    leads = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(d["rule"], d["subject_id"], d["start"], d["end"]) for d in leads] == [
        ("CEMS-EXCEED", "P1", "2024-01-08T02:00:00+08:00", "2024-01-08T04:00:00+08:00")
    ]
    res = runner.invoke(app, ["detect", str(bundle), "--out", str(out), "--rules", "NOPE"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["rules", "list", "--json"])
    assert res.exit_code == 0
    codes = [r["code"] for r in json.loads(res.output)]
    assert "CEMS-EXCEED" in codes and "AMB-HOTSPOT" in codes
    res = runner.invoke(app, ["rules", "show", "POWER-TREAT-OFF"])
    assert res.exit_code == 0 and "min_duration_min" in res.output


def test_cli_config_file(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b")
    cfg = tmp_path / "rules.toml"
    cfg.write_text('[rules."CEMS-EXCEED"]\nmin_duration_h = 3\n', encoding="utf-8")
    out = tmp_path / "leads.jsonl"
    res = CliRunner().invoke(app, ["detect", str(bundle), "--out", str(out), "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8") == ""
