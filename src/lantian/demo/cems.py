"""Hourly CEMS data of one outlet (HJ 75/76-2017 hourly means, HJ 212-2017 flags).

The simulator first draws the corrected (折算) concentration the plant emits, then the
measured O2, derives the measured concentration, rounds it to the data logger's precision
and reports ``zs_value`` computed from the rounded values, so that the bundle satisfies
``C_ref = C_meas × (21 − O2_ref) / (21 − O2_meas)`` up to rounding.

References
----------
.. [1] HJ 75-2017, 固定污染源烟气排放连续监测技术规范, formula chain of Appendix A.
.. [2] GB 13223-2011, §5.2 (reference-O2 conversion).
.. [3] HJ 212-2017, data flags N, F, M, S, D, C, T, B.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lantian.demo.incidents import POLLUTANT_CODES, CemsIncident, Label
from lantian.demo.noise import F64, ar1, runs
from lantian.demo.registry import Outlet
from lantian.demo.schedule import HourlyState

EXTRA_CODES = ("a00000", "a01012", "a01014", "a01011")
"""Flow (m³/h), flue temperature (°C), humidity (%), velocity (m/s)."""
TREATMENT_RISE = {"pm": 7.0, "so2": 4.0, "nox": 2.5}
"""Factor by which a pollutant rises when its treatment is fully off."""
FLAG_CODES = {c: i for i, c in enumerate("NFMSDCTB")}
FLAGS = "NFMSDCTB"


def corrected(value: F64, o2: F64, o2_ref: float) -> F64:
    """折算浓度: ``C_ref = C_meas × (21 − O2_ref) / (21 − O2_meas)`` (mg/m³, O2 in % vol, dry).

    References
    ----------
    .. [1] HJ 75-2017 Appendix A; GB 13223-2011 §5.2.
    """
    return np.asarray(value * (21.0 - o2_ref) / (21.0 - np.minimum(o2, 20.9)))


def _round(x: F64, decimals: int) -> F64:
    return np.asarray(np.round(x + 0.0, decimals))


def _softcap(x: F64, limit: float) -> F64:
    knee, room = 0.85 * limit, 0.1 * limit
    return np.asarray(np.where(x > knee, knee + room * np.tanh((x - knee) / room), x))


@dataclass
class OutletData:
    """Hourly rows of one outlet, pollutant-major arrays over hours."""

    codes: list[str]
    value: F64
    """(K, H) values (NaN = empty)."""
    zs: F64
    """(K, H) corrected values (NaN = empty)."""
    flag: NDArray[np.int8]
    """(K, H) flag indices into ``FLAGS``."""
    present: NDArray[np.bool_]
    """(H,) hour reported at all."""
    labels: list[Label] = field(default_factory=list)
    dropped: NDArray[np.bool_] | None = None
    """(K, H) rows of one pollutant left out although the hour is reported (a failed
    analyser); None = none."""


def simulate_outlet(
    o: Outlet,
    hs: HourlyState,
    incidents: list[CemsIncident],
    seed: int,
    clone_from: dict[str, OutletData],
    difficulty: float = 0.3,
) -> OutletData:
    """All hourly rows of one outlet, with incidents injected and the labels the data implies."""
    rng = np.random.default_rng([seed, 31, o.index])
    h = hs.producing.size
    p = hs.producing
    load = np.where(p > 0, hs.load, 0.0)
    valid = p >= 0.75
    ref = o.o2_ref_pct
    inc_mask = np.zeros(h, dtype=bool)
    for inc in incidents:
        inc_mask[inc.start : inc.end] = True

    # Flags of the hour (before calibration): stopped hours F, maintenance, comm faults.
    base_flag = np.where(valid, FLAG_CODES["N"], FLAG_CODES["F"]).astype(np.int8)
    present = np.ones(h, dtype=bool)
    if rng.random() < 0.2:
        present[~valid] = False  # this logger sends nothing while the plant is stopped
    for a, b in hs.planned:
        if rng.random() < 0.6:
            k = int(rng.integers(2, 9))
            base_flag[a : min(b, a + k)] = FLAG_CODES["M"]
            present[a : min(b, a + k)] = True
    stopped_runs = [(a, b) for a, b in runs(~valid & ~inc_mask) if b - a >= 2]
    if stopped_runs and rng.random() < 0.35:
        a, b = stopped_runs[int(rng.integers(len(stopped_runs)))]
        k = int(rng.integers(1, min(6, b - a) + 1))
        s0 = a + int(rng.integers(0, b - a - k + 1))
        base_flag[s0 : s0 + k] = FLAG_CODES["B"]
        present[s0 : s0 + k] = True
    # Short gaps (1-3 h) and short instrument faults (D, 1-2 h): benign look-alikes.
    for _ in range(int(rng.poisson(h / 24 * 0.06 * (0.4 + 2 * difficulty)))):
        k = int(rng.integers(1, 4))
        s0 = int(rng.integers(0, max(1, h - k)))
        if not inc_mask[max(0, s0 - 2) : s0 + k + 2].any():
            present[s0 : s0 + k] = False
    if rng.random() < 0.15 * (0.4 + 2 * difficulty):
        k = int(rng.integers(1, 3))
        s0 = int(rng.integers(0, max(1, h - k)))
        if valid[s0 : s0 + k].all() and not inc_mask[max(0, s0 - 2) : s0 + k + 2].any():
            base_flag[s0 : s0 + k] = FLAG_CODES["D"]

    # O2 while producing.
    o2_run = o.o2_normal + ar1(rng, (h,), 0.8, 0.3) + 1.2 * (1.0 - np.clip(load, 0, 1))
    o2_run = np.clip(o2_run, o.o2_normal - 1.5, 18.6)
    o2_stop = rng.uniform(20.5, 20.9, h)
    dilution = np.ones(h)
    for inc in incidents:
        if inc.family == "O2_ABNORMAL":
            sl = slice(inc.start, inc.end)
            o2_run[sl] = np.clip(
                inc.params["o2_mean"] + rng.normal(0, 0.15, inc.end - inc.start), 19.0, 20.7
            )
            dilution[sl] = inc.params["_dilution"]
    o2 = _round(np.where(p > 0, p * o2_run + (1 - p) * o2_stop, o2_stop), 2)

    codes: list[str] = []
    values: list[F64] = []
    flags: list[NDArray[np.int8]] = []
    limits: list[float | None] = []
    keys: list[str] = []
    for key in o.pollutants:
        limit = float(o.limits[key] or 0.0)
        level = o.levels[key]
        if o.kind.gas_fired and key in ("so2", "pm"):
            mu = max(0.2, level * limit)
            zs_true = np.abs(rng.normal(mu, 0.45 * mu + 0.25, h))
        else:
            zs_true = (
                level
                * limit
                * np.exp(ar1(rng, (h,), 0.85, 0.16 * (0.7 + difficulty)))
                * (0.8 + 0.2 * load)
            )
            zs_true = _softcap(zs_true, limit)
        rise = hs.loss.get(key)
        if rise is not None:
            zs_true = zs_true * (1.0 + rise * (TREATMENT_RISE[key] - 1.0))
        for inc in incidents:
            sl = slice(inc.start, inc.end)
            n_h = inc.end - inc.start
            if inc.family == "EXCEEDANCE" and inc.pollutant == key:
                f = inc.params["factor"] * np.exp(rng.normal(0, 0.04, n_h))
                zs_true[sl] = limit * np.maximum(f, 1.02)
            elif inc.family == "PINNED" and inc.pollutant == key:
                lv = inc.params["level"] * (1 + rng.normal(0, inc.params["cv"], n_h))
                zs_true[sl] = limit * np.minimum(lv, 0.995)
            elif inc.family == "FLAG_ABUSE":
                zs_true[sl] *= inc.params["_excess"]
        if ref is not None:
            meas_run = zs_true * (21.0 - o2_run) / (21.0 - ref) * dilution
        else:
            meas_run = zs_true
        bg = rng.uniform(0.0, {"pm": 0.4, "so2": 1.5, "nox": 2.5}[key], h)
        meas = np.where(p > 0, p * meas_run + (1 - p) * bg, bg)
        prec = o.precision[key]
        value = _round(meas, prec)
        flag = base_flag.copy()
        for inc in incidents:
            if inc.family == "FLATLINE" and inc.pollutant == key:
                value[inc.start : inc.end] = value[inc.start]
        codes.append(POLLUTANT_CODES[key])
        values.append(value)
        flags.append(flag)
        limits.append(limit)
        keys.append(key)

    # Daily calibration (zero or span gas) of the gas analysers; weekly zero check of PM.
    cal_hours = np.arange(o.calibration_hour, h, 24)
    cal_hours = cal_hours[~inc_mask[cal_hours] & present[cal_hours]]
    for i, key in enumerate(keys):
        if key == "pm":
            ch = cal_hours[(cal_hours // 24) % 7 == (o.index % 7)]
            values[i][ch] = _round(rng.uniform(0, 0.3, ch.size), o.precision[key])
        else:
            ch = cal_hours
            span = _nice_range(float(limits[i] or 10.0)) * rng.uniform(0.78, 0.82, ch.size)
            zero = rng.uniform(0, 0.6, ch.size)
            use_span = (ch // 24 + o.index) % 2 == 0
            values[i][ch] = _round(np.where(use_span, span, zero), o.precision[key])
        flags[i][ch] = FLAG_CODES["C"]

    # Incidents on flags / presence.
    dropped = np.zeros((len(keys), h), dtype=bool)
    for inc in incidents:
        sl = slice(inc.start, inc.end)
        if inc.family == "MISSING" and inc.pollutant is not None:  # one analyser fails
            i = keys.index(inc.pollutant)
            kind = inc.params["kind"]
            if kind == "absent":
                dropped[i, sl] = True
            else:
                flags[i][sl] = FLAG_CODES["B" if kind == "flag_B" else "D"]
                if kind == "flag_D":
                    values[i][sl] = 0.0
                else:
                    values[i][sl] = values[i][max(0, inc.start - 1)]
        elif inc.family == "MISSING":
            kind = inc.params["kind"]
            if kind == "absent":
                present[sl] = False
            else:
                for i in range(len(keys)):
                    flags[i][sl] = FLAG_CODES["B" if kind == "flag_B" else "D"]
                    if kind == "flag_D":
                        values[i][sl] = 0.0
                    else:
                        values[i][sl] = values[i][max(0, inc.start - 1)]
        elif inc.family == "FLAG_ABUSE":
            for i in range(len(keys)):
                flags[i][sl] = FLAG_CODES[inc.params["flag"]]

    hour_flag = base_flag.copy()
    for inc in incidents:
        if inc.family == "MISSING" and inc.pollutant is not None:
            continue  # one analyser: O2 and the flue parameters report as usual
        if inc.family == "MISSING" and inc.params["kind"] != "absent":
            hour_flag[inc.start : inc.end] = FLAG_CODES[
                "B" if inc.params["kind"] == "flag_B" else "D"
            ]
        elif inc.family == "FLAG_ABUSE":
            hour_flag[inc.start : inc.end] = FLAG_CODES[inc.params["flag"]]
    if ref is not None:
        codes.append(POLLUTANT_CODES["o2"])
        values.append(o2)
        flags.append(hour_flag.copy())
        limits.append(None)
        keys.append("o2")

    if o.extras:
        for code, series in zip(EXTRA_CODES, _extras(o, rng, p, load), strict=True):
            codes.append(code)
            values.append(series)
            flags.append(hour_flag.copy())
            limits.append(None)
            keys.append(code)

    if dropped.shape[0] < len(keys):  # O2 and flue parameters never drop on their own
        pad = np.zeros((len(keys) - dropped.shape[0], h), dtype=bool)
        dropped = np.vstack([dropped, pad])
    value_arr = np.vstack(values)
    flag_arr = np.vstack(flags).astype(np.int8)
    # CLONED: the outlet reports another outlet's series for the window.
    for inc in incidents:
        if inc.family == "CLONED":
            src = clone_from[inc.params["source"]]
            sl = slice(inc.start, inc.end)
            for i, code in enumerate(codes):
                if code in src.codes:
                    j = src.codes.index(code)
                    value_arr[i, sl] = src.value[j, sl]
                    flag_arr[i, sl] = src.flag[j, sl]
                    if src.dropped is not None:
                        dropped[i, sl] = src.dropped[j, sl]
            present[sl] = src.present[sl]

    zs_arr = np.full(value_arr.shape, np.nan)
    if ref is not None:
        o2_row = value_arr[keys.index("o2")]
        for i, key in enumerate(keys):
            if key in ("pm", "so2", "nox"):
                zs_arr[i] = _round(corrected(value_arr[i], o2_row, ref), o.precision[key])
    data = OutletData(codes, value_arr, zs_arr, flag_arr, present, dropped=dropped)
    data.labels = _scan_labels(o, data, keys, limits, hs, incidents)
    return data


def _nice_range(limit: float) -> float:
    for r in (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if r >= 2.5 * limit:
            return float(r)
    return 10000.0


def _extras(o: Outlet, rng: np.random.Generator, p: F64, load: F64) -> tuple[F64, F64, F64, F64]:
    h = p.size
    flow_run = (
        o.flow_rated * (0.35 + 0.65 * np.clip(load, 0, 1.1)) * (1 + ar1(rng, (h,), 0.8, 0.03))
    )
    flow = np.where(p > 0, p * flow_run, 0) + rng.uniform(50, 800, h) * (1 - p)
    t_op = (rng.uniform(47, 54) if o.wet else rng.uniform(105, 150)) + ar1(rng, (h,), 0.8, 1.2)
    temp = p * t_op + (1 - p) * rng.uniform(8, 25, h)
    hum_op = (rng.uniform(11, 14) if o.wet else rng.uniform(5, 9)) + ar1(rng, (h,), 0.7, 0.3)
    hum = p * hum_op + (1 - p) * rng.uniform(1, 3, h)
    area = o.flow_rated / 3600.0 / rng.uniform(12, 18) * 1.4
    vel = flow / 3600.0 / area * (273.0 + temp) / 273.0 / (1 - hum / 100.0)
    return (_round(flow, 0), _round(temp, 1), _round(hum, 1), _round(vel, 2))


def _scan_labels(
    o: Outlet,
    d: OutletData,
    keys: list[str],
    limits: list[float | None],
    hs: HourlyState,
    incidents: list[CemsIncident],
) -> list[Label]:
    """Labels read off the final data: exceedances (whatever caused them) and ignore windows
    for natural look-alikes (constant runs, high O2) the generator did not inject."""
    out: list[Label] = []
    n_flag = d.flag == FLAG_CODES["N"]
    if d.dropped is not None:
        n_flag = n_flag & ~d.dropped
    producing = hs.producing >= 0.75
    injected = {(i.family, i.pollutant): i for i in incidents}
    for i, key in enumerate(keys):
        if key not in ("pm", "so2", "nox"):
            continue
        limit = limits[i]
        zs = d.zs[i] if o.o2_ref_pct is not None else d.value[i]
        if limit:
            over = d.present & n_flag[i] & (zs > limit)
            for a, b in runs(over):
                inc = injected.get(("EXCEEDANCE", key))
                cause = (
                    "injected"
                    if inc is not None and inc.start < b and a < inc.end
                    else "treatment"
                    if hs.loss.get(key) is not None and hs.loss[key][a:b].max() > 0
                    else "process"
                )
                out.append(
                    Label(
                        "EXCEEDANCE",
                        o.enterprise_id,
                        "outlet",
                        o.outlet_id,
                        POLLUTANT_CODES[key],
                        a * 60,
                        b * 60,
                        {
                            "factor": round(float(np.mean(zs[a:b]) / limit), 2),
                            "limit": limit,
                            "cause": cause,
                        },
                    )
                )
        # Natural constant runs >= 6 valid hours while producing (e.g. tiny gas-fired SO2);
        # hours that are not valid (calibration, stopped, absent) are skipped over.
        v = d.value[i]
        idx = np.flatnonzero(d.present & producing & n_flag[i])
        vv = v[idx]
        same = np.zeros(vv.size, dtype=bool)
        same[1:] = vv[1:] == vv[:-1]
        for ra, rb in runs(same):
            if rb - ra + 1 < 6:
                continue
            a, b = int(idx[ra - 1]), int(idx[rb - 1]) + 1
            inc = injected.get(("FLATLINE", key))
            if inc is not None and inc.start < b and a < inc.end:
                continue
            out.append(
                Label(
                    "FLATLINE",
                    o.enterprise_id,
                    "outlet",
                    o.outlet_id,
                    POLLUTANT_CODES[key],
                    a * 60,
                    b * 60,
                    {"value": float(v[a]), "natural": True},
                    ignore=True,
                )
            )
    if "o2" in keys:
        i = keys.index("o2")
        high = d.present & n_flag[i] & producing & (d.value[i] >= 19.0)
        inc = injected.get(("O2_ABNORMAL", "o2"))
        for a, b in runs(high):
            if inc is not None and inc.start < b and a < inc.end:
                continue
            if b - a >= 2:
                out.append(
                    Label(
                        "O2_ABNORMAL",
                        o.enterprise_id,
                        "outlet",
                        o.outlet_id,
                        "a19001",
                        a * 60,
                        b * 60,
                        {"natural": True},
                        ignore=True,
                    )
                )
    if keys:
        # any production in the hour: the rule may judge a partly producing hour (and an
        # outlet without a registry line by an inferred line) as producing
        partly = hs.producing > 0
        bad = partly & (~d.present | np.isin(d.flag[0], [FLAG_CODES["B"], FLAG_CODES["D"]]))
        missing = [i for i in incidents if i.family == "MISSING"]
        # benign gaps one hour apart are one outage to the rule (max_gap_h = 1): merge them
        merged: list[tuple[int, int, int]] = []
        for a, b in runs(bad):
            if merged and a - merged[-1][1] <= 1:
                merged[-1] = (merged[-1][0], b, merged[-1][2] + b - a)
            else:
                merged.append((a, b, b - a))
        for a, b, n_bad in merged:
            if n_bad >= 4 and not any(i.start < b and a < i.end for i in missing):
                out.append(
                    Label(
                        "MISSING",
                        o.enterprise_id,
                        "outlet",
                        o.outlet_id,
                        None,
                        a * 60,
                        b * 60,
                        {"natural": True},
                        ignore=True,
                    )
                )
    return out


def rows_of(d: OutletData) -> dict[str, Any]:
    """Long-format columns (hour-major, then pollutant) of the reported rows."""
    k, h = d.value.shape
    hours = np.repeat(np.arange(h), k)
    pol = np.tile(np.arange(k), h)
    keep = np.repeat(d.present, k)
    if d.dropped is not None:
        keep &= ~d.dropped.T.ravel()
    return {
        "hour": hours[keep],
        "code_index": pol[keep],
        "value": d.value.T.ravel()[keep],
        "zs": d.zs.T.ravel()[keep],
        "flag": d.flag.T.ravel()[keep],
    }
