"""Fixture tests of CAMERA-ALARM (contract v2 camera alarms)."""

from __future__ import annotations

from typing import Any

from rules_fixtures import Bundle, detect, iso, t_of

# enterprise E1 at (116.000, 39.000); E2 about 2.6 km east; grid cells of 3 km
E_POS = {"E1": (116.000, 39.000), "E2": (116.030, 39.000)}


def camera_world() -> Bundle:
    b = Bundle().enterprise("E1").enterprise("E2")
    for row in b.rows["enterprises"]:
        row["lon"], row["lat"] = E_POS[row["enterprise_id"]]
    for gid, lon, lat in (("G1", 116.10, 39.00), ("G2", 116.135, 39.00)):
        b.rows["grids"].append(
            {"grid_id": gid, "lon": lon, "lat": lat, "cell_km": 3.0, "city": "清河市"}
        )
    return b


def alarm(
    b: Bundle,
    aid: str,
    h: float,
    conf: float,
    enterprise: str | None = "E1",
    pos: tuple[float, float] = (116.001, 39.001),
    kind: str = "black_smoke",
    camera: str = "C1",
) -> Bundle:
    row: dict[str, Any] = {
        "alarm_id": aid,
        "source": "video",
        "camera_id": camera,
        "t": t_of(h),
        "lon": pos[0],
        "lat": pos[1],
        "kind": kind,
        "confidence": conf,
        "enterprise_id": enterprise,
        "image": None,
    }
    b.rows["camera_alarms"].append(row)
    return b


def test_camera_alarm_repeated_alarms_are_one_episode_lead() -> None:
    b = camera_world()
    alarm(b, "A1", 10.2, 0.8)
    alarm(b, "A2", 10.6, 0.75, kind="dust", camera="C2")  # 24 min later: same episode
    leads = detect(b.build(), "CAMERA-ALARM")
    assert [(ld.subject_type, ld.subject_id, ld.enterprise_id) for ld in leads] == [
        ("enterprise", "E1", "E1")
    ]
    ld = leads[0]
    assert (ld.start, ld.end, ld.family) == (iso(10), iso(11), "CAMERA_ALARM")
    ev = ld.evidence
    assert ev["alarms"] == 2 and ev["cameras"] == 2
    assert abs(ev["observed"] - 1.55) < 1e-9 and ev["max_confidence"] == 0.8
    assert ev["alarm_ids"] == ["A1", "A2"] and ev["camera_ids"] == ["C1", "C2"]
    assert ev["alarm_kinds"] == "冒黑烟、扬尘"
    assert "冒黑烟" in ld.summary and "E1公司" in ld.summary


def test_camera_alarm_isolated_low_confidence_is_not_a_lead_but_high_is() -> None:
    b = camera_world()
    alarm(b, "A1", 10, 0.8)  # alone: 0.8 < 1.5 and < 0.9
    alarm(b, "A2", 14, 0.85)  # 4 h later: a separate episode, also alone
    for i in range(4):  # many alarms below min_confidence are not counted at all
        alarm(b, f"L{i}", 20 + i * 0.1, 0.25)
    assert detect(b.build(), "CAMERA-ALARM") == []
    alarm(b, "A3", 30, 0.95)  # one highly confident alarm is enough
    leads = detect(b.build(), "CAMERA-ALARM")
    assert [(ld.subject_id, ld.start) for ld in leads] == [("E1", iso(30))]
    assert leads[0].evidence["alarms"] == 1


def test_camera_alarm_located_to_the_nearest_enterprise_or_grid() -> None:
    b = camera_world()
    # no enterprise_id, 170 m from E2 (2.6 km from E1): E2's lead
    alarm(b, "A1", 10.0, 0.95, enterprise=None, pos=(116.031, 39.001))
    # 3.5 km from E2, nearest grid centre G1 (0.9 km): a grid lead without enterprise
    alarm(b, "A2", 12.0, 0.95, enterprise=None, pos=(116.090, 39.001), kind="open_burning")
    # near nothing at all (no enterprise within 500 m, no grid within 5 km): dropped
    alarm(b, "A3", 13.0, 0.99, enterprise=None, pos=(117.0, 40.0))
    # an alarm naming an unregistered enterprise is located by its position: G2
    alarm(b, "A4", 14.0, 0.95, enterprise="E9", pos=(116.130, 39.0))
    leads = detect(b.build(), "CAMERA-ALARM")
    got = [(ld.subject_type, ld.subject_id, ld.enterprise_id) for ld in leads]
    assert got == [("enterprise", "E2", "E2"), ("grid", "G1", None), ("grid", "G2", None)]
    assert "露天焚烧" in leads[1].summary and "网格G1" in leads[1].summary


def test_camera_alarm_gap_splits_episodes_and_parameters_apply() -> None:
    b = camera_world()
    alarm(b, "A1", 10.0, 0.8)
    alarm(b, "A2", 11.5, 0.8)  # 90 min later: beyond the 60-min gap
    assert detect(b.build(), "CAMERA-ALARM") == []
    leads = detect(b.build(), "CAMERA-ALARM", params={"max_gap_min": 120})
    assert len(leads) == 1 and leads[0].evidence["alarms"] == 2
