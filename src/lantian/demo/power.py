"""Electricity sub-metering series (分表计电): mean kW per meter and interval."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from lantian.demo.noise import F64, ar1
from lantian.demo.registry import Line, Meter
from lantian.demo.schedule import Clock, LineSchedule


@dataclass
class MeterSeries:
    """One meter's data: step indices (base grid) and kW; missing intervals are left out."""

    meter: Meter
    steps: NDArray[np.int64]
    kw: F64


def _duty_share(rng: np.random.Generator, n: int, duty: float) -> F64:
    """Share of each interval an intermittent machine (推焦车, 破碎机 …) draws load.

    Such machines cycle every few minutes, so a 5-minute mean sees about ``duty`` of the
    interval loaded, with some scatter.
    """
    if duty >= 1.0:
        return np.ones(n)
    return np.asarray(np.clip(duty + ar1(rng, (n,), 0.5, 0.12), 0.02, 1.0))


def meter_series(
    meter: Meter,
    line: Line,
    sched: LineSchedule,
    clock: Clock,
    seed: int,
    protected: list[tuple[int, int]],
    difficulty: float = 0.3,
    outage_rate: float = 0.0,
) -> MeterSeries:
    """Mean active power of one meter over its own regular interval.

    Production equipment draws a share of its nameplate power that follows the line's load
    and output factor; treatment equipment runs with the line (leading and trailing it by a
    few minutes) and tracks its load weakly; stopped equipment draws standby power or none.
    Missing intervals (single ones and occasional outages of a few hours) are left out.
    ``protected`` (base steps) are windows kept free of outages (labelled incidents).
    ``outage_rate``: expected long outages (4-16 h, nothing sent) of a treatment meter per
    100 meter-days, starting while its treatment runs: a benign look-alike of TREATMENT_OFF.
    """
    rng = np.random.default_rng([seed, 23, meter.index])
    n = clock.steps
    noise = 1.0 + ar1(rng, (n,), 0.7, meter.noise * (0.7 + difficulty))
    idle = meter.rated_kw * meter.idle_frac * np.abs(1.0 + 2.0 * ar1(rng, (n,), 0.5, 0.1))
    base = meter.rated_kw * meter.utilisation
    if meter.role == "production":
        share = _duty_share(rng, n, meter.duty)
        on_kw = base * (0.45 + 0.55 * sched.load) * sched.output * noise
        part = base * 0.12 * sched.output * noise
        kw = np.where(sched.run, share * on_kw + (1.0 - share) * part, idle)
    else:
        tf = sched.treat_factor[meter.meter_id]
        on = sched.treat_on & (tf > 0)
        on_kw = base * (0.72 + 0.28 * sched.load) * tf * noise
        kw = np.where(on, on_kw, idle)
    kw = np.maximum(kw, 0.0)
    steps = np.arange(n, dtype=np.int64)
    group = meter.interval_min // clock.step_min
    if group > 1:
        kw = kw.reshape(-1, group).mean(axis=1)
        steps = steps[::group]
    keep = rng.random(kw.size) > 0.005 * difficulty
    if rng.random() < 0.4 * difficulty:
        length = int(rng.uniform(1, 6) * 60 / meter.interval_min)
        a = int(rng.integers(0, max(1, kw.size - length)))
        lo, hi = int(steps[a]), int(steps[min(kw.size - 1, a + length)])
        if all(hi <= pa or lo >= pb for pa, pb in protected):
            keep[a : a + length] = False
    if meter.role == "treatment" and outage_rate > 0:
        running = np.flatnonzero(sched.treat_on[steps])
        for _ in range(int(rng.poisson(outage_rate * clock.days / 100.0))):
            if running.size == 0:
                break
            length = int(rng.uniform(4, 16) * 60 / meter.interval_min)
            a = int(running[int(rng.integers(running.size))])
            lo, hi = int(steps[a]), int(steps[min(kw.size - 1, a + length)])
            if all(hi <= pa or lo >= pb for pa, pb in protected):
                keep[a : a + length] = False
    for pa, pb in protected:
        keep[(steps >= pa) & (steps < pb)] = True
    decimals = 1 if meter.rated_kw >= 20 else 2
    return MeterSeries(
        meter, steps[keep], np.asarray(np.round(kw[keep], decimals), dtype=np.float64)
    )


def line_power(
    line: Line,
    sched: LineSchedule,
    clock: Clock,
    seed: int,
    protected: list[tuple[int, int]],
    difficulty: float = 0.3,
    outage_rate: float = 0.0,
) -> Iterator[MeterSeries]:
    """The series of every meter of a line."""
    for meter in line.meters:
        yield meter_series(meter, line, sched, clock, seed, protected, difficulty, outage_rate)
