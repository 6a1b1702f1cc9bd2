"""Fixture tests of the sub-metering and emergency rules, and of AMB-HOTSPOT."""

from __future__ import annotations

from rules_fixtures import Bundle, day_shift, detect, iso, t_of, wiggle


def line(
    b: Bundle,
    prod: object,
    treat: object,
    days: int = 4,
    eid: str = "E1",
    line_id: str = "E1-L1",
    step: int = 5,
) -> Bundle:
    b.meter("MP", eid, line_id, "production", 120).meter("MT", eid, line_id, "treatment", 60)
    b.power("MP", 24 * days, prod, step)  # type: ignore[arg-type]
    b.power("MT", 24 * days, treat, step)  # type: ignore[arg-type]
    return b


def prod_day(h: float) -> float:
    return 100.0 if day_shift(h) else 1.0


# -- POWER-TREAT-OFF -------------------------------------------------------------------------
def test_treatment_off_while_producing() -> None:
    def treat(h: float) -> float:
        if 24 + 10 <= h < 24 + 11.5:  # day 2, off for 90 min while producing
            return 0.4
        return 50.0 if day_shift(h) else 0.4

    leads = detect(line(Bundle().enterprise("E1"), prod_day, treat).build(), "POWER-TREAT-OFF")
    assert [(ld.subject_type, ld.subject_id, ld.start, ld.end) for ld in leads] == [
        ("line", "E1-L1", iso(34), iso(35.5))
    ]
    assert leads[0].evidence["meter_ids"] == ["MT"]
    assert "MT" in leads[0].summary


def test_treatment_start_lag_and_joint_stop_are_benign() -> None:
    def treat(h: float) -> float:  # starts 10 min after production, stops 10 min before
        return 50.0 if 8 + 10 / 60 <= h % 24 < 20 - 10 / 60 else 0.4

    b = line(Bundle().enterprise("E1"), prod_day, treat)
    assert detect(b.build(), "POWER-TREAT-OFF") == []


def test_start_up_lag_below_the_minimum_with_1_minute_meters() -> None:
    """Production starts at 08:07, treatment at 08:30: 23 min of overlap (< 30 min), even
    though the lag spans two 15-minute clock quarters; a 35-min lag is a lead."""

    def prod(h: float) -> float:
        return 100.0 if 8 + 7 / 60 <= h % 24 < 20 else 1.0

    def treat_at(start_min: float) -> object:
        return lambda h: 50.0 if 8 + start_min / 60 <= h % 24 < 20 else 0.4

    b = line(Bundle().enterprise("E1"), prod, treat_at(30), step=1)
    assert detect(b.build(), "POWER-TREAT-OFF") == []
    b = line(Bundle().enterprise("E1"), prod, treat_at(42), step=1)
    leads = detect(b.build(), "POWER-TREAT-OFF")
    assert leads and {ld.subject_id for ld in leads} == {"E1-L1"}
    assert all(35 / 60 - 0.1 <= ld.evidence["hours"] <= 40 / 60 for ld in leads)


def test_treatment_off_with_15_minute_meters() -> None:
    def treat(h: float) -> float:
        if 48 + 9 <= h < 48 + 12:
            return 0.3
        return 50.0 if day_shift(h) else 0.3

    b = line(Bundle().enterprise("E1"), prod_day, treat, step=15)
    leads = detect(b.build(), "POWER-TREAT-OFF")
    assert [(ld.start, ld.end) for ld in leads] == [(iso(57), iso(60))]


# -- POWER-TREAT-LOW -------------------------------------------------------------------------
def test_treatment_low_while_production_normal_only() -> None:
    def prod(h: float) -> float:
        if 72 + 10 <= h < 72 + 14:  # day 4: production reduced to 40 % (not normal)
            return 40.0
        return prod_day(h)

    def treat(h: float) -> float:
        if 24 + 9 <= h < 24 + 12:  # day 2: 30 % of normal during full production
            return 15.0
        if 72 + 10 <= h < 72 + 14:  # day 4: low because production is low: benign
            return 15.0
        if 48 + 9 <= h < 48 + 12:  # day 3: 85 % of normal: natural variation
            return 42.5
        return 50.0 if day_shift(h) else 0.4

    leads = detect(line(Bundle().enterprise("E1"), prod, treat).build(), "POWER-TREAT-LOW")
    assert [(ld.start, ld.end) for ld in leads] == [(iso(33), iso(36))]
    assert 0.25 < leads[0].evidence["observed"] < 0.35


def test_treatment_low_straddling_the_hours_and_from_the_first_producing_hour() -> None:
    """Derated 10:30-12:30 (half of hours 10 and 12 low) and 8:00-10:00 right after the
    start: each is one lead with its partly low edge hours; the old hourly judgement saw
    one low hour each (below the 2-h minimum)."""

    def treat(h: float) -> float:
        if 24 + 10.5 <= h < 24 + 12.5 or 48 + 8 <= h < 48 + 10:
            return 25.0
        return 50.0 if day_shift(h) else 0.4

    leads = detect(line(Bundle().enterprise("E1"), prod_day, treat).build(), "POWER-TREAT-LOW")
    assert [(ld.start, ld.end) for ld in leads] == [(iso(34), iso(37)), (iso(56), iso(58))]
    assert all(0.45 < ld.evidence["observed"] < 0.55 for ld in leads)


