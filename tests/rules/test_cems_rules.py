"""Fixture tests of the CEMS rules: incidents fire, benign look-alikes do not."""

from __future__ import annotations

from collections.abc import Callable

from rules_fixtures import Bundle, day_shift, detect, iso, standard_line, wiggle

SO2, NOX, PM, O2 = "a21026", "a21002", "a34013", "a19001"


def base(days: int = 3) -> Bundle:
    b = Bundle().enterprise("E1").outlet("P1", "E1", "E1-L1", o2_ref=None)
    return standard_line(b, days=days)


def producing(h: int) -> bool:
    return day_shift(h)


# -- CEMS-EXCEED -----------------------------------------------------------------------------
def test_exceed_fires_once_per_episode_with_evidence() -> None:
    b = base().cems("P1", 72, SO2, lambda h: 60.0 if 10 <= h < 14 else 20 + 3 * wiggle(h, 1))
    leads = detect(b.build(), "CEMS-EXCEED")
    assert [(ld.start, ld.end, ld.pollutant) for ld in leads] == [(iso(10), iso(14), SO2)]
    ld = leads[0]
    assert ld.family == "EXCEEDANCE" and ld.subject_type == "outlet" and ld.subject_id == "P1"
    assert ld.evidence["observed"] == 60.0 and ld.evidence["threshold"] == 35.0
    assert "二氧化硫" in ld.summary and "35mg/m³" in ld.summary
    assert 1 <= ld.severity <= 3 and 0 <= ld.score <= 1


def test_exceed_ignores_calibration_and_marked_hours() -> None:
    b = base().cems(
        "P1",
        72,
        SO2,
        lambda h: 60.0 if 10 <= h < 14 else 20.0,
        flag=lambda h: {10: "C", 11: "M", 12: "F", 13: "D"}.get(h, "N"),
    )
    assert detect(b.build(), "CEMS-EXCEED") == []


def test_exceed_computes_zs_from_o2_and_guards_near_21() -> None:
    b = Bundle().enterprise("E1").outlet("P1", "E1", "E1-L1", o2_ref=6.0)
    standard_line(b)
    # 30 mg/m3 at O2 12 % -> 30 * 15 / 9 = 50 > 35 (hours 10-12); at O2 20.5 % no judgement
    b.cems("P1", 72, SO2, lambda h: 30.0 if 10 <= h < 12 or 30 <= h < 33 else 10.0)
    b.cems("P1", 72, O2, lambda h: 20.5 if 30 <= h < 33 else 12.0)
    leads = detect(b.build(), "CEMS-EXCEED")
    assert [(ld.start, ld.end) for ld in leads] == [(iso(10), iso(12))]
    assert leads[0].evidence["observed"] == 50.0


def test_exceed_t_flag_counts_and_gaps_merge() -> None:
    b = base().cems(
        "P1",
        72,
        NOX,
        lambda h: 80.0 if h in (10, 11, 13, 14) else 20.0,
        flag=lambda h: "T" if h == 11 else "N",
    )
    leads = detect(b.build(), "CEMS-EXCEED")
    assert [(ld.start, ld.end) for ld in leads] == [(iso(10), iso(15))]
    assert leads[0].evidence["t_flag_hours"] == 1


# -- CEMS-FLATLINE ---------------------------------------------------------------------------
def test_flatline_while_producing_fires_but_not_when_stopped_or_short() -> None:
    def v(h: int) -> float:
        if 8 <= h < 16:  # producing, constant 8 h
            return 12.5
        if 24 <= h < 32 and not h >= 24 + 8:  # producing hours 8-..., varied
            return 12 + wiggle(h, 3)
        if 48 + 0 <= h < 48 + 8:  # night, stopped: constant is fine
            return 3.0
        if 48 + 10 <= h < 48 + 15:  # producing, constant only 5 h
            return 7.7
        return 10 + wiggle(h, 3) + h % 3

    b = base().cems("P1", 72, SO2, v)
    leads = detect(b.build(), "CEMS-FLATLINE")
    assert [(ld.start, ld.end, ld.evidence["observed"]) for ld in leads] == [
        (iso(8), iso(16), 12.5)
    ]


