"""Plan the injected incidents of every lead family, and the labels (answer key) they produce.

Incidents are placed only where their definition holds (e.g. CEMS incidents while the line
produces all hour long), never two on the same line at once, and with varied magnitudes and
durations, including subtle ones near the operational thresholds. Windows whose truth is
genuinely unclear become ``ignore`` labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lantian.demo.noise import runs
from lantian.demo.registry import Line, Outlet, Registry
from lantian.demo.schedule import Clock, HourlyState, LineMods, hourly_state, line_schedule
from lantian.demo.weather import Weather

POLLUTANT_CODES = {"pm": "a34013", "so2": "a21026", "nox": "a21002", "o2": "a19001"}
"""Simulator pollutant keys → HJ 212-2017 codes."""

# Expected incidents per 100 outlet-days (CEMS) and per 100 line-days (power).
CEMS_RATES = {
    "EXCEEDANCE": 1.2,
    "FLATLINE": 0.8,
    "PINNED": 0.45,
    "O2_ABNORMAL": 0.7,
    "MISSING": 0.8,
    "FLAG_ABUSE": 0.8,
    "CLONED": 0.25,
}
POWER_RATES = {"TREATMENT_OFF": 1.1, "TREATMENT_LOW": 0.7}
VIOLATION_SHARE = 0.12
"""Share of lines with a measure (and normally producing during an alert) that violate it."""


@dataclass
class Label:
    """One answer-key line; times are minutes from the period start (end exclusive)."""

    family: str
    enterprise_id: str | None
    subject_type: str
    subject_id: str
    pollutant: str | None
    start_min: int
    end_min: int
    extra: dict[str, Any] = field(default_factory=dict)
    ignore: bool = False


@dataclass
class CemsIncident:
    """An incident to inject into one outlet's hourly CEMS data (hours, end exclusive)."""

    family: str
    outlet_id: str
    start: int
    end: int
    pollutant: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """Everything the series generators need to inject, plus the labels known at planning."""

    mods: dict[str, LineMods]
    cems: dict[str, list[CemsIncident]]
    clone_sources: set[str]
    labels: list[Label]
    hourly: dict[str, HourlyState]
    busy: dict[str, list[tuple[int, int]]]
    """Per line: hours reserved by incidents (benign look-alikes avoid them)."""


class _Calendar:
    def __init__(self) -> None:
        self.busy: dict[str, list[tuple[int, int]]] = {}

    def free(self, key: str, a: int, b: int, margin: int = 2) -> bool:
        return all(b + margin <= x or a >= y + margin for x, y in self.busy.get(key, []))

    def take(self, key: str, a: int, b: int) -> None:
        self.busy.setdefault(key, []).append((a, b))


def _count(rate_per_100: float, units: float, scale: float, rng: np.random.Generator) -> int:
    lam = rate_per_100 * units / 100.0 * scale
    return max(1 if scale > 0 else 0, int(rng.poisson(lam)))


def _find_window(
    rng: np.random.Generator,
    ok: np.ndarray[Any, np.dtype[np.bool_]],
    length: int,
    tries: int = 30,
) -> int | None:
    """A start hour where ``ok`` holds for ``length`` hours (random among candidates)."""
    n = ok.size
    if length > n:
        return None
    cs = np.concatenate(([0], np.cumsum(ok.astype(np.int64))))
    starts = np.flatnonzero(cs[length:] - cs[: n - length + 1] == length)
    if starts.size == 0:
        return None
    _ = tries
    return int(starts[int(rng.integers(starts.size))])


