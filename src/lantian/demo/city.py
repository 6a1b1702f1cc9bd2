"""Generate a whole simulated city as a bundle (exchange formats v1) plus ``labels.jsonl``."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from lantian.demo.ambient import AMBIENT_POLLUTANTS, simulate_ambient
from lantian.demo.bundle import TableSink, iso_minutes, period_start, write_csv_rows
from lantian.demo.cems import FLAGS, OutletData, rows_of, simulate_outlet
from lantian.demo.clues import ClueContext, plan_wind, truck_min_standards, write_clue_layers
from lantian.demo.config import CityConfig
from lantian.demo.incidents import Label, plan_incidents
from lantian.demo.power import line_power
from lantian.demo.registry import Registry, build_registry
from lantian.demo.schedule import Clock, line_schedule
from lantian.demo.weather import plan_weather

ProgressFn = Callable[[str, int, int], None]
"""``report(stage, done, total)``: called as the generator advances."""

STAGES = ("registry", "power", "cems", "ambient", "labels")


@dataclass
class CitySummary:
    """What was written."""

    out: Path
    enterprises: int
    lines: int
    outlets: int
    meters: int
    stations: int
    alerts: int
    rows: dict[str, int] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    ignore_labels: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {
            "out": str(self.out),
            "enterprises": self.enterprises,
            "lines": self.lines,
            "outlets": self.outlets,
            "meters": self.meters,
            "stations": self.stations,
            "alerts": self.alerts,
            "rows": self.rows,
            "labels": self.labels,
            "ignore_labels": self.ignore_labels,
            "seconds": round(self.seconds, 2),
        }


def _noop(stage: str, done: int, total: int) -> None:
    return None


def generate_city(
    out: Path, cfg: CityConfig, report: ProgressFn | None = None, overwrite: bool = False
) -> CitySummary:
    """Write the simulated city for ``cfg`` to directory ``out``.

    The bundle is built in a temporary sibling directory and moved into place at the end, so
    that an interrupted run leaves nothing half-written. ``out`` must not exist or be empty
    unless ``overwrite`` is true.

    Raises
    ------
    ValueError
        For an invalid config or an ``out`` that exists, is not empty, and may not be replaced.
    """
    cfg = cfg.validated()
    report = report or _noop
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise ValueError(f"{out} exists and is not empty (use overwrite to replace it)")
    t0 = time.perf_counter()
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        summary = _generate(tmp, cfg, report)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        trash = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(trash)
        tmp.rename(out)
        if trash.is_dir():
            shutil.rmtree(trash)
        else:
            trash.unlink()
    else:
        tmp.rename(out)
    summary.out = out
    summary.seconds = time.perf_counter() - t0
    return summary


def _ext(cfg: CityConfig, name: str) -> str:
    if cfg.data_format == "csv":
        return "csv"
    if cfg.data_format == "parquet":
        return "parquet"
    return "parquet" if name == "power" else "csv"


def _generate(root: Path, cfg: CityConfig, report: ProgressFn) -> CitySummary:
    seeds = np.random.SeedSequence(cfg.seed).spawn(4)
    rng_reg, rng_weather, rng_inc, rng_clues = (np.random.default_rng(s) for s in seeds)
    seed = int(cfg.seed)
    report("registry", 0, 1)
    reg = build_registry(cfg, rng_reg)
    clock = Clock(cfg.start, cfg.days, cfg.power_interval_min)
    weather = plan_weather(cfg.days, rng_weather)
    plan = plan_incidents(
        reg,
        clock,
        weather,
        seed,
        rng_inc,
        cfg.incident_rate,
        cfg.difficulty,
        analyser_failures=cfg.analyser_failures,
        borderline=cfg.borderline,
    )
    start = period_start(cfg.start)
    _write_registry(root, reg, truck_min_standards(reg, seed))
    report("registry", 1, 1)

    summary = CitySummary(
        root,
        len(reg.enterprises),
        len(reg.lines),
        len(reg.outlets),
        len(reg.meters),
        len(reg.stations),
        len(weather.alerts),
    )
    labels: list[Label] = list(plan.labels)
    epoch_ms = int(start.timestamp() * 1000)

    # Power ------------------------------------------------------------------------------
    fmt = _ext(cfg, "power")
    meter_ids = [m.meter_id for m in reg.meters]
    meter_pos = {m: i for i, m in enumerate(meter_ids)}
    dictionary = pa.array(meter_ids)
    schema = pa.schema(
        [
            ("meter_id", pa.dictionary(pa.int32(), pa.string())),
            ("time", pa.timestamp("ms", tz="+08:00")),
            ("kw", pa.float32() if fmt == "parquet" else pa.float64()),
        ]
    )
    sink = TableSink(root / "data" / f"power.{fmt}", fmt, schema, ("time",))
    step_ms = cfg.power_interval_min * 60_000
    buf: list[tuple[int, np.ndarray[Any, Any], np.ndarray[Any, Any]]] = []
    buffered = 0
    done = 0
    total = len(reg.meters)
    s = clock.per_hour

    def flush() -> None:
        nonlocal buf, buffered
        if not buf:
            return
        idx = np.concatenate([np.full(st.size, i, dtype=np.int32) for i, st, _ in buf])
        ms = np.concatenate([st for _, st, _ in buf]) * step_ms + epoch_ms
        kw = np.concatenate([k for _, _, k in buf])
        sink.write(
            {
                "meter_id": pa.DictionaryArray.from_arrays(pa.array(idx), dictionary),
                "time": ms,
                "kw": kw,
            }
        )
        buf, buffered = [], 0

    for ln in reg.lines:
        sched = line_schedule(ln, clock, weather.alerts, seed, plan.mods.get(ln.line_id))
        protected = [(a * s, b * s) for a, b in plan.busy.get(ln.line_id, [])]
        for series in line_power(
            ln, sched, clock, seed, protected, cfg.difficulty, cfg.treatment_outages
        ):
            buf.append((meter_pos[series.meter.meter_id], series.steps, series.kw))
            buffered += series.steps.size
            done += 1
            if buffered >= 2_000_000:
                flush()
            report("power", done, total)
    flush()
    sink.close()
    summary.rows["power"] = sink.rows

    # CEMS -------------------------------------------------------------------------------
    fmt = _ext(cfg, "cems_hourly")
    outlets = reg.outlets
    outlet_ids = pa.array([o.outlet_id for o in outlets])
    code_list = ["a34013", "a21026", "a21002", "a19001", "a01012", "a01014", "a01011", "a00000"]
    codes_dict = pa.array(code_list)
    flags_dict = pa.array(list(FLAGS))
    cschema = pa.schema(
        [
            ("outlet_id", pa.dictionary(pa.int32(), pa.string())),
            ("time", pa.timestamp("ms", tz="+08:00")),
            ("pollutant", pa.dictionary(pa.int32(), pa.string())),
            ("value", pa.float64()),
            ("zs_value", pa.float64()),
            ("flag", pa.dictionary(pa.int32(), pa.string())),
        ]
    )
    csink = TableSink(root / "data" / f"cems_hourly.{fmt}", fmt, cschema, ("time",))
    clone_store: dict[str, OutletData] = {}
    chunk: list[dict[str, Any]] = []
    chunk_rows = 0

    def flush_cems() -> None:
        nonlocal chunk, chunk_rows
        if not chunk:
            return
        cat = {k: np.concatenate([c[k] for c in chunk]) for k in chunk[0]}
        csink.write(
            {
                "outlet_id": pa.DictionaryArray.from_arrays(pa.array(cat["outlet"]), outlet_ids),
                "time": cat["hour"].astype(np.int64) * 3_600_000 + epoch_ms,
                "pollutant": pa.DictionaryArray.from_arrays(pa.array(cat["code"]), codes_dict),
                "value": cat["value"],
                "zs_value": cat["zs"],
                "flag": pa.DictionaryArray.from_arrays(
                    pa.array(cat["flag"].astype(np.int32)), flags_dict
                ),
            }
        )
        chunk, chunk_rows = [], 0

    for k, o in enumerate(sorted(outlets, key=lambda x: x.index)):
        data = simulate_outlet(
            o,
            plan.hourly[o.line_id],
            plan.cems.get(o.outlet_id, []),
            seed,
            clone_store,
            cfg.difficulty,
        )
        if o.outlet_id in plan.clone_sources:
            clone_store[o.outlet_id] = data
        labels.extend(data.labels)
        rows = rows_of(data)
        code_idx = np.array([code_list.index(c) for c in data.codes], dtype=np.int32)
        chunk.append(
            {
                "outlet": np.full(rows["hour"].size, outlets.index(o), dtype=np.int32),
                "hour": rows["hour"],
                "code": code_idx[rows["code_index"]],
                "value": rows["value"],
                "zs": rows["zs"],
                "flag": rows["flag"],
            }
        )
        chunk_rows += rows["hour"].size
        if chunk_rows >= 1_000_000:
            flush_cems()
        report("cems", k + 1, len(outlets))
    flush_cems()
    csink.close()
    summary.rows["cems_hourly"] = csink.rows

    # Ambient ----------------------------------------------------------------------------
    report("ambient", 0, 1)
    amb = simulate_ambient(reg.stations, weather, seed, cfg.incident_rate, cfg.difficulty)
    labels.extend(amb.labels)
    fmt = _ext(cfg, "ambient_hourly")
    aschema = pa.schema(
        [
            ("station_id", pa.dictionary(pa.int32(), pa.string())),
            ("time", pa.timestamp("ms", tz="+08:00")),
            ("pollutant", pa.dictionary(pa.int32(), pa.string())),
            ("value", pa.float64()),
        ]
    )
    asink = TableSink(root / "data" / f"ambient_hourly.{fmt}", fmt, aschema, ("time",))
    n_st, n_p, h = amb.values.shape
    st_idx, p_idx, hr = np.meshgrid(np.arange(n_st), np.arange(n_p), np.arange(h), indexing="ij")
    # station-major, then time, then pollutant
    order = np.transpose(amb.values, (0, 2, 1)).ravel()
    st_flat = np.transpose(st_idx, (0, 2, 1)).ravel()
    p_flat = np.transpose(p_idx, (0, 2, 1)).ravel()
    h_flat = np.transpose(hr, (0, 2, 1)).ravel()
    keep = ~np.isnan(order)
    asink.write(
        {
            "station_id": pa.DictionaryArray.from_arrays(
                pa.array(st_flat[keep].astype(np.int32)),
                pa.array([st.station_id for st in reg.stations]),
            ),
            "time": h_flat[keep].astype(np.int64) * 3_600_000 + epoch_ms,
            "pollutant": pa.DictionaryArray.from_arrays(
                pa.array(p_flat[keep].astype(np.int32)), pa.array(list(AMBIENT_POLLUTANTS))
            ),
            "value": order[keep],
        }
    )
    asink.close()
    summary.rows["ambient_hourly"] = asink.rows
    report("ambient", 1, 1)

    # Alerts -----------------------------------------------------------------------------
    fmt = _ext(cfg, "alerts")
    al_schema = pa.schema(
        [
            ("alert_id", pa.string()),
            ("city", pa.string()),
            ("level", pa.string()),
            ("start", pa.timestamp("ms", tz="+08:00")),
            ("end", pa.timestamp("ms", tz="+08:00")),
        ]
    )
    alsink = TableSink(root / "data" / f"alerts.{fmt}", fmt, al_schema, ("start", "end"))
    alsink.write(
        {
            "alert_id": [a.alert_id for a in weather.alerts],
            "city": [reg.city] * len(weather.alerts),
            "level": [a.level for a in weather.alerts],
            "start": np.array([a.start for a in weather.alerts], dtype=np.int64) * 3_600_000
            + epoch_ms,
            "end": np.array([a.end for a in weather.alerts], dtype=np.int64) * 3_600_000 + epoch_ms,
        }
    )
    alsink.close()
    summary.rows["alerts"] = alsink.rows

    # Clue layers (contract v2) ----------------------------------------------------------
    report("clues", 0, 1)
    clues = ClueContext(
        root,
        cfg,
        reg,
        weather,
        plan,
        start,
        plan_wind(cfg.days * 24, weather.stagnation, rng_clues),
        rng_clues,
    )
    clue_labels: list[Label] = write_clue_layers(clues)
    summary.rows.update(clues.rows)
    report("clues", 1, 1)

    # Labels -----------------------------------------------------------------------------
    report("labels", 0, 1)
    _write_labels(root / "labels.jsonl", labels, start, summary, clue_labels)
    report("labels", 1, 1)
    return summary


def _write_labels(
    path: Path,
    labels: list[Label],
    start: Any,
    summary: CitySummary,
    clue_labels: list[Label] | None = None,
) -> None:
    """Write the answer key: v1 labels (``L…``), v1 don't-care windows (``I…``), then the
    clue-layer labels (``C…``) and their don't-care windows (``J…``), numbered on their own
    so that the v1 lines do not change."""
    clues = sorted(
        (lab for lab in clue_labels or [] if not lab.ignore),
        key=lambda x: (x.start_min, x.family, x.subject_id),
    )
    clue_ignored = sorted(
        (lab for lab in clue_labels or [] if lab.ignore),
        key=lambda x: (x.start_min, x.family, x.subject_id),
    )
    real = sorted(
        (lab for lab in labels if not lab.ignore),
        key=lambda x: (x.start_min, x.family, x.subject_id),
    )
    ignored = sorted(
        (lab for lab in labels if lab.ignore), key=lambda x: (x.start_min, x.family, x.subject_id)
    )
    with path.open("w", encoding="utf-8") as fh:
        for prefix, group in (("L", real), ("I", ignored), ("C", clues), ("J", clue_ignored)):
            for k, lab in enumerate(group, 1):
                obj: dict[str, Any] = {
                    "label_id": f"{prefix}{k:04d}",
                    "family": lab.family,
                    "enterprise_id": lab.enterprise_id,
                    "subject_type": lab.subject_type,
                    "subject_id": lab.subject_id,
                    "pollutant": lab.pollutant,
                    "start": iso_minutes(start, lab.start_min),
                    "end": iso_minutes(start, lab.end_min),
                }
                for key, value in lab.extra.items():
                    obj[key] = value
                if lab.ignore:
                    obj["ignore"] = True
                fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
                if not lab.ignore:
                    summary.labels[lab.family] = summary.labels.get(lab.family, 0) + 1
    summary.ignore_labels = len(ignored) + len(clue_ignored)


def _write_registry(
    root: Path, reg: Registry, trucks: dict[tuple[str, str], int] | None = None
) -> None:
    trucks = trucks or {}
    r = root / "registry"
    write_csv_rows(
        r / "enterprises.csv",
        [
            "enterprise_id",
            "name",
            "credit_code",
            "industry",
            "city",
            "district",
            "township",
            "lon",
            "lat",
            "grade",
            "positive_list",
        ],
        [
            {
                "enterprise_id": e.enterprise_id,
                "name": e.name,
                "credit_code": e.credit_code,
                "industry": e.industry,
                "city": e.city,
                "district": e.district,
                "township": e.township,
                "lon": e.lon,
                "lat": e.lat,
                "grade": e.grade or None,
                "positive_list": e.positive_list,
            }
            for e in reg.enterprises
        ],
    )
    write_csv_rows(
        r / "outlets.csv",
        [
            "outlet_id",
            "enterprise_id",
            "name",
            "mn",
            "o2_ref_pct",
            "limit_pm",
            "limit_so2",
            "limit_nox",
            "line_id",
            "pw",
        ],
        [
            {
                "outlet_id": o.outlet_id,
                "enterprise_id": o.enterprise_id,
                "name": o.name,
                "mn": o.mn,
                "o2_ref_pct": o.o2_ref_pct,
                "limit_pm": _num(o.limits["pm"]),
                "limit_so2": _num(o.limits["so2"]),
                "limit_nox": _num(o.limits["nox"]),
                "line_id": o.registry_line_id,
                "pw": o.pw,
            }
            for o in reg.outlets
        ],
    )
    write_csv_rows(
        r / "meters.csv",
        [
            "meter_id",
            "enterprise_id",
            "line_id",
            "role",
            "name",
            "rated_kw",
            "mn",
            "factor_code",
            "pw",
        ],
        [
            {
                "meter_id": m.meter_id,
                "enterprise_id": m.enterprise_id,
                "line_id": m.line_id,
                "role": m.role,
                "name": m.name,
                "rated_kw": m.rated_kw,
                "mn": m.mn,
                "factor_code": m.factor_code,
                "pw": m.pw,
            }
            for m in reg.meters
        ],
    )
    write_csv_rows(
        r / "stations.csv",
        ["station_id", "name", "kind", "city", "district", "township", "lon", "lat"],
        [
            {
                "station_id": st.station_id,
                "name": st.name,
                "kind": st.kind,
                "city": st.city,
                "district": st.district,
                "township": st.township or None,
                "lon": st.lon,
                "lat": st.lat,
            }
            for st in reg.stations
        ],
    )
    write_csv_rows(
        r / "measures.csv",
        ["enterprise_id", "line_id", "level", "action", "limit_pct", "truck_min_standard"],
        [
            {
                "enterprise_id": ln.enterprise_id,
                "line_id": ln.line_id,
                "level": level,
                "action": action,
                "limit_pct": _num(pct),
                "truck_min_standard": trucks.get((ln.line_id, level)),
            }
            for ln in reg.lines
            for level in ("yellow", "orange", "red")
            if level in ln.measures
            for action, pct in [ln.measures[level]]
        ],
    )


def _num(v: float | None) -> str | None:
    if v is None:
        return None
    return str(int(v)) if float(v).is_integer() else str(v)
