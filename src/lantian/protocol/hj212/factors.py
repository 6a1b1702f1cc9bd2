"""Factor (pollutant / parameter) codes of HJ 212 and their canonical names in the lake.

One table, :data:`FACTORS`, maps each HJ 212-2017 factor code to its Chinese and English
name, default unit, emission-amount unit, the HJ/T 212-2005 code it replaces, and the
canonical pollutant name the lake uses. The lake keeps the 2017 codes themselves for
stack (CEMS) and wastewater data (``a34013``, ``a21026``, ``a21002``, ``a19001``…), the
ambient pollutant names (``PM2.5``, ``SO2``…) for ambient stations (ST=22), and ``kw`` for
electricity monitoring (ST=44).

References
----------
.. [1] HJ 212-2017, Appendix B, Table B.1 (water, HJ 525-2009) and Table B.2 (air,
   HJ 524-2009), column "原编码" for the HJ/T 212-2005 codes; Table B.10 (site info).
.. [2] HJ 212-2025, ST=44 electricity monitoring (``d…`` meter codes, unverified).
.. [3] Lantian exchange formats, ``data/cems_hourly.csv``, ``data/ambient_hourly.csv``,
   ``data/power.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AMBIENT_VARIABLE_MAP",
    "CODES_2005",
    "FACTORS",
    "VARIABLE_MAP",
    "Factor",
    "code_2017",
    "lake_pollutant",
]


@dataclass(frozen=True, slots=True)
class Factor:
    """One monitored factor (HJ 212-2017 Appendix B)."""

    code: str
    """HJ 212-2017 code, e.g. ``a21026``."""
    name_zh: str
    name_en: str
    unit: str
    """Default concentration / value unit as the standard prints it (ASCII where possible)."""
    amount_unit: str
    """Unit of the emission amount (``-Cou``), empty if none."""
    code_2005: str
    """HJ/T 212-2005 code ("原编码"), empty if none."""
    lake_name: str
    """Canonical pollutant name in the lake (for stacks and water: the 2017 code)."""


# code | 中文 | English | unit | amount unit | 2005 code
_TABLE = """
a00000|废气|flue-gas flow|m3/s|m3|B02
a01011|烟气流速|flue-gas velocity|m/s||S02
a01012|烟气温度|flue-gas temperature|degC||S03
a01013|烟气压力|flue-gas pressure|kPa||S08
a01014|烟气湿度|flue-gas humidity|%||S05
a01015|制冷温度|cooler temperature|degC||S06
a01016|烟道截面积|duct cross-section|m2||S07
a01017|烟气动压|flue-gas dynamic pressure|kPa||S04
a01010|林格曼黑度|Ringelmann blackness|1||37
a01901|垃圾焚烧炉膛内焚烧平均温度|incinerator furnace mean temperature|degC||
a01902|垃圾焚烧炉膛内DCS温度|incinerator furnace DCS temperature|degC||
a19001|氧气含量|oxygen (O2)|%||S01
a21026|二氧化硫|sulphur dioxide (SO2)|mg/m3|kg|02
a21002|氮氧化物|nitrogen oxides (NOx as NO2)|mg/m3|kg|03
a21003|一氧化氮|nitric oxide (NO)|mg/m3|kg|
a21004|二氧化氮|nitrogen dioxide (NO2)|mg/m3|kg|
a21005|一氧化碳|carbon monoxide (CO)|mg/m3|kg|04
a21028|硫化氢|hydrogen sulphide (H2S)|mg/m3|kg|05
a21018|氟化物|fluoride|mg/m3|kg|06
a21017|氰化物|cyanide|mg/m3|kg|07
a21024|氯化氢|hydrogen chloride (HCl)|mg/m3|kg|08
a34038|沥青烟|asphalt fume|mg/m3|kg|09
a21001|氨|ammonia (NH3)|mg/m3|kg|10
a21022|氯气|chlorine|mg/m3|kg|11
a99051|二硫化碳|carbon disulphide|mg/m3|kg|12
a30022|硫醇|mercaptans|mg/m3|kg|13
a34039|硫酸雾|sulphuric acid mist|mg/m3|kg|14
a34040|铬酸雾|chromic acid mist|mg/m3|kg|15
a25003|甲苯|toluene|mg/m3|kg|17
a25005|二甲苯|xylene|mg/m3|kg|18
a31001|甲醛|formaldehyde|mg/m3|kg|19
a24087|碳氢化合物|hydrocarbons|mg/m3|kg|25
a24088|非甲烷总烃|non-methane hydrocarbons (NMHC)|mg/m3|kg|
a05001|二氧化碳|carbon dioxide (CO2)|mg/m3|kg|30
a05002|甲烷|methane (CH4)|mg/m3|kg|
a20057|汞及其化合物|mercury and compounds|mg/m3|kg|31
a20058|汞|mercury|ng/m3|g|
a25002|苯|benzene|mg/m3|kg|
a34013|烟尘|particulate matter (dust)|mg/m3|kg|01
a01001|温度|air temperature|degC||
a01002|湿度|relative humidity|%||
a01006|气压|air pressure|kPa||
a01007|风速|wind speed|m/s||
a01008|风向|wind direction|deg||
a34001|总悬浮颗粒物|TSP|ug/m3||
a34002|可吸入颗粒物|PM10|ug/m3||
a34004|细颗粒物|PM2.5|ug/m3||
a34005|亚微米颗粒物|PM1.0|ug/m3||
a05024|臭氧|ozone (O3)|ug/m3||
w00000|污水|wastewater flow|L/s|m3|B01
w01001|pH值|pH|1||001
w01002|色度|colour|degree||002
w01012|悬浮物|suspended solids|mg/L|kg|003
w01017|五日生化需氧量|BOD5|mg/L|kg|010
w01018|化学需氧量|chemical oxygen demand (COD)|mg/L|kg|011
w01020|总有机碳|total organic carbon|mg/L|kg|015
w01009|溶解氧|dissolved oxygen|mg/L||
w01010|水温|water temperature|degC||
w01014|电导率|conductivity|uS/cm||
w01019|高锰酸盐指数|permanganate index|mg/L|kg|
w20111|总汞|total mercury|ug/L|g|020
w20115|总镉|total cadmium|ug/L|g|022
w20116|总铬|total chromium|mg/L|kg|023
w20117|六价铬|hexavalent chromium|ug/L|g|024
w20119|总砷|total arsenic|ug/L|g|026
w20120|总铅|total lead|ug/L|g|027
w20121|总镍|total nickel|mg/L|kg|028
w20122|总铜|total copper|mg/L|kg|029
w20123|总锌|total zinc|mg/L|kg|030
w21003|氨氮|ammonia nitrogen|mg/L|kg|060
w21001|总氮|total nitrogen|mg/L|kg|065
w21011|总磷|total phosphorus|mg/L|kg|101
w21016|氰化物|cyanide|mg/L|kg|070
w21019|硫化物|sulphide|mg/L|kg|071
w21017|氟化物|fluoride|mg/L|kg|072
w22001|石油类|petroleum oils|mg/L|kg|080
w23002|挥发酚|volatile phenols|mg/L|kg|110
i12001|现场端工作状态|instrument working state|1||
i12002|分析仪与数采仪通讯状态|analyser-logger communication state|1||
i22001|数采仪工作状态|logger working state|1||
i22003|数采仪与上位机通讯状态|logger-platform communication state|1||
i33001|CEMS伴热管温度|CEMS heat-trace temperature|degC||
i33002|CEMS冷凝温度|CEMS condenser temperature|degC||
i33200|污水处理站（厂）电流量|wastewater plant current|A||
i33201|污水处理站（厂）累计耗电量|wastewater plant cumulative energy|kWh||
i33202|污水处理站（厂）日耗电量|wastewater plant daily energy|kWh||
I33400|生产负荷|production load|%||
"""


def _load() -> dict[str, Factor]:
    table: dict[str, Factor] = {}
    for line in _TABLE.strip().splitlines():
        code, name_zh, name_en, unit, amount_unit, code_2005 = line.split("|")
        table[code] = Factor(code, name_zh, name_en, unit, amount_unit, code_2005, code)
    return table


FACTORS: dict[str, Factor] = _load()
"""HJ 212-2017 factor code → :class:`Factor` (HJ 212-2017 Appendix B, main factors)."""

CODES_2005: dict[str, str] = {f.code_2005: f.code for f in FACTORS.values() if f.code_2005}
"""HJ/T 212-2005 code (``01``, ``02``, ``03``, ``B02``, ``S01``, ``011``…) → 2017 code."""

VARIABLE_MAP: dict[str, str] = {
    **{code: f.lake_name for code, f in FACTORS.items()},
    **{old: FACTORS[new].lake_name for old, new in CODES_2005.items()},
}
"""Factor code (2017 or 2005) → the lake's canonical pollutant name for stack/water data."""

