"""Shared intermediates of the rules, computed once per run and cached.

- :meth:`Context.meter_levels`: each meter's own off/idle threshold and running level from
  its power histogram (Otsu's two-class split on log power, accepted only when the two modes
  are clearly apart; otherwise a fraction of the meter's typical level).
- :meth:`Context.meter_hourly`: per meter and hour: mean kW, share of samples "on", samples.
- :meth:`Context.unit_hourly`: per production unit (line, or whole enterprise when an outlet
  has no line) and hour: production on-share, production kW vs normal, state flags.
- :meth:`Context.cems_hourly`: hourly CEMS with limit, O2, 折算 (reported or computed) and
  HJ 76 / flag validity.

References
----------
.. [1] HJ 75-2017, 固定污染源烟气(SO2、NOx、颗粒物)排放连续监测技术规范, 折算 formula
   C_ref = C × (21 − O2_ref)/(21 − O2); GB 13223-2011 §5.2.
.. [2] HJ 76-2017, Appendix B: an hourly value needs ≥ 45 valid minutes.
.. [3] N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans.
   SMC 9(1), 1979 (two-mode split of each meter's power histogram).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from lantian.rules.inputs import Inputs

POLLUTANT_LIMIT_COLUMN: dict[str, str] = {
    "a34013": "limit_pm",
    "a21026": "limit_so2",
    "a21002": "limit_nox",
}
"""HJ 212-2017 pollutant code → outlets.csv limit column."""

POLLUTANT_ZH: dict[str, str] = {
    "a34013": "颗粒物",
    "a21026": "二氧化硫",
    "a21002": "氮氧化物",
    "a19001": "氧含量",
    "a01012": "烟气温度",
    "a01014": "烟气湿度",
    "a01011": "烟气流速",
    "a00000": "废气流量",
}
O2_CODE = "a19001"
VALID_FLAGS: tuple[str, ...] = ("N", "T", "S")
"""Flags whose hours are judged (T = over range, still valid). C, M, F, D, B never are."""
LOG_BINS_PER_DECADE = 20


@dataclass(frozen=True)
class StateParams:
    """Parameters of the shared intermediates (production state, validity)."""

    producing_on_share: float = 0.75
    """A unit produces in an hour when its production meters are on ≥ this share of it."""
    stopped_on_share: float = 0.1
    """A unit is stopped in an hour when production meters are on < this share of it."""
    startup_grace_h: int = 1
    """Hours after a start (stopped → producing) during which CEMS gating rules are silent."""
    min_mode_ratio: float = 3.0
    """Two power modes are distinct (on/off) when their levels differ by ≥ this factor."""
    min_mode_share: float = 0.01
    """Each mode must hold ≥ this share of a meter's samples."""
    unimodal_off_fraction: float = 0.3
    """Meters seen only running: off below this fraction of their typical level."""
    o2_guard_pct: float = 19.0
    """O2 [%] at or above which 折算 is not computed and hours are not judged."""
    hour_valid_min: int = 45
    """HJ 76-2017 App. B: minimum valid minutes per hour (when minute counts are given)."""
    cems_pollutants: tuple[str, ...] = ("a34013", "a21026", "a21002", "a19001")
    """HJ 212 codes kept in the hourly CEMS intermediate (rules judge these)."""
    histogram_every_nth_slot: int = 3
    """Meter histograms use the samples of every n-th 5-minute slot (1 = all samples)."""
    bucket_min: int = 5
    """Sub-hour bucket of the power data [min] (sub-hour rules such as TREATMENT_OFF).

    Production is judged at the same resolution as treatment: with coarser production
    buckets, treatment minutes before production actually started (a start-up lag) were
    counted as "off while producing" (a 23-min lag in 1-min data became a 30-min lead)."""
    treatment_off_fraction: float = 0.15
    """A treatment meter is off below this fraction of its running level (at most)."""
    line_inference_min_agreement: float = 0.8
    """An outlet without a line gets the enterprise line whose producing hours match the
    outlet's valid-data hours at least this often."""


