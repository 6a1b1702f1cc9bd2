"""Controlled vocabularies of the registry, as in the exchange-format contract (v1).

The codes and names are declared in :mod:`lantian.vocab`; these tuples are the codes.
"""

from __future__ import annotations

import re

from lantian.vocab import families as _families
from lantian.vocab import registry as _v

INDUSTRIES: tuple[str, ...] = _v.INDUSTRIES.codes()
INDUSTRY_LABELS_ZH: dict[str, str] = _v.INDUSTRIES.zh_table()
GRADES: tuple[str, ...] = _v.GRADES.codes()
"""重污染天气绩效分级; L = 引领性. Empty = not graded."""
METER_ROLES: tuple[str, ...] = _v.METER_ROLES.codes()
STATION_KINDS: tuple[str, ...] = _v.STATION_KINDS.codes()
ALERT_LEVELS: tuple[str, ...] = _v.ALERT_LEVELS.codes()
MEASURE_ACTIONS: tuple[str, ...] = _v.MEASURE_ACTIONS.codes()
SUBJECT_TYPES: tuple[str, ...] = _v.SUBJECT_KINDS_V1.codes()
"""Subject types of the v1 leads contract (what ``lantian detect`` reports today)."""
SUBJECT_TYPES_V2: tuple[str, ...] = tuple(
    c for c in _v.SUBJECT_KINDS.codes() if c not in SUBJECT_TYPES
)
"""Subject types the v2 contract adds (clue layers: ``enterprise``, ``grid``)."""
STORED_SUBJECT_TYPES: tuple[str, ...] = _v.SUBJECT_KINDS.codes()
"""Every subject type a stored lead may have (the ``leads.subject_type`` constraint)."""
DEVICE_SUBJECT_TYPES: tuple[str, ...] = _v.DEVICE_SUBJECT_KINDS.codes()
"""Objects with a data logger (the ``data_rewrites.subject_type`` constraint)."""
LEAD_FAMILIES: tuple[str, ...] = _families.V1.codes()
"""Families of the v1 leads contract: one or more rules of the catalog each."""
DEVICE_FAMILIES: tuple[str, ...] = _families.DEVICE.codes()
"""v2 device-integrity families (found by the gateway and remote quality control)."""
CLUE_FAMILIES: tuple[str, ...] = _families.CLUE.codes()
"""v2 clue-layer families (grids, 走航, cameras, truck gates)."""
STORED_LEAD_FAMILIES: tuple[str, ...] = _families.FAMILIES.codes()
"""Every family a stored lead may have (the ``leads.family`` constraint)."""
HJ212_FLAGS: tuple[str, ...] = _v.HJ212_FLAGS.codes()
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