# -- CEMS-PINNED -----------------------------------------------------------------------------
def test_pinned_needs_level_and_unusually_low_variation() -> None:
    # continuous producer; days 1-2 normal scatter; day 3-4 pinned at 93 % of 35 with CV 1 %
    b = Bundle().enterprise("E1").outlet("P1", "E1", "E1-L1")
    b.meter("MP", "E1", "E1-L1", "production").power("MP", 96, lambda h: 100.0)

    def so2(h: int) -> float:
        if h >= 48:
            return 32.5 * (1 + 0.01 * (1 if h % 2 else -1))
        return 20 * (1 + 0.3 * wiggle(h, 1) + 0.2 * ((h * 7) % 5 - 2) / 2)

    b.cems("P1", 96, SO2, so2)
    leads = detect(b.build(), "CEMS-PINNED")
    assert len(leads) == 1
    assert leads[0].evidence["level_of_limit"] > 0.9
    # look-alike: high but normally scattered values (CV like the rest) never fire
    b2 = Bundle().enterprise("E1").outlet("P1", "E1", "E1-L1")
    b2.meter("MP", "E1", "E1-L1", "production").power("MP", 96, lambda h: 100.0)
    b2.cems("P1", 96, SO2, lambda h: 31 * (1 + 0.08 * ((h * 7) % 5 - 2) / 2))
    assert detect(b2.build(), "CEMS-PINNED") == []


def test_pinned_for_most_of_the_period_is_judged_against_the_normal_days() -> None:
    """Pinned for 5 of 8 days: the yardstick is the outlet's CV away from the limit (days
    1-3), not a median that the pinned days themselves dominate. A process that always runs
    smoothly near the limit (no days away from it) is compared with itself and stays quiet."""

    def so2(h: int) -> float:
        if h >= 72:
            return 32.5 * (1 + 0.015 * (1 if h % 2 else -1))
        return 20 * (1 + 0.3 * wiggle(h, 1) + 0.2 * ((h * 7) % 5 - 2) / 2)

    def bundle(value: Callable[[int], float]) -> Bundle:
        b = Bundle().enterprise("E1").outlet("P1", "E1", "E1-L1")
        b.meter("MP", "E1", "E1-L1", "production").power("MP", 192, lambda h: 100.0)
        return b.cems("P1", 192, SO2, value)

    leads = detect(bundle(so2).build(), "CEMS-PINNED")
    assert len(leads) == 1 and leads[0].start <= iso(72 + 6) and leads[0].end >= iso(186)
    assert leads[0].evidence["own_typical_cv"] > 0.05
    smooth = bundle(lambda h: 32.5 * (1 + 0.015 * (1 if h % 2 else -1)))
    assert detect(smooth.build(), "CEMS-PINNED") == []


# -- CEMS-O2 ---------------------------------------------------------------------------------
def test_o2_high_while_producing_but_not_while_stopped() -> None:
    b = Bundle().enterprise("E1").outlet("P1", "E1", "E1-L1", o2_ref=6.0)
    standard_line(b)

    def o2(h: int) -> float:
        if 33 <= h < 40:  # day 2, producing: dilution
            return 19.8
        if not producing(h):  # stopped: air in the duct is normal
            return 20.8
        return 9.0 + wiggle(h, 1)

    b.cems("P1", 72, O2, o2)
    leads = detect(b.build(), "CEMS-O2")
    assert [(ld.start, ld.end, ld.pollutant) for ld in leads] == [(iso(33), iso(40), O2)]
    assert "稀释" in leads[0].summary


# -- CEMS-MISSING ----------------------------------------------------------------------------
def test_missing_while_producing_only() -> None:
    def so2(h: int) -> float | None:
        if 34 <= h < 39:  # producing, 5 h absent
            return None
        if 56 <= h < 59:  # producing, 3 h absent: tolerated
            return None
        if not producing(h):  # stopped: no data is fine
            return None
        return 10.0 + wiggle(h, 2)

    # hours 9-14: rows present but flagged B (communication fault) for every pollutant
    b = base().cems("P1", 72, SO2, so2, flag=lambda h: "B" if 9 <= h < 14 else "N")
    b.cems("P1", 72, PM, lambda h: 3.0 if 9 <= h < 14 else None, flag=lambda h: "B")
    leads = detect(b.build(), "CEMS-MISSING")
    got = [(ld.start, ld.end) for ld in leads]
    assert got == [(iso(9), iso(14)), (iso(34), iso(39))]
    assert leads[0].evidence["fault_flag_hours"] == 5


