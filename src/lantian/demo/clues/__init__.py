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

from lantian.demo.clues.met import WindField, plan_wind, write_met
from lantian.demo.registry import Registry
from lantian.demo.weather import Weather

__all__ = ["ClueContext", "WindField", "plan_wind", "write_clue_layers"]


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
    """Write every clue layer of the demo city; return their labels."""
    labels: list[Any] = []
    ctx.rows["met_hourly"] = write_met(ctx.root, ctx.reg, ctx.wind, ctx.start, int(ctx.cfg.seed))
    return labels
