"""Demo wind (``data/met_hourly.csv``): one slowly turning city-wide wind, per station noise.

Winter in the North China Plain: north-westerlies after a cold front, weak southerlies
during stagnant episodes (the regional PM build-up of :mod:`lantian.demo.weather`). The
direction follows a random walk with persistence; stations see it with a few degrees of
noise. ``wind_dir`` is the direction the wind blows FROM (meteorological convention).

References
----------
.. [1] GB/T 35221-2017 地面气象观测规范 总则 (wind direction: where the wind comes from,
   degrees clockwise from north). Unverified here: the typical winter regime is from the
   Beijing multi-site data (Zhang et al. 2017), not a standard.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from lantian.demo.noise import F64
from lantian.demo.registry import Registry
from lantian.timeutil import isoformat_cst


@dataclass(frozen=True)
class WindField:
    """The city's hourly wind: one value per hour, the same field over the city."""

    dir_deg: F64
    """Direction the wind blows from [degrees, 0 = north, clockwise], per hour."""
    speed_m_s: F64
    """Wind speed [m/s], per hour."""

    def to_deg(self, hour: int) -> float:
        """Direction the wind blows TO at ``hour`` [degrees] (where plumes go)."""
        return float((self.dir_deg[hour] + 180.0) % 360.0)


def plan_wind(hours: int, stagnation: F64, rng: np.random.Generator) -> WindField:
    """An hourly wind field: north-westerly and fresh when clean, weak southerly when stagnant.

    Parameters
    ----------
    hours
        Number of hours.
    stagnation
        0..1 per hour (:attr:`lantian.demo.weather.Weather.stagnation`).
    rng
        Random generator (the caller's stream).
    """
    stag = np.clip(np.asarray(stagnation, dtype=float)[:hours], 0.0, 1.0)
    base = 315.0 - 135.0 * stag  # NW (315) when clean, S (180) when stagnant
    walk = np.cumsum(rng.normal(0.0, 6.0, hours))
    walk -= np.linspace(0.0, walk[-1] if hours else 0.0, hours)  # no long drift
    direction = (base + walk + 360.0) % 360.0
    speed = np.clip(4.5 - 3.3 * stag + rng.normal(0.0, 0.5, hours), 0.3, 12.0)
    return WindField(direction.astype(float), speed.astype(float))


def station_wind(wind: WindField, station_index: int, seed: int) -> tuple[F64, F64]:
    """One station's reading of the wind field (a few degrees and 0.3 m/s of noise)."""
    rng = np.random.default_rng([seed, station_index, 0x3E7])
    n = len(wind.dir_deg)
    d = (wind.dir_deg + rng.normal(0.0, 8.0, n) + 360.0) % 360.0
    s = np.clip(wind.speed_m_s + rng.normal(0.0, 0.3, n), 0.1, None)
    return d, s


def write_met(root: Path, reg: Registry, wind: WindField, start: datetime, seed: int) -> int:
    """Write ``data/met_hourly.csv`` for the national and provincial stations; rows written."""
    path = root / "data" / "met_hourly.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    hours = len(wind.dir_deg)
    base = start
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["station_id", "time", "wind_dir", "wind_speed", "temp", "rh"])
        for i, st in enumerate(reg.stations):
            if st.kind not in ("national", "provincial"):
                continue
            d, s = station_wind(wind, i, seed)
            for h in range(hours):
                t = isoformat_cst(base + timedelta(hours=h))
                temp = -2.0 + 5.0 * np.sin(2 * np.pi * ((h % 24) - 9) / 24)
                w.writerow([st.station_id, t, f"{d[h]:.0f}", f"{s[h]:.1f}", f"{temp:.1f}", "55"])
                rows += 1
    return rows