def test_missing_one_pollutant_names_it() -> None:
    """NOx absent 5 production hours, then flagged D for 5: two NOx leads; SO2 fine."""

    def nox(h: int) -> float | None:
        return None if 10 <= h < 15 else 30.0 + wiggle(h, 3)

    b = base().cems("P1", 72, SO2, lambda h: 10.0 + wiggle(h, 2))
    b.cems("P1", 72, NOX, nox, flag=lambda h: "D" if 33 <= h < 38 else "N")
    leads = detect(b.build(), "CEMS-MISSING")
    got = [(ld.start, ld.end, ld.pollutant) for ld in leads]
    assert got == [(iso(10), iso(15), NOX), (iso(33), iso(38), NOX)]
    assert leads[0].evidence["absent_hours"] == 5
    assert leads[1].evidence["fault_flag_hours"] == 5
    assert "氮氧化物" in leads[0].summary


def test_missing_one_pollutant_benign_look_alikes() -> None:
    """Not measured at all, calibration (C), stopped line, 3 h only: no lead."""

    def nox(h: int) -> float | None:
        if not producing(h) and 40 <= h < 48:  # night of day 2: stopped, analyser off
            return None
        if 58 <= h < 61:  # 3 production hours: tolerated
            return None
        return 30.0 + wiggle(h, 3)

    b = base().cems("P1", 72, SO2, lambda h: 10.0 + wiggle(h, 2))
    b.cems("P1", 72, NOX, nox, flag=lambda h: "C" if 33 <= h < 39 else "N")
    # PM: a few stray rows, never valid most of the time: not measured at this outlet
    b.cems("P1", 72, PM, lambda h: 1.0 if h in (9, 10) else None, flag=lambda h: "B")
    assert detect(b.build(), "CEMS-MISSING") == []


def test_missing_outlet_wide_outage_is_one_lead_without_pollutant() -> None:
    """Every analyser out (absent, or B while flow still reports): one lead per outage."""

    def gas(h: int) -> float | None:
        return None if 10 <= h < 15 else 20.0 + wiggle(h, 2)

    def flag(h: int) -> str:
        return "B" if 33 <= h < 38 else "N"

    b = base().cems("P1", 72, SO2, gas, flag=flag).cems("P1", 72, NOX, gas, flag=flag)
    b.cems("P1", 72, "a00000", lambda h: None if 10 <= h < 15 else 9e4 + h)
    leads = detect(b.build(), "CEMS-MISSING")
    got = [(ld.start, ld.end, ld.pollutant) for ld in leads]
    assert got == [(iso(10), iso(15), None), (iso(33), iso(38), None)]


# -- CEMS-FLAG-ABUSE -------------------------------------------------------------------------
def test_flag_abuse_stopped_flag_while_power_shows_production() -> None:
    def flag(h: int) -> str:
        if 10 <= h < 14:  # F while producing
            return "F"
        if h == 32:  # daily calibration, 1 h
            return "C"
        if not producing(h):  # F while really stopped
            return "F"
        return "N"

    b = base().cems("P1", 72, SO2, lambda h: 10.0 + wiggle(h, 2), flag=flag)
    leads = detect(b.build(), "CEMS-FLAG-ABUSE")
    assert [(ld.start, ld.end) for ld in leads] == [(iso(10), iso(14))]
    assert leads[0].evidence["f_hours"] == 4


def test_flag_abuse_counts_the_first_hours_of_production() -> None:
    """Maintenance marks in the first 3 production hours of a day are 3 marked hours while
    producing (a start-up grace used to hide the first one); 2 such hours are not a lead."""

    def flag(h: int) -> str:
        if 32 <= h < 35 or 56 <= h < 58:  # M from the start of production
            return "M"
        return "N" if producing(h) else "F"

    b = base().cems("P1", 72, SO2, lambda h: 10.0 + wiggle(h, 2), flag=flag)
    leads = detect(b.build(), "CEMS-FLAG-ABUSE")
    assert [(ld.start, ld.end) for ld in leads] == [(iso(32), iso(35))]
    assert leads[0].evidence["m_hours"] == 3


