"""Pollutants and stack parameters as the lake stores them, with names and units.

Stack (CEMS) series keep the HJ 212-2017 factor codes (``a21002`` → 氮氧化物, mg/m³),
ambient series the pollutant names (``PM2.5``), power series ``kw``. Codes not listed here
fall back to the HJ 212 factor table (:data:`lantian.protocol.hj212.factors.FACTORS`).

References
----------
.. [1] HJ 212-2017, Appendix B, Table B.2 (air factor codes and units).
.. [2] HJ 75-2017 §6 (CEMS parameters: O2, temperature, humidity, velocity, flow).
.. [3] GB 3095-2012 Table 1 (ambient pollutants; µg/m³, CO in mg/m³).
.. [4] Lantian exchange formats, ``cems``: flow ``a00000`` is stored in m³/h (standard, dry),
   not the m³/s of the HJ 212 wire table.
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary, is_english

POLLUTANTS: Vocabulary[str] = Vocabulary(
    "pollutant",
    [
        Term("a34013", "颗粒物", "Particulate matter", "mg/m³"),
        Term("a21026", "二氧化硫", "SO2", "mg/m³"),
        Term("a21002", "氮氧化物", "NOx", "mg/m³"),
        Term("a19001", "氧含量", "O2", "%"),
        Term("a01012", "烟气温度", "Flue temperature", "℃"),
        Term("a01014", "烟气湿度", "Humidity", "%"),
        Term("a01011", "烟气流速", "Velocity", "m/s"),
        Term("a00000", "烟气流量", "Flow", "m³/h"),
        Term("PM2.5", "细颗粒物(PM2.5)", "PM2.5", "µg/m³"),
        Term("PM10", "可吸入颗粒物(PM10)", "PM10", "µg/m³"),
        Term("SO2", "二氧化硫", "SO2", "µg/m³"),
        Term("NO2", "二氧化氮", "NO2", "µg/m³"),
        Term("CO", "一氧化碳", "CO", "mg/m³"),
        Term("O3", "臭氧", "O3", "µg/m³"),
        Term("kw", "有功功率", "Active power", "kW"),
    ],
)
"""Pollutants and parameters the rules judge and the pages chart."""

_UNITS = {"mg/m3": "mg/m³", "ug/m3": "µg/m³", "ng/m3": "ng/m³", "m3/s": "m³/s", "degC": "℃"}


def _factor(code: object) -> Term[str] | None:
    from lantian.protocol.hj212.factors import FACTORS

    f = FACTORS.get(str(code))
    if f is None:
        return None
    unit = _UNITS.get(f.unit, f.unit)
    return Term(f.code, f.name_zh, f.name_en, None if unit in ("", "1") else unit)


def term(code: object) -> Term[str] | None:
    """The term of ``code``: this vocabulary first, then the HJ 212 factor table."""
    return POLLUTANTS.get(code) or _factor(code)


def name(code: object, lang: str = "zh_CN") -> str:
    """``name("a21002") == "氮氧化物"`` (the code itself when unknown, ``""`` for None)."""
    if code is None or code == "":
        return ""
    t = term(code)
    if t is None:
        return str(code)
    return t.en if is_english(lang) else t.zh


def unit(code: object) -> str | None:
    """``unit("a21002") == "mg/m³"`` (None when unknown or unitless)."""
    t = term(code)
    return t.unit if t is not None else None


def label(code: object, lang: str = "zh_CN") -> str:
    """Name with unit: ``氮氧化物 (mg/m³)``."""
    u = unit(code)
    n = name(code, lang)
    return f"{n} ({u})" if u else n
