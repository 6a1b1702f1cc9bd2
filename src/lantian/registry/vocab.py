"""Controlled vocabularies of the registry, as in the exchange-format contract (v1)."""

from __future__ import annotations

import re

INDUSTRIES: tuple[str, ...] = (
    "coal_power",
    "gas_power",
    "industrial_boiler",
    "steel",
    "coking",
    "cement",
    "glass",
    "petrochem",
    "chemical",
    "printing",
    "coating",
    "furniture",
    "waste_incineration",
    "other",
)
INDUSTRY_LABELS_ZH: dict[str, str] = {
    "coal_power": "燃煤发电",
    "gas_power": "燃气发电",
    "industrial_boiler": "工业锅炉",
    "steel": "钢铁",
    "coking": "焦化",
    "cement": "水泥",
    "glass": "玻璃",
    "petrochem": "石化",
    "chemical": "化工",
    "printing": "印刷",
    "coating": "涂装",
    "furniture": "家具",
    "waste_incineration": "垃圾焚烧",
    "other": "其他",
}
GRADES: tuple[str, ...] = ("A", "B", "B-", "C", "D", "L")
"""重污染天气绩效分级; L = 引领性. Empty = not graded."""
METER_ROLES: tuple[str, ...] = ("production", "treatment")
STATION_KINDS: tuple[str, ...] = ("national", "provincial", "township", "micro")
ALERT_LEVELS: tuple[str, ...] = ("yellow", "orange", "red")
MEASURE_ACTIONS: tuple[str, ...] = ("stop", "limit")
SUBJECT_TYPES: tuple[str, ...] = ("outlet", "meter", "line", "station")
"""Subject types of the v1 leads contract (what ``lantian detect`` reports today)."""
SUBJECT_TYPES_V2: tuple[str, ...] = ("enterprise", "grid")
"""Subject types the v2 contract adds (clue layers: ``enterprise``, ``grid``)."""
STORED_SUBJECT_TYPES: tuple[str, ...] = SUBJECT_TYPES + SUBJECT_TYPES_V2
"""Every subject type a stored lead may have (the ``leads.subject_type`` constraint)."""
LEAD_FAMILIES: tuple[str, ...] = (
    "EXCEEDANCE",
    "FLATLINE",
    "PINNED",
    "O2_ABNORMAL",
    "MISSING",
    "FLAG_ABUSE",
    "TREATMENT_OFF",
    "TREATMENT_LOW",
    "EMERGENCY_VIOLATION",
    "CLONED",
    "AMBIENT_HOTSPOT",
)
"""Families of the v1 leads contract: one or more rules of the catalog each."""
DEVICE_FAMILIES: tuple[str, ...] = ("CLOCK_ANOMALY", "DATA_REWRITE", "QC_FAILURE")
"""v2 device-integrity families (found by the gateway and remote quality control)."""
CLUE_FAMILIES: tuple[str, ...] = (
    "GRID_HOTSPOT",
    "MOBILE_HOTSPOT",
    "CAMERA_ALARM",
    "GATE_VIOLATION",
)
"""v2 clue-layer families (grids, 走航, cameras, truck gates)."""
STORED_LEAD_FAMILIES: tuple[str, ...] = LEAD_FAMILIES + DEVICE_FAMILIES + CLUE_FAMILIES
"""Every family a stored lead may have (the ``leads.family`` constraint)."""
HJ212_FLAGS: tuple[str, ...] = ("N", "F", "M", "S", "D", "C", "T", "B")
"""HJ 212-2017 data flags (数据标识)."""

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_format_ok(code: str) -> bool:
    """True if ``code`` has the 18-character form of a 统一社会信用代码.

    References
    ----------
    .. [1] GB 32100-2015, 法人和其他组织统一社会信用代码编码规则, §4.
    """
    return bool(CREDIT_CODE_RE.match(code))


def credit_code_check_char(code17: str) -> str:
    """The check character (position 18) for the first 17 characters of a credit code.

    References
    ----------
    .. [1] GB 32100-2015, §4.2 and Annex B (weights 3^(i-1) mod 31, check = 31 - sum mod 31).
    """
    total = sum(
        CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(code17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]