def otsu_levels(
    bins: list[int], counts: list[int], rated_kw: float | None, p: StateParams
) -> dict[str, Any]:
    """Off threshold and running level of one meter from its log-power histogram.

    Parameters
    ----------
    bins
        Histogram bin indices: ``floor(log10(kW) × 20)``.
    counts
        Samples per bin.
    rated_kw
        Nameplate power [kW] or None.

    Returns
    -------
    dict with ``off_kw`` (on ⇔ kW > off_kw), ``run_kw`` (typical running kW), ``idle_kw``
    (typical off/idle kW), ``bimodal`` and ``on_share``.
    """
    order = sorted(zip(bins, counts, strict=True))
    xs = [(b + 0.5) / LOG_BINS_PER_DECADE for b, _ in order]
    ws = [float(c) for _, c in order]
    total = sum(ws)
    if total == 0:
        return {"off_kw": 0.0, "run_kw": 0.0, "idle_kw": 0.0, "bimodal": False, "on_share": 0.0}

    def wmedian(x: list[float], w: list[float]) -> float:
        half, acc = sum(w) / 2.0, 0.0
        for xi, wi in zip(x, w, strict=True):
            acc += wi
            if acc >= half:
                return 10**xi
        return 10 ** x[-1]

    best, best_i = -1.0, -1
    cum_w, cum_wx = 0.0, 0.0
    tot_wx = sum(x * w for x, w in zip(xs, ws, strict=True))
    for i in range(len(xs) - 1):
        cum_w += ws[i]
        cum_wx += xs[i] * ws[i]
        w0, w1 = cum_w / total, 1 - cum_w / total
        if w0 <= 0 or w1 <= 0:
            continue
        m0, m1 = cum_wx / cum_w, (tot_wx - cum_wx) / (total - cum_w)
        var = w0 * w1 * (m0 - m1) ** 2
        if var > best:
            best, best_i = var, i
    if best_i >= 0:
        lo_x, lo_w = xs[: best_i + 1], ws[: best_i + 1]
        hi_x, hi_w = xs[best_i + 1 :], ws[best_i + 1 :]
        idle, run = wmedian(lo_x, lo_w), wmedian(hi_x, hi_w)
        share_lo = sum(lo_w) / total
        if (
            run >= p.min_mode_ratio * max(idle, 1e-9)
            and p.min_mode_share <= share_lo <= 1 - p.min_mode_share
        ):
            off = math.sqrt(max(idle, 0.01) * run)  # geometric middle between the modes
            return {
                "off_kw": off,
                "run_kw": run,
                "idle_kw": idle,
                "bimodal": True,
                "on_share": 1 - share_lo,
            }
    level = wmedian(xs, ws)
    if rated_kw and rated_kw > 0 and level < 0.1 * rated_kw:
        # seen only at a low level: off for the whole period
        return {
            "off_kw": max(0.2 * rated_kw, level * p.min_mode_ratio),
            "run_kw": 0.8 * rated_kw,
            "idle_kw": level,
            "bimodal": False,
            "on_share": 0.0,
        }
    return {
        "off_kw": p.unimodal_off_fraction * level,
        "run_kw": level,
        "idle_kw": 0.0,
        "bimodal": False,
        "on_share": 1.0,
    }


