"""Demo video / thermal alarms (``data/camera_alarms.csv``) with labelled CAMERA_ALARM incidents.

About a third of the enterprises (at least three) have one or two cameras pointing at their
stacks and yards. An incident (labelled ``CAMERA_ALARM``, subject the enterprise) is a series
of 4-7 confident alarms (confidence 0.78-0.97) of the same kind 4-15 minutes apart. Benign
look-alikes: isolated low-confidence alarms (0.15-0.5), at least six hours from any other
alarm of the same enterprise, and a few low-confidence patrol reports of open burning with
no enterprise.

References
----------
.. [1] 生态环境部《关于加强重点排污单位自动监控及视频监控工作的通知》 and the Handan
   视频监控 practice described in issue #17 (alarms pushed per camera with a confidence).
   Unverified: counts, spacing and confidences are this project's choice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from lantian.demo.bundle import write_csv_rows
from lantian.demo.clues.grids import Grid
from lantian.demo.incidents import Label
from lantian.timeutil import isoformat_cst

if TYPE_CHECKING:
    from lantian.demo.clues import ClueContext

CAMERA_SHARE = 0.35
"""Share of enterprises with cameras."""
INCIDENT_RATE = 0.5
"""Incidents per day of the period."""
KIND_BY_INDUSTRY: dict[str, str] = {
    "coal_power": "black_smoke",
    "steel": "black_smoke",
    "coking": "black_smoke",
    "industrial_boiler": "black_smoke",
    "cement": "dust",
    "glass": "black_smoke",
    "waste_incineration": "black_smoke",
    "printing": "bypass_discharge",
    "coating": "bypass_discharge",
    "furniture": "bypass_discharge",
    "chemical": "bypass_discharge",
    "petrochem": "bypass_discharge",
}
"""Alarm kind of an incident by industry (else ``other``)."""

Alarm = tuple[int, str, str, float, float, str, float, str | None]
"""(minute from the period start, source, camera_id, lon, lat, kind, confidence, enterprise_id)."""


def simulate_cameras(ctx: ClueContext, grid: Grid) -> tuple[list[Alarm], list[Label]]:
    """Alarms and the labels of the incidents."""
    seed = int(ctx.cfg.seed)
    rng = np.random.default_rng([seed, 0xC1, 4])
    reg = ctx.reg
    minutes = int(ctx.cfg.days) * 24 * 60
    ents = reg.enterprises
    n_cam = min(len(ents), max(3, round(len(ents) * CAMERA_SHARE)))
    chosen = sorted(rng.choice(len(ents), size=n_cam, replace=False).tolist())
    cameras: list[tuple[str, int, float, float]] = []  # camera_id, enterprise index, lon, lat
    for i in chosen:
        e = ents[i]
        for _ in range(1 + int(rng.random() < 0.4)):
            cameras.append(
                (
                    f"CAM{len(cameras) + 1:03d}",
                    int(i),
                    e.lon + float(rng.normal(0, 0.0008)),
                    e.lat + float(rng.normal(0, 0.0006)),
                )
            )
    alarms: list[Alarm] = []
    labels: list[Label] = []
    times: dict[int, list[int]] = {}  # enterprise index -> alarm minutes
    n_inc = max(2, round(int(ctx.cfg.days) * INCIDENT_RATE))
    for _ in range(n_inc * 30):
        if len(labels) >= n_inc or minutes < 24 * 60:
            break
        cam_id, ei, lon, lat = cameras[int(rng.integers(len(cameras)))]
        count = int(rng.integers(4, 8))
        gaps = rng.integers(4, 16, count - 1)
        span = int(gaps.sum())
        t0 = int(rng.integers(60, minutes - span - 60))
        if any(abs(t - t0) < 12 * 60 or abs(t - t0 - span) < 12 * 60 for t in times.get(ei, [])):
            continue
        kind = KIND_BY_INDUSTRY.get(ents[ei].industry, "other")
        source = "thermal" if rng.random() < 0.2 else "video"
        ts = [t0, *(t0 + np.cumsum(gaps)).tolist()]
        for t in ts:
            alarms.append(
                (
                    int(t),
                    source,
                    cam_id,
                    lon,
                    lat,
                    kind,
                    round(float(rng.uniform(0.78, 0.97)), 2),
                    ents[ei].enterprise_id,
                )
            )
        times.setdefault(ei, []).extend(int(t) for t in ts)
        labels.append(
            Label(
                "CAMERA_ALARM",
                ents[ei].enterprise_id,
                "enterprise",
                ents[ei].enterprise_id,
                None,
                int(ts[0]),
                int(ts[-1]) + 1,
                {"kind": kind, "alarms": len(ts), "camera_id": cam_id},
            )
        )
    # Benign: isolated low-confidence alarms, about one per camera every two days.
    n_benign = max(2, round(len(cameras) * int(ctx.cfg.days) / 2))
    for _ in range(n_benign * 5):
        if n_benign <= 0:
            break
        cam_id, ei, lon, lat = cameras[int(rng.integers(len(cameras)))]
        t = int(rng.integers(0, minutes))
        if any(abs(x - t) < 6 * 60 for x in times.get(ei, [])):
            continue
        kind = KIND_BY_INDUSTRY.get(ents[ei].industry, "other")
        if rng.random() < 0.4:
            kind = "other"
        conf = round(float(rng.uniform(0.15, 0.5)), 2)
        alarms.append((t, "video", cam_id, lon, lat, kind, conf, ents[ei].enterprise_id))
        times.setdefault(ei, []).append(t)
        n_benign -= 1
    # Benign: patrol reports of open burning away from enterprises, low confidence.
    for _ in range(max(1, int(ctx.cfg.days) // 4)):
        k = int(rng.integers(grid.size))
        alarms.append(
            (
                int(rng.integers(0, minutes)),
                "patrol",
                "",
                float(grid.lon[k]),
                float(grid.lat[k]),
                "open_burning",
                round(float(rng.uniform(0.2, 0.45)), 2),
                None,
            )
        )
    alarms.sort(key=lambda a: (a[0], a[2]))
    return alarms, labels


def write_cameras(ctx: ClueContext, grid: Grid) -> tuple[int, list[Label]]:
    """Write ``data/camera_alarms.csv``; rows written and the labels."""
    alarms, labels = simulate_cameras(ctx, grid)
    base = ctx.start
    rows = [
        {
            "alarm_id": f"AL{k:05d}",
            "source": source,
            "camera_id": cam or None,
            "time": isoformat_cst(base + timedelta(minutes=t)),
            "lon": f"{lon:.6f}",
            "lat": f"{lat:.6f}",
            "kind": kind,
            "confidence": f"{conf:.2f}",
            "enterprise_id": eid,
            "image": f"demo://alarms/AL{k:05d}.jpg",
        }
        for k, (t, source, cam, lon, lat, kind, conf, eid) in enumerate(alarms, 1)
    ]
    write_csv_rows(
        ctx.root / "data" / "camera_alarms.csv",
        [
            "alarm_id",
            "source",
            "camera_id",
            "time",
            "lon",
            "lat",
            "kind",
            "confidence",
            "enterprise_id",
            "image",
        ],
        rows,
    )
    return len(rows), labels
