"""CAMERA-ALARM: repeated or confident camera alarms at or next to an enterprise (CAMERA_ALARM).

Video, drone, thermal and patrol alarms (contract v2 ``data/camera_alarms.csv``: black smoke,
open burning, dust, bare soil, bypass discharge, idle treatment equipment…) are weak clues
one by one: image classifiers raise false alarms (steam read as smoke, a truck's dust).
An alarm is attributed to

1. its ``enterprise_id`` when the camera belongs to or points at one enterprise, else
2. the nearest enterprise whose coordinates are within ``near_enterprise_m`` metres of the
   alarm's position, else
3. the nearest grid cell centre (``grids``) within ``grid_search_km`` (subject_type
   ``grid``, enterprise_id null); an alarm that is near neither is dropped (it cannot be
   located to a subject).

Alarms of one subject whose gaps are at most ``max_gap_min`` minutes form one episode.
An episode is a lead when the sum of its alarms' confidences reaches ``min_confidence_sum``
(repetition) or one alarm reaches ``high_confidence``; alarms below ``min_confidence`` are
not counted at all. An isolated low-confidence alarm is therefore never a lead.

Distances use the equirectangular approximation on WGS-84 degrees (error below 0.1 % at
the sub-kilometre distances used here).

References
----------
.. [1] 《中华人民共和国大气污染防治法》(2018 修正) 第一百条、第一百一十九条 (unverified):
   smoke and open burning, dust control at construction and storage sites; 视频监控 as a
   非现场监管 means per 生态环境部《关于加强生态环境非现场监管的指导意见》(unverified).
.. [2] [M] the episode grouping and confidence weighting are this project's choice: an
   alarm classifier's confidence is treated as an independent weak vote.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from lantian.rules import _text as tx
from lantian.rules.base import Rule, finish, islands, register
from lantian.rules.context import Context
from lantian.rules.evidence import Field

KIND_ZH: dict[str, str] = {
    "black_smoke": "冒黑烟",
    "open_burning": "露天焚烧",
    "dust": "扬尘",
    "bare_soil": "裸土未苫盖",
    "bypass_discharge": "偷排漏排",
    "equipment_idle": "治污设施未运行",
    "other": "其他",
}
"""Alarm kinds of the contract → Chinese."""

M_PER_DEG_LAT = 110_574.0
"""Metres per degree of latitude (WGS-84, mean)."""
M_PER_DEG_LON_EQ = 111_320.0
"""Metres per degree of longitude at the equator (× cos latitude elsewhere)."""
COS_60 = 0.5
"""Cosine of 60° N: longitude buckets are wide enough for any latitude below 60° N."""


@dataclass(frozen=True)
class Params:
    """Parameters of CAMERA-ALARM."""

    near_enterprise_m: float = 500.0
    """An alarm without enterprise_id belongs to an enterprise within this distance [m]."""
    grid_search_km: float = 5.0
    """Otherwise to the nearest grid cell centre within this distance [km]."""
    max_gap_min: int = 60
    """Alarms of one subject at most this many minutes apart are one episode [min]."""
    min_confidence: float = 0.3
    """Alarms below this confidence [0..1] are not counted."""
    min_confidence_sum: float = 1.5
    """An episode is a lead when its alarms' confidences sum to at least this [sum of 0..1]."""
    high_confidence: float = 0.9
    """…or when one alarm has at least this confidence [0..1]."""


def _dist_m(lon1: ir.FloatingValue, lat1: ir.FloatingValue, lon2: Any, lat2: Any) -> Any:
    """Equirectangular distance [m] between two WGS-84 points (ibis expressions)."""
    mid = ((lat1 + lat2) / 2).radians().cos()
    dx = (lon1 - lon2) * mid * M_PER_DEG_LON_EQ
    dy = (lat1 - lat2) * M_PER_DEG_LAT
    return (dx * dx + dy * dy).sqrt()


def _cells(t: ir.Table, size_m: float) -> dict[str, Any]:
    """Bucket keys of a point table (cells at least ``size_m`` wide below 60° N)."""
    return {
        "cx": (t.lon / (size_m / (M_PER_DEG_LON_EQ * COS_60))).floor().cast("int64"),
        "cy": (t.lat / (size_m / M_PER_DEG_LAT)).floor().cast("int64"),
    }


