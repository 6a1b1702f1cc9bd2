"""``lantian detect`` on demo cities with every clue layer, scored like the benchmark.

For two seeds × two small presets, each new family must reach precision and recall ≥ 0.95
against the labels (``../shared/datasets/score.py`` logic, loaded from the shared folder),
and the true source must be among the first three ``evidence.candidates`` of a matching
lead for at least 80 % of the hot-spot labels that have a ``source_enterprise_id``.
Families whose rule is not in the catalog yet are expected to fail (``xfail``, not strict).
Also: the leads of the v1 families are the same with and without the clue layers.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

import lantian.demo.city as city_mod
from lantian.cli.main import app
from lantian.demo import CityConfig, generate_city, preset
from lantian.demo.clues import ClueContext
from lantian.demo.clues.met import write_met
from lantian.rules.catalog import all_rules

pytestmark = pytest.mark.slow

SCORE_PY = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "score.py"
SMALL16 = CityConfig(enterprises=16, days=5, stations=6)
CITIES: dict[str, CityConfig] = {
    f"{name}-s{seed}": CityConfig(**{**cfg.__dict__, "seed": seed, "data_format": "csv"})
    for name, cfg in (("small", preset("small")), ("small16", SMALL16))
    for seed in (1, 2)
}
CLUE_FAMILIES = ("GRID_HOTSPOT", "MOBILE_HOTSPOT", "CAMERA_ALARM", "GATE_VIOLATION")
HOTSPOT_FAMILIES = ("GRID_HOTSPOT", "MOBILE_HOTSPOT")
REGISTERED = {r.family for r in all_rules().values()}


def _family_param(family: str) -> Any:
    marks = []
    if family not in REGISTERED:
        marks.append(
            pytest.mark.xfail(strict=False, reason=f"no rule of family {family} registered yet")
        )
    return pytest.param(family, marks=marks, id=family)


def _scorer() -> ModuleType:
    if not SCORE_PY.is_file():
        pytest.skip(f"{SCORE_PY} not found (the shared folder beside the project)")
    spec = importlib.util.spec_from_file_location("lantian_shared_score", SCORE_PY)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _detect(bundle: Path, out: Path) -> Path:
    res = CliRunner().invoke(app, ["detect", str(bundle), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """City name → (bundle, leads.jsonl)."""
    root = tmp_path_factory.mktemp("clue-scoring")
    out: dict[str, tuple[Path, Path]] = {}
    for name, cfg in CITIES.items():
        bundle = root / name
        generate_city(bundle, cfg)
        out[name] = (bundle, _detect(bundle, root / f"{name}.leads.jsonl"))
    return out


@pytest.mark.parametrize("family", [_family_param(f) for f in CLUE_FAMILIES])
def test_family_precision_and_recall(family: str, scored: dict[str, tuple[Path, Path]]) -> None:
    score = _scorer()
    totals = {"labels": 0, "leads": 0, "matched_labels": 0, "matched_leads": 0}
    per_city = {}
    for name, (bundle, leads) in scored.items():
        row = score.score(score.load_labels(str(bundle / "labels.jsonl")), str(leads))
        fam = row["families"][family]
        per_city[name] = fam
        for k in totals:
            totals[k] += fam[k]
    assert totals["labels"] >= 4, per_city
    precision = totals["matched_leads"] / totals["leads"] if totals["leads"] else 0.0
    recall = totals["matched_labels"] / totals["labels"]
    assert precision >= 0.95 and recall >= 0.95, per_city


def _true_source_rank_ok(score: ModuleType, bundle: Path, leads_path: Path) -> tuple[int, int]:
    labels = [
        lb
        for lb in score.load_labels(str(bundle / "labels.jsonl"))
        if lb["family"] in HOTSPOT_FAMILIES and lb.get("source_enterprise_id")
    ]
    leads = []
    for line in leads_path.read_text(encoding="utf-8").splitlines():
        d, err = score.validate_lead(json.loads(line))
        if err is None and d["family"] in HOTSPOT_FAMILIES:
            leads.append(d)
    ok = 0
    for lb in labels:
        for ld in leads:
            if not score.matches(ld, lb):
                continue
            cands = (ld.get("evidence") or {}).get("candidates") or []
            top = [c.get("enterprise_id") for c in cands[:3] if isinstance(c, dict)]
            if lb["source_enterprise_id"] in top:
                ok += 1
                break
    return ok, len(labels)


@pytest.mark.xfail(
    condition=not set(HOTSPOT_FAMILIES) <= REGISTERED,
    strict=False,
    reason="GRID-HOTSPOT / MOBILE-HOTSPOT and the candidate ranking are not registered yet",
)
def test_true_source_among_the_first_three_candidates(
    scored: dict[str, tuple[Path, Path]],
) -> None:
    score = _scorer()
    ok = total = 0
    for bundle, leads in scored.values():
        a, b = _true_source_rank_ok(score, bundle, leads)
        ok += a
        total += b
    assert total >= 4
    assert ok >= 0.8 * total, (ok, total)


def test_v1_leads_are_unchanged_by_the_clue_layers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scored: dict[str, tuple[Path, Path]]
) -> None:
    name = "small-s1"
    bundle, leads = scored[name]
    cfg = CITIES[name]

    def met_only(ctx: ClueContext) -> list[Any]:
        ctx.rows["met_hourly"] = write_met(ctx.root, ctx.reg, ctx.wind, ctx.start, cfg.seed)
        return []

    monkeypatch.setattr(city_mod, "write_clue_layers", met_only)
    monkeypatch.setattr(city_mod, "truck_min_standards", lambda reg, seed: {})
    generate_city(tmp_path / "v1", cfg)
    v1_leads = _detect(tmp_path / "v1", tmp_path / "v1.leads.jsonl")

    def v1_lines(path: Path) -> list[str]:
        return [
            x
            for x in path.read_text(encoding="utf-8").splitlines()
            if json.loads(x)["family"] not in CLUE_FAMILIES
        ]

    assert v1_lines(leads) == v1_lines(v1_leads)
    assert v1_lines(leads), "the city has v1 leads"
    old = (tmp_path / "v1" / "labels.jsonl").read_text(encoding="utf-8")
    assert (bundle / "labels.jsonl").read_text(encoding="utf-8").startswith(old)