def test_treatment_low_one_hour_across_two_hours_is_not_a_lead() -> None:
    """Derated 10:30-11:30 (two half-low hours, 1 h in all) or one full hour: no lead."""

    def treat(h: float) -> float:
        if 24 + 10.5 <= h < 24 + 11.5 or 48 + 13 <= h < 48 + 14:
            return 25.0
        return 50.0 if day_shift(h) else 0.4

    leads = detect(line(Bundle().enterprise("E1"), prod_day, treat).build(), "POWER-TREAT-LOW")
    assert leads == []


# -- POWER-EMERGENCY -------------------------------------------------------------------------
def alert(b: Bundle, start_h: float, end_h: float, city: str = "清河市") -> Bundle:
    b.rows["alerts"].append(
        {
            "alert_id": "A1",
            "city": city,
            "level": "orange",
            "start_t": t_of(start_h),
            "end_t": t_of(end_h),
        }
    )
    return b


def measure(b: Bundle, action: str, pct: float | None, level: str = "orange") -> Bundle:
    b.rows["measures"].append(
        {
            "enterprise_id": "E1",
            "line_id": "E1-L1",
            "level": level,
            "action": action,
            "limit_pct": pct,
        }
    )
    return b


def test_emergency_stop_violated_and_complied() -> None:
    # alert day 3 06:00 to day 4 06:00; the line keeps its day shift -> violation 08-20
    b = line(Bundle().enterprise("E1"), prod_day, lambda h: 50.0 if day_shift(h) else 0.4)
    leads = detect(measure(alert(b, 54, 78), "stop", None).build(), "POWER-EMERGENCY")
    assert [(ld.start, ld.end) for ld in leads] == [(iso(56), iso(68))]
    assert leads[0].evidence["action"] == "stop" and leads[0].evidence["alert_id"] == "A1"

    def complied(h: float) -> float:
        return 1.0 if 54 <= h < 78 else prod_day(h)

    b2 = line(Bundle().enterprise("E1"), complied, lambda h: 50.0 if day_shift(h) else 0.4)
    assert detect(measure(alert(b2, 54, 78), "stop", None).build(), "POWER-EMERGENCY") == []
    # an alert of another city does not apply
    b3 = line(Bundle().enterprise("E1"), prod_day, lambda h: 50.0 if day_shift(h) else 0.4)
    b3 = measure(alert(b3, 54, 78, city="别的市"), "stop", None)
    assert detect(b3.build(), "POWER-EMERGENCY") == []


def test_emergency_limit_uses_hour_of_day_baseline() -> None:
    def reduced(h: float) -> float:  # runs at 65 % during the alert: complies with limit 30
        return 65.0 if (54 <= h < 78 and day_shift(h)) else prod_day(h)

    b = line(Bundle().enterprise("E1"), reduced, lambda h: 50.0 if day_shift(h) else 0.4)
    assert detect(measure(alert(b, 54, 78), "limit", 30).build(), "POWER-EMERGENCY") == []
    b2 = line(Bundle().enterprise("E1"), prod_day, lambda h: 50.0 if day_shift(h) else 0.4)
    leads = detect(measure(alert(b2, 54, 78), "limit", 30).build(), "POWER-EMERGENCY")
    assert [(ld.start, ld.end) for ld in leads] == [(iso(56), iso(68))]
    assert abs(leads[0].evidence["threshold"] - 70.0) < 3


# -- AMB-HOTSPOT -----------------------------------------------------------------------------
def stations(b: Bundle, n: int = 5, city: str = "清河市") -> Bundle:
    for k in range(n):
        b.rows["stations"].append(
            {"station_id": f"S{k}", "name": f"站{k}", "kind": "township", "city": city}
        )
    return b


def amb(b: Bundle, sid: str, hours: int, pollutant: str, value: object) -> Bundle:
    for h in range(hours):
        v = value(h)  # type: ignore[operator]
        b.rows["ambient"].append(
            {"station_id": sid, "t": t_of(h), "pollutant": pollutant, "value": v}
        )
    return b


def test_hotspot_vs_other_stations_not_regional_episode() -> None:
    b = stations(Bundle())
    for k in range(5):

        def pm25(h: int, k: int = k) -> float:
            base = 40 + 10 * wiggle(h + k, 1)
            if 30 <= h < 40:  # regional episode: everyone high
                base = 200 + 20 * wiggle(h * k, 1)
            if k == 2 and 10 <= h < 15:  # hot spot at S2
                base = 180
            return base

        amb(b, f"S{k}", 48, "PM2.5", pm25)
        amb(b, f"S{k}", 48, "PM10", lambda h, k=k: 80 + 10 * wiggle(h + 2 * k, 1))
    leads = detect(b.build(), "AMB-HOTSPOT")
    assert [(ld.subject_id, ld.pollutant, ld.start, ld.end) for ld in leads] == [
        ("S2", "PM2.5", iso(10), iso(15))
    ]
    assert leads[0].enterprise_id is None and leads[0].subject_type == "station"


def test_a_repeated_registry_meter_line_changes_nothing() -> None:
    """A meter listed twice in meters.csv counts once (no doubled samples or meters)."""

    def treat(h: float) -> float:
        if 24 + 10 <= h < 24 + 11.5:
            return 0.4
        return 50.0 if day_shift(h) else 0.4

    once = detect(line(Bundle().enterprise("E1"), prod_day, treat).build(), "POWER-TREAT-OFF")
    b = line(Bundle().enterprise("E1"), prod_day, treat)
    b.meter("MT", "E1", "E1-L1", "treatment", 60)  # the same meter again
    twice = detect(b.build(), "POWER-TREAT-OFF")
    assert len(once) == 1
    assert twice == once