AMBIENT_VARIABLE_MAP: dict[str, str] = {
    "a34004": "PM2.5",
    "a34002": "PM10",
    "a21026": "SO2",
    "a21004": "NO2",
    "a21005": "CO",
    "a05024": "O3",
}
"""Factor code → ambient pollutant name used by ``data/ambient_hourly.csv`` (ST=22)."""

ELECTRICITY_LAKE_NAME = "kw"
"""Lake quantity of HJ 212-2025 electricity monitoring (ST=44): mean active power, kW."""


def code_2017(code: str) -> str:
    """Return the HJ 212-2017 code for ``code`` (a 2005 code is translated, others kept).

    References
    ----------
    .. [1] HJ 212-2017, Appendix B, column "原编码".
    """
    return CODES_2005.get(code, code)


def lake_pollutant(code: str, st: str | None = None) -> str | None:
    """Return the lake's canonical pollutant name for factor ``code`` sent under system ``st``.

    Parameters
    ----------
    code : str
        Factor code as sent (2017 or 2005).
    st : str, optional
        System code of the packet: ``22`` (ambient) maps to ambient names, ``44``
        (electricity monitoring) to ``kw``; everything else to the 2017 code.

    Returns
    -------
    str or None
        The canonical name, or None if the code is unknown (kept as-is by callers).

    References
    ----------
    .. [1] HJ 212-2017, Table 5 (ST) and Appendix B; HJ 212-2025 ST=44.
    """
    if st == "44":
        return ELECTRICITY_LAKE_NAME
    if st == "22":
        return AMBIENT_VARIABLE_MAP.get(code_2017(code))
    return VARIABLE_MAP.get(code)
