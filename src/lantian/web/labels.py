"""Display labels of vocabulary codes (English message ids, translated by the catalogs)."""

from __future__ import annotations

from lantian.web.deps import _


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


FAMILY_LABELS: dict[str, str] = {
    "EXCEEDANCE": N_("Exceedance"),
    "FLATLINE": N_("Flat line"),
    "PINNED": N_("Pinned under the limit"),
    "O2_ABNORMAL": N_("Abnormal O2"),
    "MISSING": N_("Missing data"),
    "FLAG_ABUSE": N_("Flag abuse"),
    "TREATMENT_OFF": N_("Treatment off"),
    "TREATMENT_LOW": N_("Treatment low"),
    "EMERGENCY_VIOLATION": N_("Emergency measure violated"),
    "CLONED": N_("Cloned data"),
    "AMBIENT_HOTSPOT": N_("Ambient hot spot"),
}
LEAD_STATUS_LABELS: dict[str, str] = {
    "pending": N_("Pending"),
    "confirmed": N_("Confirmed"),
    "false_positive": N_("False positive"),
    "ongoing": N_("Ongoing"),
    "new": N_("New lead"),
}
SEVERITY_LABELS: dict[int, str] = {1: N_("Low"), 2: N_("Medium"), 3: N_("High")}
SUBJECT_LABELS: dict[str, str] = {
    "outlet": N_("Outlet"),
    "meter": N_("Meter"),
    "line": N_("Line"),
    "station": N_("Station"),
}
INDUSTRY_LABELS: dict[str, str] = {
    "coal_power": N_("Coal power"),
    "gas_power": N_("Gas power"),
    "industrial_boiler": N_("Industrial boiler"),
    "steel": N_("Steel"),
    "coking": N_("Coking"),
    "cement": N_("Cement"),
    "glass": N_("Glass"),
    "petrochem": N_("Petrochemical"),
    "chemical": N_("Chemical"),
    "printing": N_("Printing"),
    "coating": N_("Coating"),
    "furniture": N_("Furniture"),
    "waste_incineration": N_("Waste incineration"),
    "other": N_("Other"),
}
POLLUTANT_LABELS: dict[str, str] = {
    "a34013": N_("Particulate matter"),
    "a21026": N_("SO2"),
    "a21002": N_("NOx"),
    "a19001": N_("O2"),
    "a01012": N_("Flue temperature"),
    "a01014": N_("Humidity"),
    "a01011": N_("Velocity"),
    "a00000": N_("Flow"),
}
CASE_STATUS_LABELS: dict[str, str] = {
    "new": N_("New lead"),
    "dispatched": N_("Dispatched"),
    "checking": N_("Checking"),
    "false_positive": N_("False positive"),
    "confirmed": N_("Confirmed"),
    "immediate_fix": N_("Immediate fix"),
    "supervision_order": N_("Supervision order"),
    "rectification": N_("Rectification"),
    "review": N_("Review"),
    "closed": N_("Closed"),
}
ROLE_LABELS: dict[str, str] = {
    "admin": N_("Administrator"),
    "work_group": N_("Work group"),
    "city_officer": N_("City officer"),
    "district_officer": N_("District officer"),
    "enterprise": N_("Enterprise"),
}


def label(table: dict[str, str] | dict[int, str], code: object) -> str:
    """Translated label of ``code`` in ``table`` (the code itself when unknown)."""
    if code is None:
        return ""
    text = table.get(code)  # type: ignore[call-overload]
    return _(text) if isinstance(text, str) else str(code)