class Context:
    """Inputs plus lazily computed, cached shared intermediates."""

    def __init__(
        self,
        inputs: Inputs,
        state: StateParams | None = None,
        tag: str = "c",
        collect: list[tuple[str, tuple[str, ...], ir.Table]] | None = None,
    ) -> None:
        self.inputs = inputs
        self.state = state or StateParams()
        self.tag = tag
        """Prefix of this context's materialised tables (one per context of a run)."""
        self.collect = collect
        """When a list: every :meth:`baseline` computed is appended (kind, keys, table), for
        the platform to store (:mod:`lantian.rules.baselines`)."""
        self._cache: dict[str, Any] = {}
        self._stored_kinds: frozenset[str] | None = None

    def _stored(self, kind: str) -> ir.Table:
        """The ``inputs.baselines`` rows of ``kind``."""
        b = self.inputs.baselines
        return b.filter(b.kind == kind)

    def _has_stored(self, kind: str) -> bool:
        """True if the inputs carry stored statistics of ``kind`` (one query per context)."""
        if self._stored_kinds is None:
            b = self.inputs.baselines
            self._stored_kinds = frozenset(
                str(k) for k in b.select("kind").distinct().execute()["kind"]
            )
        return kind in self._stored_kinds

    def baseline(self, kind: str, keys: Sequence[str], computed: ir.Table) -> ir.Table:
        """Per-series statistics: ``computed`` from the rows given, except for the series
        whose statistics the inputs carry (``inputs.baselines`` rows of ``kind``).

        Every statistic a rule judges a series by (a level, a median, a reference spread)
        goes through here, so that platform mode can judge a change by reading only the
        hours around it and still use the statistics of the long window
        (:mod:`lantian.rules.baselines`). ``keys`` (one or two columns) name a series; the
        other columns of ``computed`` are its values (numbers, booleans or strings).
        """
        keys = list(keys)
        if self.collect is not None:
            computed = self.materialize(f"bl_{kind}", computed)
            self.collect.append((kind, tuple(keys), computed))
        if not self._has_stored(kind):
            return computed
        schema = computed.schema()
        b = self._stored(kind)
        by = {keys[0]: b.k1.cast(schema[keys[0]])}
        if len(keys) > 1:
            by[keys[1]] = b.k2.cast(schema[keys[1]])
        values = {
            c: (b.text if schema[c].is_string() else b.value).max(where=b.name == c).cast(schema[c])
            for c in computed.columns
            if c not in keys
        }
        stored = b.group_by(**by).aggregate(**values).select(*computed.columns)
        return computed.anti_join(stored, keys).union(stored)

    def _duckdb(self) -> Any | None:
        """The inputs' DuckDB backend, or None (Spark, or tables of several backends)."""
        try:
            backend = self.inputs.cems._find_backend()
        except Exception:  # memtables only, or mixed backends
            return None
        return backend if getattr(backend, "name", "") == "duckdb" else None

    def materialize(self, key: str, expr: ir.Table) -> ir.Table:
        """``expr`` computed once into a table named after this context and ``key``.

        On DuckDB the table has a deterministic name (``_lt_<tag>_<key>``), so that the
        expressions built on it are equal from one run to the next and their compiled SQL
        can be reused (:mod:`lantian.rules.sqlcache`); elsewhere ``expr.cache()``.
        """
        backend = self._duckdb()
        if backend is None:
            return expr.cache()
        from lantian.rules.sqlcache import create_as

        return create_as(backend, f"_lt_{self.tag}_{key}", expr)

    def _frame_table(self, key: str, df: pd.DataFrame, schema: dict[str, str]) -> ir.Table:
        """A pandas frame as a table (deterministic name on DuckDB, else a memtable)."""
        backend = self._duckdb()
        if backend is None:
            return ibis.memtable(df, schema=schema)
        from lantian.rules.sqlcache import arrow_table

        arrow = pa.Table.from_pandas(
            df, schema=ibis.schema(schema).to_pyarrow(), preserve_index=False
        )
        return arrow_table(backend, f"_lt_{self.tag}_{key}", arrow)

    def _cached(self, key: str, build: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    # -- meters -------------------------------------------------------------------------
    def meter_levels(self) -> ir.Table:
        """Per meter: off_kw, run_kw, idle_kw, bimodal, on_share, role, line."""
        return self._cached("meter_levels", self._meter_levels)

    def _meter_levels(self) -> ir.Table:
        pw = self.inputs.power.filter(self.inputs.power.kw.notnull())
        if self._has_stored("meter_levels"):  # stored levels stand: no histogram for them
            pw = pw.filter(~pw.meter_id.isin(self._stored("meter_levels").k1))
        if self.state.histogram_every_nth_slot > 1:  # a deterministic subsample is enough
            pw = pw.filter((pw.t // 300) % self.state.histogram_every_nth_slot == 0)
        b = (ibis.greatest(pw.kw, 0.01).log10() * LOG_BINS_PER_DECADE).floor().cast("int64")
        hist = pw.mutate(b=b).group_by(["meter_id", "b"]).aggregate(n=ibis._.count()).execute()
        meters = self.inputs.meters.execute()
        # one row per meter (a repeated registry line must not double its samples)
        meters = meters[meters["meter_id"].notna()].drop_duplicates("meter_id")
        meters = meters.set_index("meter_id")
        rows = []
        # one sort, then plain slices per meter (a pandas groupby costs ~0.2 ms per meter)
        hist = hist[hist["meter_id"].notna()].sort_values(["meter_id", "b"], kind="stable")
        mids = hist["meter_id"].to_numpy(dtype=object)
        bins = hist["b"].to_numpy(dtype="int64").tolist()
        counts = hist["n"].to_numpy(dtype="int64").tolist()
        starts = [0, *(np.flatnonzero(mids[1:] != mids[:-1]) + 1).tolist(), len(mids)]
        for i0, i1 in itertools.pairwise(starts):
            if i0 == i1:
                continue
            mid = mids[i0]
            rated = meters["rated_kw"].get(mid) if mid in meters.index else None
            rated_f = float(rated) if rated is not None and pd.notna(rated) else None
            lv = otsu_levels(bins[i0:i1], counts[i0:i1], rated_f, self.state)
            lv["meter_id"] = mid
            rows.append(lv)
        cols = ["meter_id", "off_kw", "run_kw", "idle_kw", "bimodal", "on_share"]
        df = pd.DataFrame(rows, columns=cols)
        level_schema = {
            "meter_id": "string",
            "off_kw": "float64",
            "run_kw": "float64",
            "idle_kw": "float64",
            "bimodal": "boolean",
            "on_share": "float64",
        }
        if self.collect is not None or self._has_stored("meter_levels"):
            levels = self._frame_table("otsu_levels", df, level_schema)
            df = self.baseline("meter_levels", ["meter_id"], levels).execute()
            df["bimodal"] = df["bimodal"].astype(bool)
        df = df.sort_values("meter_id", kind="stable").reset_index(drop=True)
        df["mi"] = range(len(df))  # integer meter key: cheaper grouping of the power samples
        df = df.merge(
            meters.reset_index()[["meter_id", "enterprise_id", "line_id", "role", "name"]],
            on="meter_id",
            how="inner",
        )
        # treatment "off" means near zero: an idling treatment (e.g. a fan at 30 %) is on
        # but low (TREATMENT_LOW), whatever the histogram split says
        treat = df["role"] == "treatment"
        df.loc[treat, "off_kw"] = np.minimum(
            df.loc[treat, "off_kw"].to_numpy(dtype="float64"),
            self.state.treatment_off_fraction * df.loc[treat, "run_kw"].to_numpy(dtype="float64"),
        )
        schema = {
            **level_schema,
            "enterprise_id": "string",
            "line_id": "string",
            "role": "string",
            "name": "string",
            "mi": "int64",
        }
        return self._frame_table("meter_levels", df[list(schema)], schema)

    def meter_buckets(self, hours: ir.Table, bucket_s: int | None = None) -> ir.Table:
        """Per meter and bucket (``bucket_s``, default ``bucket_min``), only for the
        (meter_id, h) pairs in ``hours``.

        Sub-hour detail is needed only around suspicious hours; aggregating every sample
        into sub-hour buckets would cost far more than the hourly pass. Columns: meter_id,
        b (bucket start, CST epoch s), n, n_on, kw, on_share.
        """
        lv = self.meter_levels()
        bucket = bucket_s or self.state.bucket_min * 60
        pw = self.inputs.power.filter(self.inputs.power.kw.notnull())
        pw = pw.mutate(h=pw.t // 3600).semi_join(hours, ["meter_id", "h"])
        j = pw.join(lv.select("meter_id", "off_kw"), "meter_id")
        agg = j.group_by(["meter_id", (j.t // bucket * bucket).name("b")]).aggregate(
            n=j.count(),
            n_on=(j.kw > j.off_kw).cast("int64").sum(),
            kw_sum=j.kw.sum(),
        )
        return agg.select(
            "meter_id", "b", "n", "n_on", kw=agg.kw_sum / agg.n, on_share=agg.n_on / agg.n
        )

    def meter_hourly(self) -> ir.Table:
        """Per meter and hour h: kw (mean), on_share, n, typical_on, active, levels. Cached.

        The one full pass over the raw power samples. ``typical_on`` is the meter's median
        on-share over the hours it runs at all: about 1 for continuous equipment, lower for
        cyclic equipment (a coke pusher runs minutes per oven push). ``active`` = on-share ≥
        half of that: the equipment is in operation in that hour by its own standard.
        """

        def build() -> ir.Table:
            lv = self.meter_levels()
            pw = self.inputs.power.filter(self.inputs.power.kw.notnull())
            j = pw.join(lv.select("meter_id", "off_kw", "mi"), "meter_id")
            agg = j.group_by(["mi", (j.t // 3600).name("h")]).aggregate(
                n=j.count(),
                n_on=(j.kw > j.off_kw).cast("int64").sum(),
                kw_sum=j.kw.sum(),
            )
            agg = agg.join(lv.select("mi", "meter_id"), "mi")
            agg = self.materialize(
                "meter_hours",
                agg.select("meter_id", "h", "n", kw=agg.kw_sum / agg.n, on_share=agg.n_on / agg.n),
            )
            running = agg.filter(agg.on_share > 0.05)
            typ = self.baseline(
                "typical_on",
                ["meter_id"],
                running.group_by("meter_id").aggregate(typical_on=running.on_share.median()),
            )
            agg = agg.left_join(typ, "meter_id").drop("meter_id_right")
            agg = agg.mutate(typical_on=agg.typical_on.fill_null(1.0))
            agg = agg.mutate(active=(agg.on_share > 0) & (agg.on_share >= 0.5 * agg.typical_on))
            lv = self.meter_levels().select(
                "meter_id", "enterprise_id", "line_id", "role", "off_kw", "run_kw"
            )
            return self.materialize("meter_hourly", agg.join(lv, "meter_id"))

        return self._cached("meter_hourly", build)

    def unit_hourly(self) -> ir.Table:
        """Per production unit (line) and hour: activity, power, level and state flags.

        Columns: enterprise_id, line_id, h, on_share (share of the line's production meters
        active that hour), duty (mean on-share of their samples), prod_kw, prod_run_kw,
        typical_kw (median prod_kw over producing hours), level (prod_kw / typical_kw),
        n_meters, producing, stopped, stable (producing now and for ``startup_grace_h``
        hours before), steady (producing the hour before, now and the hour after).
        """

        def build() -> ir.Table:
            mh = self.meter_hourly()
            mh = mh.filter((mh.role == "production") & mh.line_id.notnull())
            u = mh.group_by(["enterprise_id", "line_id", "h"]).aggregate(
                on_share=mh.active.cast("float64").mean(),
                duty=mh.on_share.mean(),
                prod_kw=mh.kw.sum(),
                prod_run_kw=mh.run_kw.sum(),
                n_meters=mh.count(),  # one row per meter and hour
            )
            p = self.state
            u = u.mutate(
                producing=u.on_share >= p.producing_on_share,
                stopped=u.on_share < p.stopped_on_share,
            )
            prod = u.filter(u.producing)
            typ = self.baseline(
                "typical_kw",
                ["line_id"],
                prod.group_by("line_id").aggregate(typical_kw=prod.prod_kw.median()),
            )
            u = u.left_join(typ, "line_id").drop("line_id_right")
            u = u.mutate(
                level=u.prod_kw / ibis.greatest(u.typical_kw.fill_null(u.prod_run_kw), 1e-9)
            )
            w = ibis.window(
                group_by=["line_id"], order_by="h", preceding=p.startup_grace_h, following=0
            )
            w3 = ibis.window(group_by=["line_id"], order_by="h", preceding=1, following=1)
            u = u.mutate(
                _np=u.producing.cast("int64").sum().over(w),
                _nh=u.h.count().over(w),
                _h0=u.h.min().over(w),
                _np3=u.producing.cast("int64").sum().over(w3),
                _span3=u.h.max().over(w3) - u.h.min().over(w3),
            )
            u = u.mutate(
                stable=(u._np == p.startup_grace_h + 1)
                & (u._nh == p.startup_grace_h + 1)
                & (u._h0 == u.h - p.startup_grace_h),
                steady=(u._np3 == 3) & (u._span3 == 2),
            )
            return self.materialize("unit_hourly", u.drop("_np", "_nh", "_h0", "_np3", "_span3"))

        return self._cached("unit_hourly", build)

    def outlet_lines(self) -> ir.Table:
        """Outlet → production line: the registry's line, else one inferred from the data.

        For an outlet without a line, each line of its enterprise is scored by the share of
        hours in which "the outlet reports valid data" agrees with "the line produces"; the
        best line is taken when it agrees in ≥ ``line_inference_min_agreement`` of the
        hours. Columns: outlet_id, enterprise_id, line_id, inferred (bool), agreement.
        """

        def build() -> ir.Table:
            u = self.unit_hourly()
            o = self.inputs.outlets.select("outlet_id", "enterprise_id", "line_id")
            known = o.filter(o.line_id.notnull()).mutate(
                inferred=ibis.literal(False), agreement=ibis.literal(1.0)
            )
            nl = o.filter(o.line_id.isnull()).select("outlet_id", "enterprise_id")
            cand = nl.join(u.select("enterprise_id", "line_id", "h", "producing"), "enterprise_id")
            fl = self.outlet_hour_flags()
            fl = fl.select("outlet_id", "h", ok=(fl.n_ok * 2 >= fl.n_rows))
            j = cand.join(fl, ["outlet_id", "h"])
            agree = j.group_by(["outlet_id", "enterprise_id", "line_id"]).aggregate(
                agreement=(j.ok == j.producing).cast("float64").mean()
            )
            w = ibis.window(group_by="outlet_id", order_by=[ibis.desc("agreement"), "line_id"])
            best = agree.mutate(rn=ibis.row_number().over(w))
            best = best.filter(
                (best.rn == 0) & (best.agreement >= self.state.line_inference_min_agreement)
            )
            # every outlet without a line has a row (line_id null: none inferred), so that
            # "no line" is a stored statistic too
            best = nl.left_join(best.select("outlet_id", "line_id", "agreement"), "outlet_id")
            best = self.baseline(
                "outlet_line",
                ["outlet_id"],
                best.select(
                    "outlet_id", line_id=best.line_id.cast("string"), agreement=best.agreement
                ),
            )
            best = best.filter(best.line_id.notnull()).join(nl, "outlet_id")
            best = best.select(
                "outlet_id", "enterprise_id", "line_id", "agreement", inferred=ibis.literal(True)
            )
            cols = ("outlet_id", "enterprise_id", "line_id", "inferred", "agreement")
            return self.materialize("outlet_lines", known.select(*cols).union(best.select(*cols)))

        return self._cached("outlet_lines", build)

    def outlet_state(self) -> ir.Table:
        """Per outlet and hour: producing / stopped / stable / level of the outlet's line.

        The line is the registry's or an inferred one (:meth:`outlet_lines`). An outlet
        whose line cannot be inferred takes all lines of its enterprise conservatively
        (producing only when every line produces). Outlets whose enterprise has no
        production meter have no rows (state unknown: gated rules stay silent).
        """
        cols = (
            "outlet_id",
            "enterprise_id",
            "h",
            "producing",
            "stopped",
            "stable",
            "level",
            "on_share",
        )

        def build() -> ir.Table:
            u = self.unit_hourly()
            ol = self.outlet_lines()
            with_line = ol.join(u, ["line_id", "enterprise_id"]).select(*cols)
            o = self.inputs.outlets.select("outlet_id", "enterprise_id")
            rest = o.anti_join(ol, "outlet_id")
            ent = u.group_by(["enterprise_id", "h"]).aggregate(
                producing=u.producing.all(),
                stopped=u.stopped.all(),
                stable=u.stable.all(),
                level=u.level.mean(),
                on_share=u.on_share.min(),
            )
            no_line = rest.join(ent, "enterprise_id").select(*cols)
            return self.materialize("outlet_state", with_line.union(no_line))

        return self._cached("outlet_state", build)

    # -- CEMS ---------------------------------------------------------------------------
    def cems_hourly(self) -> ir.Table:
        """Hourly CEMS with limit, o2, zs (reported or computed), judgeable. Cached.

        Columns: outlet_id, enterprise_id, h, t, pollutant, value, zs_value, flag, o2,
        o2_ref_pct, lim (limit mg/m³), zs, judgeable.
        ``zs`` = reported 折算 when present, else C × (21 − O2_ref)/(21 − O2) when O2 is
        known and below the guard, else the measured value when the outlet has no reference
        O2. ``judgeable`` = flag in N/T/S, HJ 76 minutes ≥ 45 when given, O2 below the guard.
        """

        def build() -> ir.Table:
            c = self.inputs.cems
            c = c.filter(
                c.outlet_id.notnull()
                & c.t.notnull()
                & c.pollutant.isin(list(self.state.cems_pollutants))
            )
            c = c.mutate(h=c.t // 3600, flag=c.flag.fill_null("N").upper())
            # one row per outlet, pollutant and hour (repeated deliveries: keep the largest)
            c = c.group_by(["outlet_id", "pollutant", "h"]).aggregate(
                t=c.t.min(),
                value=c.value.max(),
                zs_value=c.zs_value.max(),
                flag=c.flag.min(),
                valid_min=c.valid_min.max(),
            )
            o2 = c.filter(c.pollutant == O2_CODE).filter(
                lambda x: x.flag.isin(list(VALID_FLAGS)) & x.value.notnull()
            )
            o2 = o2.group_by(["outlet_id", "h"]).aggregate(o2=o2.value.max())
            o = self.inputs.outlets
            j = c.join(
                o.select(
                    "outlet_id", "enterprise_id", "o2_ref_pct", "limit_pm", "limit_so2", "limit_nox"
                ),
                "outlet_id",
            )
            j = j.left_join(o2, ["outlet_id", "h"]).drop("outlet_id_right", "h_right")
            limit = ibis.cases(
                (j.pollutant == "a34013", j.limit_pm),
                (j.pollutant == "a21026", j.limit_so2),
                (j.pollutant == "a21002", j.limit_nox),
                else_=ibis.null("float64"),
            )
            g = self.state.o2_guard_pct
            o2_bad = j.o2_ref_pct.notnull() & j.o2.notnull() & (j.o2 >= g)
            computed = j.value * (21.0 - j.o2_ref_pct) / (21.0 - j.o2)
            zs = ibis.cases(
                (~j.pollutant.isin(list(POLLUTANT_LIMIT_COLUMN)), ibis.null("float64")),
                (o2_bad, ibis.null("float64")),
                (j.zs_value.notnull(), j.zs_value),
                (j.o2_ref_pct.isnull(), j.value),
                (j.o2.notnull(), computed),
                else_=ibis.null("float64"),
            )
            minutes_ok = j.valid_min.isnull() | (j.valid_min >= self.state.hour_valid_min)
            judgeable = j.flag.isin(list(VALID_FLAGS)) & minutes_ok & ~o2_bad & j.value.notnull()
            return self.materialize(
                "cems_hourly",
                j.mutate(lim=limit, zs=zs, judgeable=judgeable).drop(
                    "limit_pm", "limit_so2", "limit_nox"
                ),
            )

        return self._cached("cems_hourly", build)

    def outlet_hour_flags(self) -> ir.Table:
        """Per outlet and hour with any CEMS row: counts of rows by flag class. Cached.

        Columns: outlet_id, h, n_rows, n_ok (N/T/S), n_bd (B/D), n_f, n_m, n_c.
        """

        def build() -> ir.Table:
            c = self.inputs.cems
            c = c.filter(c.outlet_id.notnull() & c.t.notnull())
            c = c.mutate(h=c.t // 3600, flag=c.flag.fill_null("N").upper())

            def cnt(cond: ir.BooleanValue) -> ir.IntegerValue:
                return cond.cast("int64").sum()

            return self.materialize(
                "outlet_hour_flags",
                c.group_by(["outlet_id", "h"]).aggregate(
                    n_rows=c.count(),
                    n_ok=cnt(c.flag.isin(list(VALID_FLAGS)) & c.value.notnull()),
                    n_bd=cnt(c.flag.isin(["B", "D"])),
                    n_f=cnt(c.flag == "F"),
                    n_m=cnt(c.flag == "M"),
                    n_c=cnt(c.flag == "C"),
                ),
            )

        return self._cached("outlet_hour_flags", build)

    def names(self) -> dict[str, dict[str, str]]:
        """Display names: enterprise, outlet, line, meter, station (id → name)."""

        def build() -> dict[str, dict[str, str]]:
            i = self.inputs
            out: dict[str, dict[str, str]] = {}
            for key, tb, col in (
                ("enterprise", i.enterprises, "enterprise_id"),
                ("outlet", i.outlets, "outlet_id"),
                ("meter", i.meters, "meter_id"),
                ("station", i.stations, "station_id"),
            ):
                df = tb.select(col, "name").execute()
                out[key] = {
                    str(a): (str(b) if b is not None and pd.notna(b) else str(a))
                    for a, b in zip(df[col], df["name"], strict=True)
                }
            ml = i.meters.select("line_id").distinct().execute()
            out["line"] = {str(x): str(x) for x in ml["line_id"] if x is not None}
            return out

        names: dict[str, dict[str, str]] = self._cached("names", build)
        return names
