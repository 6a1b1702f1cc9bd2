"""Operating schedule of a production line at the base power interval.

A line's schedule says, for every interval, whether production runs (``run``), at which load,
with which output factor (emergency limits), and whether its treatment equipment runs. It is
recomputed on demand from the line's own random stream, so that planning and writing see
exactly the same schedule without keeping it in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from lantian.demo.noise import F64, ar1, runs
from lantian.demo.registry import Line
from lantian.demo.weather import AlertWindow

B = NDArray[np.bool_]

CONTINUOUS_KINDS = ("continuous", "grid", "heating")


@dataclass
class LineMods:
    """Changes injected into a line's schedule by incidents (windows in base steps)."""

    produce: list[tuple[int, int]] = field(default_factory=list)
    """Production runs as its normal schedule in spite of an alert's stop measure."""
    output: list[tuple[int, int, float]] = field(default_factory=list)
    """Output factor forced (an alert's limit measure ignored)."""
    treatment: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)
    """Per treatment meter id: windows with a power factor (≈0 = off, 0.2-0.6 = derated)."""


@dataclass
class LineSchedule:
    """The schedule of one line (arrays over base steps)."""

    run: B
    normal_run: B
    """Production as it would be without any alert measure."""
    load: F64
    output: F64
    treat_on: B
    treat_factor: dict[str, F64]
    planned: list[tuple[int, int]]
    """Planned shutdowns (检修), steps."""
    compliance: dict[str, tuple[str, int, int, float]]
    """Per alert id: (action, start step, end step, output factor) as the line complies."""


