"""District boundaries of the simulated city: one polygon per district, and every
enterprise and (non-township) station inside its own district's polygon."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lantian.demo import CityConfig
from lantian.demo.boundaries import district_boundaries
from lantian.demo.registry import build_registry


def _inside(pt: tuple[float, float], ring: list[list[float]]) -> bool:
    x, y = pt
    hit = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


@pytest.mark.parametrize("seed", [1, 2026, 77])
def test_every_enterprise_lies_in_its_district(seed: int) -> None:
    cfg = CityConfig(enterprises=40, seed=seed)
    reg = build_registry(cfg, np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[0]))
    fc = district_boundaries(cfg)
    rings: dict[str, list[list[list[float]]]] = {}
    for f in fc["features"]:
        g = f["geometry"]
        assert f["properties"]["city"] == reg.city and f["properties"]["synthetic"] is True
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        rings[f["properties"]["district"]] = [p[0] for p in polys]
    assert sorted(rings) == sorted(d.name for d in reg.districts)
    for e in reg.enterprises:
        assert any(_inside((e.lon, e.lat), r) for r in rings[e.district]), e.enterprise_id
        others = [d for d in rings if d != e.district]
        assert not any(_inside((e.lon, e.lat), r) for d in others for r in rings[d])