def plan_incidents(
    reg: Registry,
    clock: Clock,
    weather: Weather,
    seed: int,
    rng: np.random.Generator,
    scale: float = 1.0,
    difficulty: float = 0.3,
    analyser_failures: float = 0.0,
    borderline: float = 0.0,
) -> Plan:
    """Choose and parameterise the incidents of every family.

    ``difficulty`` (0..1) sets the share of subtle incidents, near the thresholds of the
    operational definitions (e.g. exceedances of a few per cent, 30-45 min treatment stops).
    ``analyser_failures`` (per 100 outlet-days) adds MISSING incidents of one pollutant;
    ``borderline`` (0..1) is the share of TREATMENT_LOW incidents near the threshold. Both
    draw nothing from ``rng`` when 0, so the classic presets stay as they were.
    """
    subtle_p = 0.1 + 0.5 * difficulty
    s = clock.per_hour
    hours = clock.days * 24
    lines = reg.lines
    by_line = {ln.line_id: ln for ln in lines}
    hourly: dict[str, HourlyState] = {}
    compliance: dict[str, dict[str, tuple[str, int, int, float]]] = {}
    normal_run: dict[str, np.ndarray[Any, np.dtype[np.bool_]]] = {}
    for ln in lines:
        sched = line_schedule(ln, clock, weather.alerts, seed)
        hourly[ln.line_id] = hourly_state(ln, sched, clock)
        if sched.compliance:
            compliance[ln.line_id] = sched.compliance
            normal_run[ln.line_id] = sched.normal_run
    cal = _Calendar()
    mods: dict[str, LineMods] = {}
    labels: list[Label] = []
    alerts = {a.alert_id: a for a in weather.alerts}

    # EMERGENCY_VIOLATION ---------------------------------------------------------------
    cands = []
    for line_id, comp in compliance.items():
        for alert_id, (action, a0, a1, f) in comp.items():
            if normal_run[line_id][a0:a1].sum() >= 3 * s:
                cands.append((line_id, alert_id, action, a0, a1, f))
    order = rng.permutation(len(cands))
    n_viol = min(len(cands), _count(VIOLATION_SHARE * 100, len(cands), scale, rng))
    used: set[str] = set()
    for k in order:
        if n_viol <= 0:
            break
        line_id, alert_id, action, a0, a1, _f = cands[int(k)]
        if line_id in used:
            continue
        ln = by_line[line_id]
        measure = ln.measures[alerts[alert_id].level]
        allowance = 0.0 if measure[0] == "stop" else 1 - (measure[1] or 0) / 100
        span = a1 - a0
        if rng.random() < 0.45 or span < 6 * s:
            w0, w1 = a0, a1
        else:
            length = int(rng.uniform(3, max(3.5, span / s * 0.7)) * s)
            w0 = a0 + int(rng.integers(0, max(1, span - length)))
            w1 = min(a1, w0 + length)
        m = mods.setdefault(line_id, LineMods())
        ambiguous = False
        if action == "stop":
            m.produce.append((w0, w1))
        factor = 1.0
        if measure[0] == "limit":
            factor = min(1.0, allowance * float(rng.uniform(1.3, 1.8)))
            ambiguous = factor < allowance * 1.3
        m.output.append((w0, w1, factor))
        mask = np.zeros(clock.steps, dtype=bool)
        mask[w0:w1] = normal_run[line_id][w0:w1]
        for ra, rb in runs(mask):
            lab = Label(
                "EMERGENCY_VIOLATION",
                ln.enterprise_id,
                "line",
                line_id,
                None,
                ra * clock.step_min,
                rb * clock.step_min,
                {
                    "alert_id": alert_id,
                    "action": measure[0],
                    "limit_pct": measure[1],
                    "output_share": round(factor, 3),
                },
                ignore=ambiguous or (rb - ra) < 2 * s,
            )
            labels.append(lab)
        cal.take(line_id, w0 // s, -(-w1 // s))
        used.add(line_id)
        n_viol -= 1

    # TREATMENT_OFF / TREATMENT_LOW --------------------------------------------------------
    line_days = len(lines) * clock.days
    treat_lines = [ln for ln in lines if ln.treatment]
    for family in ("TREATMENT_OFF", "TREATMENT_LOW"):
        n = _count(POWER_RATES[family], line_days, scale, rng)
        for _ in range(n * 4):
            if n <= 0 or not treat_lines:
                break
            ln = treat_lines[int(rng.integers(len(treat_lines)))]
            hs = hourly[ln.line_id]
            border = family == "TREATMENT_LOW" and borderline > 0 and rng.random() < borderline
            if border:
                dur_min = float(rng.uniform(120, 180))
            elif family == "TREATMENT_OFF":
                dur_min = (
                    float(rng.uniform(30, 45))
                    if rng.random() < subtle_p
                    else float(rng.uniform(45, 300))
                )
            else:
                dur_min = float(rng.uniform(120, 600))
            dur = int(np.ceil(dur_min / clock.step_min))
            need_h = -(-dur // s) + 1
            ok = (hs.producing >= 1.0) & (hs.output >= 0.999)
            h0 = _find_window(rng, ok, need_h)
            if h0 is None or not cal.free(ln.line_id, h0, h0 + need_h):
                continue
            a = h0 * s + int(rng.integers(0, s))
            b = min(a + dur, (h0 + need_h) * s)
            treats = ln.treatment
            chosen = (
                treats
                if rng.random() < 0.4 or len(treats) == 1
                else [treats[int(rng.integers(len(treats)))]]
            )
            # Align to the coarsest interval of the chosen meters (15-minute meters).
            g = max(t.interval_min for t in chosen) // clock.step_min
            a -= a % g
            b = a + -(-(b - a) // g) * g
            m = mods.setdefault(ln.line_id, LineMods())
            extra: dict[str, Any] = {"meters": [t.meter_id for t in chosen]}
            ignore = False
            if family == "TREATMENT_OFF":
                factor = 0.0
            elif border:
                factor = float(rng.uniform(0.4, 0.58))
                extra["share_of_normal"] = round(factor, 3)
                extra["borderline"] = True
            else:
                if rng.random() < 0.2:
                    factor = float(rng.uniform(0.6, 0.7))
                    ignore = True
                else:
                    factor = float(rng.uniform(0.2, 0.5))
                extra["share_of_normal"] = round(factor, 3)
            for t in chosen:
                m.treatment.setdefault(t.meter_id, []).append((a, b, factor))
            labels.append(
                Label(
                    family,
                    ln.enterprise_id,
                    "line",
                    ln.line_id,
                    None,
                    a * clock.step_min,
                    b * clock.step_min,
                    extra,
                    ignore,
                )
            )
            cal.take(ln.line_id, h0, h0 + need_h)
            n -= 1

    for line_id, m in mods.items():
        sched = line_schedule(by_line[line_id], clock, weather.alerts, seed, m)
        hourly[line_id] = hourly_state(by_line[line_id], sched, clock)

    # CEMS incidents ------------------------------------------------------------------------
    outlets = reg.outlets
    cems: dict[str, list[CemsIncident]] = {}
    outlet_days = len(outlets) * clock.days
    clone_sources: set[str] = set()

    def producing_ok(o: Outlet) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return np.asarray(hourly[o.line_id].producing >= 1.0)

    def place(o: Outlet, length: int) -> int | None:
        ok = producing_ok(o).copy()
        for a, b in cal.busy.get(o.line_id, []):
            ok[max(0, a - 2) : b + 2] = False
        # Keep clear of each outlet's daily calibration hour only for FLATLINE/PINNED/O2.
        return _find_window(rng, ok, length)

    for family, rate in CEMS_RATES.items():
        n = _count(rate, outlet_days, scale, rng)
        if family == "CLONED":
            n = min(n, max(1, len(outlets) // 4))
        tries = 0
        while n > 0 and tries < 60 * max(1, n) and outlets:
            tries += 1
            o = outlets[int(rng.integers(len(outlets)))]
            if family in ("MISSING", "FLAG_ABUSE") and o.registry_line_id is None:
                continue
            inc = _cems_incident(rng, family, o, hours, subtle_p)
            if inc is None:
                continue
            if family == "CLONED":
                others = [
                    p
                    for p in outlets
                    if p.enterprise_id != o.enterprise_id
                    and p.o2_ref_pct == o.o2_ref_pct
                    and p.pollutants == o.pollutants
                    and p.line_id != o.line_id
                ]
                if not others:
                    continue
                p = others[int(rng.integers(len(others)))]
                src, dst = (o, p) if o.index < p.index else (p, o)
                length = inc.end - inc.start
                ok = producing_ok(src) & producing_ok(dst)
                for key in (src.line_id, dst.line_id):
                    for a, b in cal.busy.get(key, []):
                        ok[max(0, a - 2) : b + 2] = False
                h0 = _find_window(rng, ok, length)
                if h0 is None:
                    continue
                inc = CemsIncident(
                    "CLONED", dst.outlet_id, h0, h0 + length, None, {"source": src.outlet_id}
                )
                cems.setdefault(dst.outlet_id, []).append(inc)
                clone_sources.add(src.outlet_id)
                cal.take(src.line_id, h0, h0 + length)
                cal.take(dst.line_id, h0, h0 + length)
                labels.append(
                    Label(
                        "CLONED",
                        dst.enterprise_id,
                        "outlet",
                        dst.outlet_id,
                        None,
                        h0 * 60,
                        (h0 + length) * 60,
                        {
                            "other_subject_id": src.outlet_id,
                            "other_enterprise_id": src.enterprise_id,
                        },
                    )
                )
                n -= 1
                continue
            length = inc.end - inc.start
            h0 = place(o, length)
            if h0 is None:
                continue
            inc.start, inc.end = h0, h0 + length
            cems.setdefault(o.outlet_id, []).append(inc)
            cal.take(o.line_id, h0, h0 + length)
            if family != "EXCEEDANCE":  # exceedance labels come from the data (see cems.py)
                code = POLLUTANT_CODES.get(inc.pollutant or "")
                extra = {k: v for k, v in inc.params.items() if not k.startswith("_")}
                labels.append(
                    Label(
                        family,
                        o.enterprise_id,
                        "outlet",
                        o.outlet_id,
                        code,
                        h0 * 60,
                        (h0 + length) * 60,
                        extra,
                    )
                )
            n -= 1

    # One analyser failing (MISSING of one pollutant while the others report) ---------------
    n = _count(analyser_failures, outlet_days, scale, rng) if analyser_failures > 0 else 0
    tries = 0
    while n > 0 and tries < 60 * n and outlets:
        tries += 1
        o = outlets[int(rng.integers(len(outlets)))]
        pols = list(o.pollutants)
        if not pols or len(pols) + (o.o2_ref_pct is not None) < 2:
            continue  # a single analyser is the whole outlet: that is an outlet-wide outage
        pol = pols[int(rng.integers(len(pols)))]
        kind = ["absent", "flag_B", "flag_D"][int(rng.integers(3))]
        length = int(rng.uniform(4, 6) if rng.random() < subtle_p else rng.uniform(6, 30))
        length = max(4, min(length, hours - 2))
        h0 = place(o, length + 1)  # producing the hour before too (past the start-up grace)
        if h0 is None:
            continue
        h0 += 1
        inc = CemsIncident("MISSING", o.outlet_id, h0, h0 + length, pol, {"kind": kind})
        cems.setdefault(o.outlet_id, []).append(inc)
        cal.take(o.line_id, h0, h0 + length)
        labels.append(
            Label(
                "MISSING",
                o.enterprise_id,
                "outlet",
                o.outlet_id,
                POLLUTANT_CODES[pol],
                h0 * 60,
                (h0 + length) * 60,
                {"kind": kind, "analyser": True},
            )
        )
        n -= 1
    return Plan(mods, cems, clone_sources, labels, hourly, cal.busy)


def _cems_incident(
    rng: np.random.Generator, family: str, o: Outlet, hours: int, subtle_p: float = 0.25
) -> CemsIncident | None:
    """Draw the magnitude and duration of one CEMS incident (placed later)."""
    pols = list(o.pollutants)
    if not pols:
        return None

    def dur(lo: float, hi: float) -> int:
        return max(1, min(int(rng.uniform(lo, hi)), hours - 2))

    if family == "EXCEEDANCE":
        choices = [p for p in pols if not (o.kind.gas_fired and p == "so2")]
        pol = choices[int(rng.integers(len(choices)))]
        subtle = rng.random() < subtle_p
        factor = float(rng.uniform(1.04, 1.12) if subtle else rng.uniform(1.15, 2.5))
        d = dur(2, 4) if rng.random() < subtle_p else dur(4, 30)
        return CemsIncident(family, o.outlet_id, 0, d, pol, {"factor": round(factor, 2)})
    if family == "FLATLINE":
        pol = pols[int(rng.integers(len(pols)))]
        d = dur(6, 8) if rng.random() < subtle_p else dur(8, 40)
        return CemsIncident(family, o.outlet_id, 0, d, pol, {})
    if family == "PINNED":
        choices = [p for p in pols if not (o.kind.gas_fired and p == "so2")]
        pol = choices[int(rng.integers(len(choices)))]
        d = dur(min(24, hours * 0.3), min(96, hours * 0.6))
        return CemsIncident(
            family,
            o.outlet_id,
            0,
            d,
            pol,
            {
                "level": round(float(rng.uniform(0.9, 0.985)), 3),
                "cv": round(float(rng.uniform(0.004, 0.015)), 4),
                "limit": o.limits[pol],
            },
        )
    if family == "O2_ABNORMAL":
        if o.o2_ref_pct is None:
            return None
        subtle = rng.random() < subtle_p
        target = float(rng.uniform(19.05, 19.35) if subtle else rng.uniform(19.3, 20.4))
        return CemsIncident(
            family,
            o.outlet_id,
            0,
            dur(4, 16),
            "o2",
            {"o2_mean": round(target, 2), "_dilution": float(rng.uniform(0.6, 0.95))},
        )
    if family == "MISSING":
        kind = ["absent", "flag_B", "flag_D"][int(rng.integers(3))]
        d = dur(4, 6) if rng.random() < subtle_p else dur(6, 24)
        return CemsIncident(family, o.outlet_id, 0, d, None, {"kind": kind})
    if family == "FLAG_ABUSE":
        flag = "F" if rng.random() < 0.5 else "M"
        d = dur(3, 4) if rng.random() < subtle_p else dur(4, 20)
        return CemsIncident(
            family,
            o.outlet_id,
            0,
            d,
            None,
            {"flag": flag, "_excess": float(rng.uniform(1.0, 1.6))},
        )
    if family == "CLONED":
        return CemsIncident(family, o.outlet_id, 0, dur(12, 48), None, {})
    raise ValueError(family)


def line_of(reg: Registry) -> dict[str, Line]:
    """Line id → line."""
    return {ln.line_id: ln for ln in reg.lines}