@dataclass(frozen=True)
class Clock:
    """The base time grid."""

    start: date
    days: int
    step_min: int

    @property
    def per_hour(self) -> int:
        """Steps per hour."""
        return 60 // self.step_min

    @property
    def steps(self) -> int:
        """Number of steps."""
        return self.days * 24 * self.per_hour

    def hour_of_day(self) -> NDArray[np.int64]:
        """Hour of day of every step."""
        return (np.arange(self.steps) // self.per_hour) % 24

    def weekday_of_day(self, day: int) -> int:
        """Weekday (Monday = 0) of a day index."""
        return (self.start.weekday() + day) % 7


def _dilate(run: B, before: int, after: int) -> B:
    """``out[t]`` = any(run[t - after .. t + before]) (treatment leads and trails production).

    The state before the period and after it is taken as the first and last state.
    """
    pad = max(abs(before), abs(after)) + 1
    padded = np.concatenate((np.full(pad, run[0]), run, np.full(pad, run[-1])))
    return _dilate_raw(padded, before, after)[pad:-pad]


def _dilate_raw(run: B, before: int, after: int) -> B:
    n = run.size
    cs = np.concatenate(([0], np.cumsum(run.astype(np.int64))))
    idx = np.arange(n)
    hi = np.clip(idx + before + 1, 0, n)
    lo = np.clip(idx - after, 0, n)
    return np.asarray((hi > lo) & ((cs[hi] - cs[lo]) > 0))


def _shift_run(clock: Clock, rng: np.random.Generator, kind: str) -> B:
    s = clock.per_hour
    run = np.zeros(clock.steps, dtype=bool)
    sunday_off = rng.random() < 0.6
    saturday_on = rng.random() < 0.4
    base_start = float(rng.choice([7.5, 8.0, 8.0, 8.5]))
    for day in range(clock.days):
        wd = clock.weekday_of_day(day)
        d0 = day * 24 * s
        jitter = rng.integers(-2, 3) * 5 / 60
        if kind == "peaking":
            a = rng.uniform(6.0, 7.5)
            b = rng.uniform(21.5, 23.75)
            run[d0 + int(a * s) : d0 + int(b * s)] = True
        elif kind == "two_shift":
            if wd == 6 and sunday_off:
                continue
            a = base_start - 0.5 + jitter
            b = 23.5 + rng.integers(0, 7) * 5 / 60
            run[d0 + int(a * s) : min(d0 + 24 * s, d0 + int(b * s))] = True
        else:  # day_shift
            if wd == 6 or (wd == 5 and not saturday_on):
                continue
            a = base_start + jitter
            run[d0 + int(a * s) : d0 + 12 * s] = True
            c = 13.0 + rng.integers(-1, 2) * 5 / 60
            b = rng.uniform(17.25, 18.5)
            run[d0 + int(c * s) : d0 + int(b * s)] = True
    return run


def _load(clock: Clock, rng: np.random.Generator, kind: str) -> F64:
    hod = clock.hour_of_day() + (np.arange(clock.steps) % clock.per_hour) / clock.per_hour
    slow = ar1(rng, (clock.steps,), 0.995**clock.step_min, 0.04)
    fast = ar1(rng, (clock.steps,), 0.6, 0.02)
    if kind == "grid":
        shape = 0.5 * (np.exp(-(((hod - 11) / 2.5) ** 2)) + np.exp(-(((hod - 19.5) / 2.0) ** 2)))
        level = 0.68 + 0.28 * shape - 0.06 * np.exp(-(((hod - 3.5) / 2.0) ** 2))
    elif kind == "heating":
        level = 0.82 + 0.1 * np.cos((hod - 5) / 24 * 2 * np.pi)
    elif kind == "continuous":
        level = np.full(clock.steps, float(rng.uniform(0.86, 0.95)))
    else:
        level = 0.88 - 0.08 * np.exp(-(((hod - 12.5) / 1.0) ** 2))
    return np.asarray(np.clip(level + slow + fast, 0.45, 1.08))


def line_schedule(
    line: Line,
    clock: Clock,
    alerts: list[AlertWindow],
    seed: int,
    mods: LineMods | None = None,
) -> LineSchedule:
    """The schedule of ``line``; deterministic for (line index, seed) and the same mods.

    Production schedules follow the kind of plant: 24 h for continuous processes, grid
    load-following for coal units, daily start/stop for peaking gas turbines, two shifts or day
    shifts with weekends for printing, coating and furniture; planned shutdowns (检修) occur.
    Treatment starts a few minutes before production (some lines a few minutes after: a
    benign start-up lag) and stops a few minutes after it. Lines with an emergency measure
    comply with it during alerts unless ``mods`` say otherwise.

    References
    ----------
    .. [1] 环办大气函〔2020〕340号 (emergency measures: stop or limit per line and alert level).
    """
    rng = np.random.default_rng([seed, 11, line.index, sum(map(ord, line.line_id))])
    s = clock.per_hour
    n = clock.steps
    kind = line.schedule
    run = np.ones(n, dtype=bool) if kind in CONTINUOUS_KINDS else _shift_run(clock, rng, kind)
    load = _load(clock, rng, kind)
    planned: list[tuple[int, int]] = []
    p_shutdown = min(0.6, 0.018 * clock.days) if kind != "day_shift" else 0.1
    if rng.random() < p_shutdown and clock.days >= 2:
        dur_h = float(rng.uniform(12, min(96, clock.days * 24 * 0.4)))
        dur = max(s, int(dur_h * s))
        a = int(rng.integers(0, max(1, n - dur)))
        a -= a % max(1, s // 4)
        planned.append((a, a + dur))
        run[a : a + dur] = False
    # Warm-up after every start of a continuous process.
    if kind in CONTINUOUS_KINDS:
        ramp_steps = int(rng.uniform(2, 8) * s)
        for a, _b in runs(run):
            if a == 0:
                continue
            k = np.arange(min(ramp_steps, n - a))
            load[a : a + k.size] *= 0.35 + 0.65 * k / max(1, ramp_steps)
    else:
        for a, _b in runs(run):
            if a + 1 < n:
                load[a] *= 0.5
    normal_run = run.copy()
    output = np.ones(n)
    compliance: dict[str, tuple[str, int, int, float]] = {}
    for al in alerts:
        measure = line.measures.get(al.level)
        delay = int(np.ceil(rng.uniform(5, 55) / clock.step_min))
        restart = int(rng.uniform(0, 3) * s) if kind in CONTINUOUS_KINDS else 0
        factor = float(rng.uniform(0.8, 0.95))
        over_comply = rng.random() < 0.15
        if measure is None:
            continue
        action, pct = measure
        a0, a1 = al.start * s, al.end * s
        if action == "stop" or over_comply:
            run[a0 + delay : min(n, a1 + restart)] = False
            compliance[al.alert_id] = ("stop", a0 + delay, a1, 0.0)
        else:
            f = (1 - (pct or 0) / 100) * factor
            output[a0 + delay : a1] = f
            compliance[al.alert_id] = ("limit", a0 + delay, a1, f)
    lead = int(np.ceil(rng.uniform(5, 15) / clock.step_min))
    tail = int(np.ceil(rng.uniform(5, 25) / clock.step_min))
    lag = int(np.ceil(rng.uniform(5, 15) / clock.step_min))
    treat_factor: dict[str, F64] = {}
    mods = mods or LineMods()
    for a, b in mods.produce:
        run[a:b] = normal_run[a:b]
    for a, b, f in mods.output:
        output[a:b] = f
    if line.treatment_lag:
        treat_on = _dilate(run, -lag, max(tail, lag + 1))
    else:
        treat_on = _dilate(run, lead, tail)
    for m in line.treatment:
        tf = np.ones(n)
        for a, b, f in mods.treatment.get(m.meter_id, []):
            tf[a:b] = f
        treat_factor[m.meter_id] = tf
    return LineSchedule(run, normal_run, load, output, treat_on, treat_factor, planned, compliance)


@dataclass
class HourlyState:
    """Hourly summary of a line's schedule, what the CEMS simulator needs."""

    producing: F64
    """Share of the hour with production running."""
    load: F64
    output: F64
    loss: dict[str, F64]
    """Per pollutant key: share of the hour its treatment was off or derated (0..1)."""
    planned: list[tuple[int, int]]
    """Planned shutdowns, hours."""


def hourly_state(line: Line, sched: LineSchedule, clock: Clock) -> HourlyState:
    """Aggregate a schedule to hours."""
    s = clock.per_hour
    h = clock.days * 24
    run = sched.run.reshape(h, s)
    producing = run.mean(axis=1)
    cnt = np.maximum(run.sum(axis=1), 1)
    load = (sched.load.reshape(h, s) * run).sum(axis=1) / cnt
    output = (sched.output.reshape(h, s) * run).sum(axis=1) / cnt
    loss: dict[str, F64] = {}
    for m in line.treatment:
        if m.effect is None:
            continue
        off = (1.0 - sched.treat_factor[m.meter_id]) * sched.run
        val = off.reshape(h, s).mean(axis=1)
        loss[m.effect] = np.maximum(loss.get(m.effect, np.zeros(h)), val)
    planned = [(a // s, -(-b // s)) for a, b in sched.planned]
    return HourlyState(producing, load, output, loss, planned)