def _nearest(points: ir.Table, targets: ir.Table, key: str, within_m: float) -> ir.Table:
    """Each point (alarm_id, lon, lat) → nearest target (``key``, lon, lat) within ``within_m``.

    Targets are replicated to the 3 × 3 neighbouring buckets so that an equi-join on the
    bucket finds every target within the distance (no cross join).
    """
    pts = points.mutate(**_cells(points, within_m))
    tg = targets.filter(targets.lon.notnull() & targets.lat.notnull())
    tg = tg.mutate(**_cells(tg, within_m)).rename(t_lon="lon", t_lat="lat")
    tg = tg.select(key, "t_lon", "t_lat", "cx", "cy")
    # no memtable of offsets: the expression stays equal run to run (compiled-SQL memo)
    tg = ibis.union(
        *[
            tg.mutate(cx=tg.cx + ox, cy=tg.cy + oy)
            for ox, oy in itertools.product((-1, 0, 1), repeat=2)
        ],
        distinct=False,
    )
    j = pts.join(tg, ["cx", "cy"])
    j = j.mutate(dist_m=_dist_m(j.lon, j.lat, j.t_lon, j.t_lat)).filter(
        lambda t: t.dist_m <= within_m
    )
    w = ibis.window(group_by="alarm_id", order_by=[j.dist_m, j[key]])
    j = j.mutate(_rk=ibis.row_number().over(w)).filter(lambda t: t._rk == 0)
    return j.select("alarm_id", key, "dist_m")


