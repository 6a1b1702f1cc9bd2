"""The demo city's clue layers (contract v2): wind, grids, 走航, cameras and truck gates.

:func:`write_clue_layers` is called by :func:`lantian.demo.city.generate_city` after the v1
files; each layer lives in its own module and returns the labels of its incidents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from lantian.demo.clues.cameras import write_cameras
from lantian.demo.clues.gates import truck_min_standards, write_gates
from lantian.demo.clues.grid_hourly import write_grid_hourly
from lantian.demo.clues.grids import build_grid, write_grids
from lantian.demo.clues.met import WindField, plan_wind, write_met
from lantian.demo.clues.mobile import write_mobile
from lantian.demo.registry import Registry
from lantian.demo.weather import Weather

__all__ = [
    "ClueContext",
    "WindField",
    "plan_wind",
    "truck_min_standards",
    "write_clue_layers",
]


@dataclass
class ClueContext:
    """What every clue layer generator may read (all of it already generated)."""

    root: Path
    """The bundle directory being written."""
    cfg: Any
    """The :class:`lantian.demo.config.CityConfig`."""
    reg: Registry
    weather: Weather
    plan: Any
    """The :class:`lantian.demo.incidents.IncidentPlan` (v1 incidents, production schedule)."""
    start: datetime
    """Start of the period (hour 0), aware CST."""
    wind: WindField
    rng: np.random.Generator
    rows: dict[str, int] = field(default_factory=dict)
    """Rows written per file (for the summary)."""


def write_clue_layers(ctx: ClueContext) -> list[Any]:
    """Write every clue layer of the demo city; return their labels.

    Each layer draws from its own random stream (seeded from the city seed and the layer), so
    the v1 files and labels do not change when a layer is added or changed.
    """
    labels: list[Any] = []
    seed = int(ctx.cfg.seed)
    ctx.rows["met_hourly"] = write_met(ctx.root, ctx.reg, ctx.wind, ctx.start, seed)
    grid = build_grid(ctx.reg)
    ctx.rows["grids"] = write_grids(ctx.root, ctx.reg, grid)
    for name, (rows, found) in (
        ("grid_hourly", write_grid_hourly(ctx, grid)),
        ("mobile_track", write_mobile(ctx, grid)),
        ("camera_alarms", write_cameras(ctx, grid)),
        ("gate_records", write_gates(ctx, truck_min_standards(ctx.reg, seed))),
    ):
        ctx.rows[name] = rows
        labels.extend(found)
    return labels
