"""Fixture tests of the clue-layer rules (contract v2): GATE-VIOLATION."""

from __future__ import annotations

from typing import Any

from rules_fixtures import Bundle, detect, iso, t_of


# -- GATE-VIOLATION --------------------------------------------------------------------------
def gate_world(standard: float | None = 5, level: str = "orange") -> Bundle:
    b = Bundle().enterprise("E1").enterprise("E2")
    b.rows["alerts"].append(
        {
            "alert_id": "A1",
            "city": "清河市",
            "level": "orange",
            "start_t": t_of(30),
            "end_t": t_of(60),
        }
    )
    for line, std in (("E1-L1", standard), ("E1-L2", 4)):
        b.rows["measures"].append(
            {
                "enterprise_id": "E1",
                "line_id": line,
                "level": level,
                "action": "limit",
                "limit_pct": 30.0,
                "truck_min_standard": std,
            }
        )
    return b


def entry(b: Bundle, rid: str, h: float, plate: str, std: float | None, **kw: Any) -> Bundle:
    row = {
        "record_id": rid,
        "enterprise_id": "E1",
        "gate_id": "G1",
        "t": t_of(h),
        "plate": plate,
        "vehicle_type": "heavy_truck",
        "fuel": "diesel",
        "emission_standard": std,
        "direction": "in",
    }
    row.update(kw)
    b.rows["gate_records"].append(row)
    return b


def test_gate_violation_restricted_entries_one_lead_per_alert_day() -> None:
    b = gate_world()
    entry(b, "R1", 33.2, "冀A12345", 4)  # day 2 (hours 24-48): 国四 < 国五 (strictest line)
    entry(b, "R2", 35.5, "冀A67890", 3)
    entry(b, "R3", 35.6, "冀A12345", 4)  # the same truck again: one plate
    entry(b, "R4", 50.1, "冀B11111", 4)  # day 3: a second lead
    leads = detect(b.build(), "GATE-VIOLATION")
    assert [(ld.subject_type, ld.subject_id, ld.start, ld.end) for ld in leads] == [
        ("enterprise", "E1", iso(33), iso(36)),
        ("enterprise", "E1", iso(50), iso(51)),
    ]
    ev = leads[0].evidence
    assert ev["plates"] == "冀A12345、冀A67890"
    assert ev["entries"] == 3 and ev["observed"] == 3 and ev["threshold"] == 5
    assert ev["alert_id"] == "A1" and leads[0].family == "GATE_VIOLATION"
    assert "冀A67890" in leads[0].summary and "国五" in leads[0].summary


def test_gate_violation_benign_look_alikes() -> None:
    b = gate_world()
    entry(b, "R1", 33, "冀A00001", 5)  # allowed standard
    entry(b, "R2", 34, "冀A00002", 6)
    entry(b, "R3", 35, "冀A00003", 3, direction="out")  # leaving
    entry(b, "R4", 36, "冀A00004", 3, fuel="gas")  # gas truck
    entry(b, "R5", 37, "冀A00005", 3, vehicle_type="light_truck")
    entry(b, "R6", 20, "冀A00006", 3)  # before the alert
    entry(b, "R7", 61, "冀A00007", 3)  # after the alert
    entry(b, "R8", 38, "冀A00008", None)  # standard unknown: not judged
    entry(b, "R9", 39, "冀A00009", 3, enterprise_id="E2")  # E2 has no restriction
    assert detect(b.build(), "GATE-VIOLATION") == []


def test_gate_violation_needs_a_measure_of_the_level_or_below() -> None:
    b = gate_world(level="red")  # E1-L1 restricted at red only; E1-L2 (国四) also red
    entry(b, "R1", 33, "冀A12345", 3)
    assert detect(b.build(), "GATE-VIOLATION") == []  # an orange alert: no red measure applies
    b2 = gate_world(standard=None, level="yellow")  # yellow measure applies to orange: L2 国四
    entry(b2, "R1", 33, "冀A12345", 4)
    assert detect(b2.build(), "GATE-VIOLATION") == []
    entry(b2, "R2", 34, "冀A54321", 3)
    leads = detect(b2.build(), "GATE-VIOLATION")
    assert len(leads) == 1 and leads[0].evidence["plates"] == "冀A54321"
