"""Hourly ambient station data: a shared regional component, station effects, hot spots.

Calibrated loosely on the winter months of the Beijing multi-site data: regional PM2.5 with
hour-to-hour persistence ~0.97 and episodes several times the background, a night-time
maximum of PM, NO2 traffic peaks, O3 low at night and anti-correlated with NO2 by day
(titration: O3 + NO2 ≈ regional oxidant), PM10/PM2.5 about 1.2-1.8.

References
----------
.. [1] Zhang S. et al. (2017), Proc. R. Soc. A 473: 20170457 (UCI Beijing Multi-Site data).
.. [2] HJ 663-2013, 环境空气质量评价技术规范 (pollutants and units; CO in mg/m³).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lantian.demo.incidents import Label
from lantian.demo.noise import F64, ar1, runs
from lantian.demo.registry import Station
from lantian.demo.weather import Weather

AMBIENT_POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")
HOTSPOT_THRESHOLD = {"PM2.5": 75.0, "PM10": 150.0}
HOTSPOT_RATIO = 2.5
HOTSPOT_RATE = 3.5
"""Injected hot spots per 100 station-days."""


@dataclass
class AmbientData:
    """(S, P, H) values (NaN = hour not reported) and the labels."""

    values: F64
    labels: list[Label]


def _others_median(x: F64) -> F64:
    """For each station (axis 0) the median over the other stations, per hour."""
    s = x.shape[0]
    out = np.empty_like(x)
    for i in range(s):
        others = np.delete(x, i, axis=0)
        out[i] = np.nanmedian(others, axis=0)
    return out


def simulate_ambient(
    stations: list[Station],
    weather: Weather,
    seed: int,
    scale: float = 1.0,
    difficulty: float = 0.3,
) -> AmbientData:
    """Hourly PM2.5, PM10, SO2, NO2 (µg/m³), CO (mg/m³), O3 for every station, with hot spots."""
    rng = np.random.default_rng([seed, 41])
    n_st = len(stations)
    h = weather.log_pm25.size
    hod = np.arange(h) % 24
    diurnal_pm = 1.0 + 0.2 * np.cos((hod - 1) / 24 * 2 * np.pi)
    traffic = (
        0.8 + 0.25 * np.exp(-(((hod - 8.5) / 1.5) ** 2)) + 0.35 * np.exp(-(((hod - 20) / 2.5) ** 2))
    )
    daylight = np.clip(np.sin((hod - 7) / 11 * np.pi), 0, None)
    stag = weather.stagnation
    no2_reg = 32.0 * (1 + 0.8 * stag) * np.exp(ar1(rng, (h,), 0.9, 0.15))
    ox_reg = (48.0 + 40.0 * daylight * (1 - 0.5 * stag)) * np.exp(ar1(rng, (h,), 0.9, 0.08))
    vals = np.empty((n_st, len(AMBIENT_POLLUTANTS), h))
    for i, st in enumerate(stations):
        srng = np.random.default_rng([seed, 43, i])
        local = ar1(srng, (h,), 0.75, st.noise * (0.7 + difficulty))
        pm25 = np.exp(weather.log_pm25 + st.offset + local) * diurnal_pm
        ratio = st.pm_ratio * (1 - 0.25 * stag) * np.exp(ar1(srng, (h,), 0.7, 0.1))
        pm10 = pm25 * np.maximum(ratio, 1.05)
        no2 = no2_reg * st.no2_scale * traffic * np.exp(ar1(srng, (h,), 0.7, 0.15))
        so2 = (
            9.0
            * st.so2_scale
            * (1 + 0.6 * stag)
            * (1 + 0.3 * daylight)
            * np.exp(ar1(srng, (h,), 0.8, 0.2))
        )
        co = (0.35 + 0.0105 * pm25) * np.exp(ar1(srng, (h,), 0.7, 0.1))
        o3 = np.maximum(2.0, ox_reg * np.exp(ar1(srng, (h,), 0.6, 0.08)) - 0.85 * no2)
        vals[i] = np.vstack([pm25, pm10, so2, no2, co, o3])

    labels: list[Label] = []
    days = h / 24
    n_hot = max(1 if scale > 0 else 0, int(rng.poisson(HOTSPOT_RATE * n_st * days / 100 * scale)))
    n_weak = max(1 if scale > 0 else 0, int(rng.poisson(HOTSPOT_RATE * n_st * days / 100 * scale)))
    busy: dict[int, list[tuple[int, int]]] = {}

    def free(i: int, a: int, b: int) -> bool:
        return all(b + 3 <= x or a >= y + 3 for x, y in busy.get(i, []))

    med = _others_median(vals[:, :2, :])
    for strong, count in ((True, n_hot), (False, n_weak)):
        placed = 0
        for _ in range(count * 20):
            if placed >= count or h < 8:
                break
            i = int(rng.integers(n_st))
            pol = 0 if rng.random() < 0.6 else 1
            name = AMBIENT_POLLUTANTS[pol]
            length = int(rng.integers(3, 13)) if strong else int(rng.integers(2, 6))
            a = int(rng.integers(1, h - length - 1))
            if not free(i, a, a + length):
                continue
            base = med[i, pol, a : a + length]
            if base.max() * 2.6 > (500.0 if pol == 0 else 900.0):
                continue  # a local plume on top of a heavy episode would be implausibly high
            if strong:
                subtle = rng.random() < 0.1 + 0.5 * difficulty
                factor = rng.uniform(2.6, 2.85) if subtle else rng.uniform(2.9, 4.5)
                target = np.maximum(
                    base * factor * rng.uniform(0.97, 1.06, length),
                    HOTSPOT_THRESHOLD[name] * rng.uniform(1.08, 1.4),
                )
                target = np.maximum(target, base * HOTSPOT_RATIO * 1.04)
            else:
                factor = rng.uniform(1.5, 2.2)
                target = base * factor * rng.uniform(0.97, 1.03, length)
            vals[i, pol, a : a + length] = target
            # Shoulders: the plume builds up and fades over an hour.
            for edge in (a - 1, a + length):
                vals[i, pol, edge] = max(vals[i, pol, edge], med[i, pol, edge] * 1.4)
            if pol == 0:
                vals[i, 1, a : a + length] = np.maximum(vals[i, 1, a : a + length], target * 1.15)
            else:
                vals[i, 0, a : a + length] *= 1.25
            busy.setdefault(i, []).append((a, a + length))
            labels.append(
                Label(
                    "AMBIENT_HOTSPOT",
                    None,
                    "station",
                    stations[i].station_id,
                    name,
                    a * 60,
                    (a + length) * 60,
                    {"factor": round(float(factor), 2)},
                    ignore=not strong,
                )
            )
            placed += 1

    # Round like the stations publish, drop some hours.
    out = np.round(vals)
    out[:, 4, :] = np.round(vals[:, 4, :], 1)
    out = np.maximum(out, np.array([1, 1, 1, 1, 0.1, 1])[None, :, None])
    for i in range(n_st):
        srng = np.random.default_rng([seed, 47, i])
        drop = srng.random(h) < 0.004
        if srng.random() < 0.2:
            k = int(srng.integers(1, 7))
            s0 = int(srng.integers(0, max(1, h - k)))
            drop[s0 : s0 + k] = True
        for a, b in busy.get(i, []):
            drop[max(0, a - 1) : b + 1] = False
        out[i, :, drop] = np.nan
    labels += _scan_hotspots(stations, out, labels)
    return AmbientData(out, labels)


def _scan_hotspots(stations: list[Station], vals: F64, injected: list[Label]) -> list[Label]:
    """Windows in the final data that meet (or nearly meet) the hot-spot definition but were
    not injected: strong ones (≥ 2.5 ×, over the threshold, ≥ 3 h) are labelled; weaker
    excursions (≥ 1.5 × for ≥ 2 h) are don't-care windows."""
    med = _others_median(vals[:, :2, :])
    out: list[Label] = []
    covered: dict[str, list[tuple[int, int]]] = {}
    for lab in injected:
        covered.setdefault(lab.subject_id, []).append((lab.start_min // 60, lab.end_min // 60))
    for i, st in enumerate(stations):
        for pol in (0, 1):
            name = AMBIENT_POLLUTANTS[pol]
            v = vals[i, pol]
            m = med[i, pol]
            with np.errstate(invalid="ignore"):
                strong = (v >= HOTSPOT_RATIO * m) & (v >= HOTSPOT_THRESHOLD[name])
                weak = v >= 1.5 * m
            strong_n: NDArray[np.bool_] = np.nan_to_num(strong, nan=0).astype(bool)
            weak_n: NDArray[np.bool_] = np.nan_to_num(weak, nan=0).astype(bool)
            for mask, need, is_strong in ((strong_n, 3, True), (weak_n, 2, False)):
                for a, b in runs(mask):
                    if b - a < need:
                        continue
                    if any(a < y + 1 and x - 1 < b for x, y in covered.get(st.station_id, [])):
                        continue
                    covered.setdefault(st.station_id, []).append((a, b))
                    out.append(
                        Label(
                            "AMBIENT_HOTSPOT",
                            None,
                            "station",
                            st.station_id,
                            name,
                            a * 60,
                            b * 60,
                            {"natural": True},
                            ignore=not (is_strong and b - a <= 12),
                        )
                    )
    return out