# -- CEMS-CLONED -----------------------------------------------------------------------------
def test_cloned_across_enterprises_not_constant_not_same_enterprise() -> None:
    b = Bundle().enterprise("E1").enterprise("E2")
    b.outlet("P1", "E1", None).outlet("P2", "E2", None).outlet("P3", "E1", None)

    def series(seed: int) -> Callable[[int], float]:
        return lambda h: round(20 + 5 * wiggle(h * seed, 1) + (h % 4), 1)

    shared = series(3)
    b.cems("P1", 48, SO2, lambda h: shared(h) if 10 <= h < 26 else series(5)(h) + 30)
    b.cems("P2", 48, SO2, lambda h: shared(h) if 8 <= h < 30 else series(7)(h) + 60)
    b.cems("P3", 48, SO2, lambda h: shared(h) if 10 <= h < 26 else series(11)(h) + 90)
    b.cems("P1", 48, PM, lambda h: 5.0)  # identical constants: not a clone
    b.cems("P2", 48, PM, lambda h: 5.0)
    leads = detect(b.build(), "CEMS-CLONED")
    pairs = sorted(
        (ld.subject_id, ld.evidence["other_outlet_id"], ld.start, ld.end) for ld in leads
    )
    assert pairs == [("P1", "P2", iso(10), iso(26)), ("P2", "P3", iso(10), iso(26))]


def test_cloned_series_carries_its_sources_gaps() -> None:
    """A copy leaves out the hours its source left out: 8 identical hours, 3 hours that
    neither outlet reported, 4 more identical hours = one 15-h episode (it used to need 12
    consecutive identical hours and was missed). A gap at one outlet only is no copy."""
    b = Bundle().enterprise("E1").enterprise("E2").enterprise("E3")
    b.outlet("P1", "E1", None).outlet("P2", "E2", None).outlet("P3", "E3", None)

    def series(seed: int) -> Callable[[int], float]:
        return lambda h: round(20 + 5 * wiggle(h * seed, 1) + (h % 4), 1)

    src = series(3)

    def gap(h: int) -> bool:
        return 18 <= h < 21

    b.cems("P1", 48, SO2, lambda h: None if gap(h) else src(h))
    b.cems("P2", 48, SO2, lambda h: None if gap(h) else (src(h) if 10 <= h < 25 else 90 + h))
    # P3 copies P1 for 12 hours, but reports its own values while P1 is silent
    b.cems("P3", 48, SO2, lambda h: src(h) if 30 <= h < 42 and not 34 <= h < 36 else 50 + h)
    b.cems("P1", 48, PM, lambda h: None if 30 <= h < 42 and 34 <= h < 36 else 9.0 + h % 5)
    leads = detect(b.build(), "CEMS-CLONED")
    pairs = sorted(
        (ld.subject_id, ld.evidence["other_outlet_id"], ld.start, ld.end) for ld in leads
    )
    assert pairs == [("P1", "P2", iso(10), iso(25))]


def test_cloned_episode_starts_with_the_gap_its_copy_starts_with() -> None:
    """Hours 9-10 reported by neither outlet, then 11 identical hours (11-21): the copy
    began at 9 (a 13-h episode); its 11 identical hours alone are under 12 h."""
    b = Bundle().enterprise("E1").enterprise("E2")
    b.outlet("P1", "E1", None).outlet("P2", "E2", None)

    def series(seed: int) -> Callable[[int], float]:
        return lambda h: round(20 + 5 * wiggle(h * seed, 1) + (h % 4), 1)

    src = series(3)
    b.cems("P1", 30, SO2, lambda h: None if 9 <= h < 11 else src(h))
    b.cems("P2", 30, SO2, lambda h: None if 9 <= h < 11 else (src(h) if 11 <= h < 22 else 90 + h))
    leads = detect(b.build(), "CEMS-CLONED")
    assert [(ld.subject_id, ld.start, ld.end) for ld in leads] == [("P1", iso(9), iso(22))]
    # without the shared gap (P2 reports its own values at 9-10) there is no lead
    b2 = Bundle().enterprise("E1").enterprise("E2")
    b2.outlet("P1", "E1", None).outlet("P2", "E2", None)
    b2.cems("P1", 30, SO2, src)
    b2.cems("P2", 30, SO2, lambda h: src(h) if 11 <= h < 22 else 90 + h)
    assert detect(b2.build(), "CEMS-CLONED") == []
