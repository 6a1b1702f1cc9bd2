"""Acceptance on the shared dev-city: precision and recall ≥ 0.95 with score.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lantian.rules.engine import run_rules, write_leads_jsonl
from lantian.rules.inputs import load_bundle

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"
DEV = SHARED / "dev-city"


@pytest.mark.slow
def test_dev_city_precision_and_recall(tmp_path: Path) -> None:
    if not (DEV / "labels.jsonl").exists():
        pytest.skip("shared dev-city data set is absent")
    out = tmp_path / "leads.jsonl"
    write_leads_jsonl(run_rules(load_bundle(DEV)), out)
    res = subprocess.run(
        [sys.executable, str(SHARED / "score.py"), str(DEV / "labels.jsonl"), str(out), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    overall = json.loads(res.stdout.strip().splitlines()[-1])
    o = overall["overall"]
    assert o["malformed"] == 0
    assert o["precision"] >= 0.95, res.stdout
    assert o["recall"] >= 0.95, res.stdout
    for fam, row in overall["families"].items():
        if row["labels"]:
            assert row["recall"] >= 0.8, (fam, row)