def detect(ctx: Context, p: Params) -> ir.Table:
    """Episodes of camera alarms per enterprise (or grid cell) that reach the confidence."""
    a = ctx.inputs.camera_alarms
    a = a.filter(a.t.notnull() & a.confidence.notnull() & (a.confidence >= p.min_confidence))
    a = a.select("alarm_id", "camera_id", "t", "lon", "lat", "kind", "confidence", "enterprise_id")
    kind_zh = ibis.cases(*[(a.kind == k, v) for k, v in KIND_ZH.items()], else_=a.kind)
    a = a.mutate(kind=kind_zh)
    ents = ctx.inputs.enterprises.select("enterprise_id", "lon", "lat")
    # the alarm's own enterprise when it is registered (here: in the scope's enterprises)
    own = a.semi_join(ents, "enterprise_id")
    own = own.mutate(subject_type=ibis.literal("enterprise"), subject_id=own.enterprise_id)
    rest = a.anti_join(own.select("alarm_id"), "alarm_id")
    rest = rest.filter(rest.lon.notnull() & rest.lat.notnull())
    near_e = _nearest(
        rest.select("alarm_id", "lon", "lat"), ents, "enterprise_id", p.near_enterprise_m
    )
    by_e = rest.drop("enterprise_id").join(near_e.select("alarm_id", "enterprise_id"), "alarm_id")
    by_e = by_e.mutate(subject_type=ibis.literal("enterprise"), subject_id=by_e.enterprise_id)
    far = rest.anti_join(near_e, "alarm_id")
    grids = ctx.inputs.grids.select("grid_id", "lon", "lat")
    near_g = _nearest(
        far.select("alarm_id", "lon", "lat"), grids, "grid_id", p.grid_search_km * 1000
    )
    by_g = far.join(near_g.select("alarm_id", "grid_id"), "alarm_id")
    by_g = by_g.mutate(
        enterprise_id=ibis.null("string"),
        subject_type=ibis.literal("grid"),
        subject_id=by_g.grid_id,
    )
    cols = [
        "alarm_id",
        "camera_id",
        "t",
        "kind",
        "confidence",
        "enterprise_id",
        "subject_type",
        "subject_id",
    ]
    allx = own.select(*cols).union(by_e.select(*cols)).union(by_g.select(*cols))
    ep = islands(
        allx,
        ["subject_type", "subject_id"],
        0,
        p.max_gap_min * 60,
        aggs=lambda t: {
            "enterprise_id": t.enterprise_id.max(),
            "conf_sum": t.confidence.sum(),
            "conf_max": t.confidence.max(),
            "first_t": t.t.min(),
            "last_t": t.t.max(),
            "cams": t.camera_id.nunique(),
            "kinds": t.kind.collect(distinct=True).sort().join("、"),
            "alarm_ids": t.alarm_id.collect(distinct=True).sort().join("|"),
            "camera_ids": t.camera_id.collect(distinct=True).sort().join("|"),
        },
    )
    ep = ep.filter((ep.conf_sum >= p.min_confidence_sum) | (ep.conf_max >= p.high_confidence))
    ep = ep.mutate(start_t=(ep.first_t // 3600) * 3600, end_t=(ep.last_t // 3600 + 1) * 3600)
    out = []
    for st in ("enterprise", "grid"):
        e = ep.filter(ep.subject_type == st)
        out.append(
            finish(
                e,
                enterprise_id=e.enterprise_id,
                subject_type=st,
                subject_id=e.subject_id,
                pollutant=None,
                hours=(e.last_t - e.first_t) / 3600,
                observed=e.conf_sum,
                threshold=p.min_confidence_sum,
                coverage=ibis.literal(1.0),
                alarms=e.n,
                max_confidence=e.conf_max,
                cameras=e.cams,
                alarm_kinds=e.kinds,
                alarm_ids=e.alarm_ids,
                camera_ids=e.camera_ids,
            )
        )
    return out[0].union(out[1])


def summarize(row: dict[str, Any], names: Any) -> str:
    """One sentence for officers."""
    if row["subject_type"] == "grid":
        where = f"网格{row['subject_id']}（附近无登记企业）"
    else:
        where = tx.name(names, "enterprise", row["subject_id"])
    return (
        f"{where}{tx.span_zh(row['start_t'], row['end_t'])}被视频/巡查设备报警"
        f"{int(row['alarms'])}次（{row.get('alarm_kinds') or '异常'}，"
        f"最高置信度{float(row['max_confidence']):.2f}，置信度合计{float(row['observed']):.2f}），"
        f"需现场核实。"
    )


def severity(row: dict[str, Any], p: Params) -> tuple[int, float]:
    """More, more confident and multi-camera alarms are more serious."""
    n = int(row["alarms"])
    top = float(row["max_confidence"])
    total = float(row["observed"])
    cams = int(row.get("cameras") or 1)
    sev = 3 if (n >= 5 and top >= p.high_confidence) or cams >= 3 else 2 if n >= 3 else 1
    # 1 − Π(1 − c) would overstate correlated alarms of one camera; saturate the sum instead
    score = min(0.95, 0.4 + 0.2 * total + (0.1 if cams >= 2 else 0.0))
    return sev, max(score, top * 0.9)


RULE = register(
    Rule(
        code="CAMERA-ALARM",
        family="CAMERA_ALARM",
        title_zh="视频监控多次报警",
        title_en="Repeated or confident camera alarms",
        clause="《大气污染防治法》第一百条、第一百一十九条；非现场监管（视频监控）",
        description_zh=(
            "视频、无人机、热成像或巡查设备在企业处或附近（或无企业时的网格内）多次报警，"
            "或单次报警置信度很高（冒黑烟、露天焚烧、扬尘、偷排等），需现场核实。"
        ),
        description_en=(
            "Video, drone, thermal or patrol alarms at or next to an enterprise (or in a grid "
            "cell with no enterprise near) repeat, or one is highly confident (black smoke, "
            "open burning, dust, bypass discharge…): to be checked on site."
        ),
        evidence={
            "observed": Field("报警置信度合计", "Sum of alarm confidences", "number"),
            "threshold": Field("置信度合计阈值", "Confidence sum needed", "number"),
            "alarms": Field("报警次数", "Alarms", "integer"),
            "max_confidence": Field("最高置信度", "Highest confidence", "number"),
            "cameras": Field("报警设备数", "Cameras", "integer"),
            "alarm_kinds": Field("报警类型", "Alarm kinds", "text"),
            "alarm_ids": Field("报警记录", "Alarm records", "names"),
            "camera_ids": Field("报警设备编号", "Camera ids", "names"),
        },
        parameters={
            "near_enterprise_m": Field(
                "企业附近距离", "Distance to an enterprise", unit="m", decimals=0
            ),
            "grid_search_km": Field("网格搜索距离", "Grid search distance", unit="km", decimals=1),
            "max_gap_min": Field("合并间隔上限", "Longest gap merged", "minutes"),
            "min_confidence": Field("最低计入置信度", "Least confidence counted"),
            "min_confidence_sum": Field("置信度合计阈值", "Confidence sum needed"),
            "high_confidence": Field("高置信度", "High confidence"),
        },
        params_type=Params,
        needs=("enterprises", "grids", "camera_alarms"),
        requires=("camera_alarms",),
        detect=detect,
        summarize=summarize,
        severity=severity,
        scope="enterprise",
    )
)
