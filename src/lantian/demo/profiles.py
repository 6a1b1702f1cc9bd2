"""Industry profiles of the simulated city: equipment, outlets, reference O2, limits, schedules.

Every number here is a plausible engineering value for a Chinese plant of the industry, not a
measurement of any real plant. Limits and reference O2 follow the emission standards quoted in
the project's regulations table; where a standard has several tiers (new, special 特别排放限值,
ultra-low 超低排放) a tier is drawn per outlet.

References
----------
.. [1] GB 13223-2011, 火电厂大气污染物排放标准 (coal 6 % O2, gas turbine 15 % O2).
.. [2] 环发〔2015〕164号, 全面实施燃煤电厂超低排放和节能改造工作方案 (10/35/50 mg/m³).
.. [3] GB 13271-2014, 锅炉大气污染物排放标准 (coal 9 %, oil/gas 3.5 % O2).
.. [4] GB 28662-2012 and 环大气〔2019〕35号 (steel sintering, 16 % O2, ultra-low 10/35/50).
.. [5] GB 16171-2012 and 环大气〔2024〕5号 (coke ovens, 8 % O2).
.. [6] GB 4915-2013 (cement kiln, 10 % O2; kiln head and other points measured basis).
.. [7] GB 26453-2011 (flat glass furnace, 8 % O2).
.. [8] GB 31570-2015 (petroleum refining, process heaters 3 % O2).
.. [9] GB 18485-2014 (municipal solid waste incineration, 11 % O2, hourly values).
.. [10] GB 29620-2013 (brick and tile kilns, 18 % O2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Range = tuple[float, float]


@dataclass(frozen=True)
class Equipment:
    """One kind of metered equipment: Chinese name, nameplate range (kW), duty share when on."""

    name: str
    rated_kw: Range
    duty: float = 1.0
    """Share of producing time with load (< 1: intermittent equipment, e.g. 推焦车)."""
    effect: str | None = None
    """Treatment equipment: which pollutant rises when it is off ('pm', 'so2', 'nox')."""


@dataclass(frozen=True)
class LimitTier:
    """One tier of hourly limits (mg/m³ at reference O2); ``None`` = no limit for that pollutant."""

    name: str
    weight: float
    pm: float | None
    so2: float | None
    nox: float | None


@dataclass(frozen=True)
class OutletKind:
    """A kind of stack outlet with online monitoring (CEMS)."""

    name: str
    """Chinese name pattern; ``{i}`` is the line number, e.g. ``{i}#烧结机头排口``."""
    o2_ref_pct: float | None
    tiers: tuple[LimitTier, ...]
    o2_normal: Range
    """Measured O2 (%) in normal operation, dry basis."""
    level: dict[str, Range]
    """Typical 折算 hourly mean as a share of the limit, per pollutant ('pm', 'so2', 'nox')."""
    gas_fired: bool = False
    """Natural gas: SO2 and particulate tiny and noisy (a few mg/m³)."""
    flow_rated: Range = (1.0e5, 5.0e5)
    """Standard dry flue-gas flow at full load, m³/h."""
    wet_fgd_share: float = 0.5
    """Share of such outlets behind wet desulfurisation (saturated, 45-55 °C flue gas)."""
    probability: float = 1.0
    """Probability that a line of the industry has this outlet."""


@dataclass(frozen=True)
class IndustryProfile:
    """What the generator needs to invent enterprises of one industry."""

    industry: str
    company_suffixes: tuple[str, ...]
    line_name: str
    """Line name pattern, ``{i}`` = number, e.g. ``{i}#烧结机``."""
    lines: tuple[int, int]
    schedule: tuple[str, ...]
    """Possible schedule kinds: continuous, grid (load-following), heating, peaking,
    two_shift, day_shift."""
    production: tuple[Equipment, ...]
    treatment: tuple[Equipment, ...]
    n_production: tuple[int, int]
    n_treatment: tuple[int, int]
    outlets: tuple[OutletKind, ...] = ()
    weight: float = 1.0
    """Relative frequency of the industry among generated enterprises."""
    grades: dict[str, float] = field(default_factory=dict)
    """Probability of each performance grade ('' = not graded)."""
    livelihood: bool = False
    """民生保障 (power, district heating, waste): no emergency measures."""
    stop_allowed: bool = True
    """False where a line cannot stop at an alert (glass furnaces, coke ovens): limit only."""


def _t(
    name: str, weight: float, pm: float | None, so2: float | None, nox: float | None
) -> LimitTier:
    return LimitTier(name, weight, pm, so2, nox)


E = Equipment

_HEAVY_GRADES = {"A": 0.15, "B": 0.35, "B-": 0.1, "C": 0.25, "D": 0.05, "": 0.1}
_LIGHT_GRADES = {"A": 0.03, "B": 0.15, "B-": 0.12, "C": 0.35, "D": 0.15, "L": 0.05, "": 0.15}

PROFILES: dict[str, IndustryProfile] = {
    p.industry: p
    for p in (
        IndustryProfile(
            "coal_power",
            ("热电有限公司", "发电有限责任公司", "能源发电有限公司"),
            "{i}#机组",
            (1, 2),
            ("grid",),
            (
                E("引风机", (1800, 3600)),
                E("送风机", (900, 1600)),
                E("一次风机", (1200, 2200)),
                E("磨煤机", (500, 900), 0.9),
                E("电动给水泵", (4000, 7000)),
            ),
            (
                E("电除尘器", (600, 1200), effect="pm"),
                E("脱硫循环泵", (800, 1400), effect="so2"),
                E("脱硫氧化风机", (300, 600), effect="so2"),
                E("SCR稀释风机", (50, 110), effect="nox"),
            ),
            (2, 4),
            (1, 3),
            (
                OutletKind(
                    "{i}#机组烟囱排口",
                    6.0,
                    (_t("ultra_low", 0.8, 10, 35, 50), _t("special", 0.2, 20, 50, 100)),
                    (5.0, 7.5),
                    {"pm": (0.2, 0.55), "so2": (0.3, 0.62), "nox": (0.45, 0.62)},
                    flow_rated=(1.2e6, 3.2e6),
                    wet_fgd_share=0.9,
                ),
            ),
            weight=0.7,
            grades={"": 1.0},
            livelihood=True,
        ),
        IndustryProfile(
            "gas_power",
            ("燃气发电有限公司", "燃机热电有限公司"),
            "{i}#燃机",
            (1, 2),
            ("peaking", "grid"),
            (
                E("天然气增压机", (800, 1500)),
                E("循环水泵", (400, 900)),
                E("凝结水泵", (250, 500)),
            ),
            (E("脱硝稀释风机", (30, 80), effect="nox"), E("氨水输送泵", (5, 15), effect="nox")),
            (2, 3),
            (1, 2),
            (
                OutletKind(
                    "{i}#燃机排口",
                    15.0,
                    (_t("new", 0.7, 5, 35, 50), _t("local", 0.3, 5, 10, 30)),
                    (14.2, 15.6),
                    {"pm": (0.1, 0.4), "so2": (0.01, 0.08), "nox": (0.4, 0.62)},
                    gas_fired=True,
                    flow_rated=(1.5e6, 3.0e6),
                    wet_fgd_share=0.0,
                ),
            ),
            weight=0.4,
            grades={"": 1.0},
            livelihood=True,
        ),
        IndustryProfile(
            "industrial_boiler",
            ("供热有限公司", "热力有限公司", "热源有限公司"),
            "{i}#锅炉",
            (1, 3),
            ("heating", "heating", "two_shift"),
            (
                E("鼓风机", (75, 250)),
                E("引风机", (110, 400)),
                E("循环水泵", (90, 250)),
                E("炉排电机", (7.5, 22)),
            ),
            (
                E("布袋除尘器风机", (55, 160), effect="pm"),
                E("脱硫循环泵", (45, 132), effect="so2"),
                E("脱硫氧化风机", (30, 75), effect="so2"),
            ),
            (2, 3),
            (1, 2),
            (
                OutletKind(
                    "{i}#燃煤锅炉排口",
                    9.0,
                    (
                        _t("special", 0.5, 30, 200, 200),
                        _t("ultra_low", 0.3, 10, 35, 50),
                        _t("new", 0.2, 50, 300, 300),
                    ),
                    (8.0, 11.5),
                    {"pm": (0.2, 0.6), "so2": (0.2, 0.6), "nox": (0.4, 0.62)},
                    flow_rated=(8.0e4, 3.0e5),
                    wet_fgd_share=0.6,
                    probability=0.5,
                ),
                OutletKind(
                    "{i}#燃气锅炉排口",
                    3.5,
                    (
                        _t("new", 0.5, 20, 50, 200),
                        _t("special", 0.3, 20, 50, 150),
                        _t("low_nox", 0.2, 5, 10, 30),
                    ),
                    (3.0, 6.0),
                    {"pm": (0.05, 0.3), "so2": (0.01, 0.08), "nox": (0.35, 0.62)},
                    gas_fired=True,
                    flow_rated=(2.0e4, 1.2e5),
                    wet_fgd_share=0.0,
                    probability=0.5,
                ),
            ),
            weight=1.6,
            grades={"": 0.6, "B": 0.2, "C": 0.2},
            livelihood=True,
        ),
        IndustryProfile(
            "steel",
            ("钢铁有限公司", "钢铁集团有限公司", "特钢有限公司"),
            "{i}#烧结机",
            (1, 3),
            ("continuous",),
            (
                E("烧结主抽风机", (3500, 7000)),
                E("烧结机台车", (150, 400)),
                E("环冷机鼓风机", (800, 1600)),
                E("混合机", (200, 400)),
            ),
            (
                E("机头电除尘器", (800, 1500), effect="pm"),
                E("脱硫循环泵", (400, 900), effect="so2"),
                E("SCR增压风机", (1000, 2000), effect="nox"),
            ),
            (2, 4),
            (1, 3),
            (
                OutletKind(
                    "{i}#烧结机头排口",
                    16.0,
                    (
                        _t("ultra_low", 0.6, 10, 35, 50),
                        _t("special", 0.25, 40, 180, 300),
                        _t("new", 0.15, 50, 200, 300),
                    ),
                    (14.3, 16.3),
                    {"pm": (0.2, 0.55), "so2": (0.25, 0.6), "nox": (0.45, 0.62)},
                    flow_rated=(8.0e5, 2.0e6),
                    wet_fgd_share=0.5,
                ),
                OutletKind(
                    "{i}#烧结机尾排口",
                    None,
                    (_t("ultra_low", 1.0, 10, None, None),),
                    (20.0, 20.6),
                    {"pm": (0.2, 0.6)},
                    flow_rated=(3.0e5, 8.0e5),
                    wet_fgd_share=0.0,
                    probability=0.4,
                ),
            ),
            weight=1.0,
            grades=_HEAVY_GRADES,
        ),
        IndustryProfile(
            "coking",
            ("焦化有限公司", "煤化工有限公司"),
            "{i}#焦炉",
            (1, 2),
            ("continuous",),
            (
                E("推焦车", (150, 300), 0.35),
                E("装煤车", (80, 160), 0.4),
                E("拦焦车", (60, 120), 0.35),
                E("煤气鼓风机", (400, 900)),
            ),
            (
                E("地面除尘站风机", (600, 1200), effect="pm"),
                E("脱硫脱硝增压风机", (300, 700), effect="so2"),
            ),
            (2, 4),
            (1, 2),
            (
                OutletKind(
                    "{i}#焦炉烟囱排口",
                    8.0,
                    (
                        _t("ultra_low", 0.5, 10, 30, 150),
                        _t("special", 0.3, 15, 30, 150),
                        _t("new", 0.2, 30, 50, 500),
                    ),
                    (7.0, 10.0),
                    {"pm": (0.2, 0.55), "so2": (0.2, 0.55), "nox": (0.45, 0.62)},
                    flow_rated=(1.5e5, 4.0e5),
                    wet_fgd_share=0.2,
                ),
            ),
            weight=0.6,
            grades=_HEAVY_GRADES,
            stop_allowed=False,
        ),
        IndustryProfile(
            "cement",
            ("水泥有限公司", "建材有限公司", "水泥集团有限公司"),
            "{i}#熟料线",
            (1, 2),
            ("continuous",),
            (
                E("回转窑主电机", (400, 800)),
                E("生料磨", (2500, 4000), 0.85),
                E("高温风机", (1500, 3000)),
                E("煤磨", (400, 800), 0.8),
            ),
            (
                E("窑尾袋收尘风机", (800, 1600), effect="pm"),
                E("SNCR氨水泵", (5, 15), effect="nox"),
                E("窑头电收尘器", (300, 600)),
            ),
            (2, 4),
            (1, 3),
            (
                OutletKind(
                    "{i}#窑尾排口",
                    10.0,
                    (
                        _t("ultra_low", 0.5, 10, 35, 50),
                        _t("special", 0.3, 20, 100, 320),
                        _t("new", 0.2, 30, 200, 400),
                    ),
                    (8.0, 12.0),
                    {"pm": (0.2, 0.55), "so2": (0.1, 0.5), "nox": (0.5, 0.62)},
                    flow_rated=(4.0e5, 9.0e5),
                    wet_fgd_share=0.1,
                ),
                OutletKind(
                    "{i}#窑头排口",
                    None,
                    (_t("ultra_low", 0.6, 10, None, None), _t("special", 0.4, 20, None, None)),
                    (20.0, 20.6),
                    {"pm": (0.2, 0.6)},
                    flow_rated=(3.0e5, 6.0e5),
                    wet_fgd_share=0.0,
                    probability=0.5,
                ),
            ),
            weight=0.9,
            grades=_HEAVY_GRADES,
        ),
        IndustryProfile(
            "glass",
            ("玻璃有限公司", "玻璃制品有限公司", "光伏玻璃有限公司"),
            "{i}#浮法线",
            (1, 2),
            ("continuous",),
            (
                E("熔窑助燃风机", (200, 450)),
                E("锡槽保护气系统", (100, 300)),
                E("退火窑", (150, 350)),
                E("配料系统", (80, 200), 0.7),
            ),
            (
                E("SCR脱硝风机", (150, 300), effect="nox"),
                E("脱硫塔循环泵", (90, 200), effect="so2"),
                E("电除尘器", (150, 300), effect="pm"),
            ),
            (2, 4),
            (1, 3),
            (
                OutletKind(
                    "{i}#熔窑排口",
                    8.0,
                    (
                        _t("new", 0.4, 50, 400, 700),
                        _t("special", 0.3, 20, 100, 400),
                        _t("local", 0.3, 10, 50, 200),
                    ),
                    (8.5, 12.0),
                    {"pm": (0.2, 0.55), "so2": (0.2, 0.6), "nox": (0.45, 0.62)},
                    flow_rated=(1.0e5, 3.0e5),
                    wet_fgd_share=0.3,
                ),
            ),
            weight=0.6,
            grades=_HEAVY_GRADES,
            stop_allowed=False,
        ),
        IndustryProfile(
            "petrochem",
            ("石化有限公司", "炼化有限公司"),
            "{i}#加热炉",
            (1, 3),
            ("continuous",),
            (
                E("加热炉鼓风机", (150, 350)),
                E("原料油泵", (400, 900)),
                E("循环氢压缩机", (1500, 3500)),
            ),
            (E("烟气脱硝风机", (90, 200), effect="nox"), E("余热锅炉引风机", (200, 450))),
            (2, 3),
            (1, 2),
            (
                OutletKind(
                    "{i}#加热炉排口",
                    3.0,
                    (_t("special", 0.6, 20, 50, 100), _t("new", 0.4, 20, 100, 150)),
                    (2.5, 5.0),
                    {"pm": (0.1, 0.4), "so2": (0.05, 0.3), "nox": (0.4, 0.62)},
                    gas_fired=True,
                    flow_rated=(5.0e4, 2.0e5),
                    wet_fgd_share=0.0,
                ),
            ),
            weight=0.4,
            grades=_HEAVY_GRADES,
        ),
        IndustryProfile(
            "chemical",
            ("化工有限公司", "精细化工有限公司", "新材料科技有限公司"),
            "{i}#生产线",
            (1, 2),
            ("continuous", "two_shift"),
            (
                E("反应釜搅拌电机", (30, 90)),
                E("离心机", (45, 110), 0.6),
                E("循环水泵", (90, 200)),
                E("导热油炉循环泵", (30, 75)),
            ),
            (
                E("废气洗涤塔风机", (30, 90)),
                E("RTO焚烧炉", (45, 110)),
                E("活性炭吸附风机", (18, 55)),
            ),
            (2, 4),
            (1, 2),
            (
                OutletKind(
                    "{i}#导热油炉排口",
                    3.5,
                    (_t("special", 0.6, 20, 50, 150), _t("low_nox", 0.4, 5, 10, 30)),
                    (3.0, 6.5),
                    {"pm": (0.05, 0.3), "so2": (0.01, 0.08), "nox": (0.35, 0.62)},
                    gas_fired=True,
                    flow_rated=(1.0e4, 6.0e4),
                    wet_fgd_share=0.0,
                    probability=0.5,
                ),
            ),
            weight=0.8,
            grades=_LIGHT_GRADES,
        ),
        IndustryProfile(
            "printing",
            ("印务有限公司", "包装印刷有限公司", "彩印有限公司"),
            "{i}#印刷线",
            (1, 3),
            ("two_shift", "day_shift"),
            (
                E("印刷机1", (55, 150)),
                E("印刷机2", (55, 150)),
                E("复合机", (45, 110)),
                E("分切机", (15, 37), 0.7),
            ),
            (
                E("RTO焚烧炉", (55, 110)),
                E("沸石转轮吸附风机", (30, 75)),
                E("催化燃烧装置", (30, 90)),
            ),
            (1, 3),
            (1, 2),
            weight=1.3,
            grades=_LIGHT_GRADES,
        ),
        IndustryProfile(
            "coating",
            ("涂装有限公司", "机械制造有限公司", "汽车零部件有限公司"),
            "{i}#喷涂线",
            (1, 2),
            ("day_shift", "two_shift"),
            (
                E("喷涂室送风机", (30, 90)),
                E("烘干炉", (60, 180)),
                E("输送链", (7.5, 22)),
                E("前处理线", (45, 110)),
            ),
            (
                E("水帘柜循环泵", (7.5, 22)),
                E("活性炭吸附箱风机", (30, 75)),
                E("催化燃烧装置", (45, 110)),
            ),
            (2, 4),
            (1, 2),
            weight=1.2,
            grades=_LIGHT_GRADES,
        ),
        IndustryProfile(
            "furniture",
            ("家具有限公司", "木业有限公司", "家居制造有限公司"),
            "{i}#生产线",
            (1, 2),
            ("day_shift",),
            (
                E("砂光机", (30, 75)),
                E("开料锯", (15, 37), 0.7),
                E("封边机", (11, 30)),
                E("喷漆房风机", (22, 55)),
            ),
            (
                E("布袋除尘器风机", (30, 90)),
                E("UV光解活性炭风机", (15, 45)),
                E("水帘柜循环泵", (5.5, 15)),
            ),
            (2, 4),
            (1, 2),
            weight=1.0,
            grades=_LIGHT_GRADES,
        ),
        IndustryProfile(
            "waste_incineration",
            ("环保能源有限公司", "再生能源发电有限公司"),
            "{i}#焚烧炉",
            (1, 3),
            ("continuous",),
            (
                E("一次风机", (250, 500)),
                E("二次风机", (90, 200)),
                E("给料液压站", (45, 110), 0.8),
            ),
            (
                E("布袋除尘器引风机", (400, 900), effect="pm"),
                E("半干法脱酸雾化器", (45, 110), effect="so2"),
                E("SNCR喷氨泵", (5, 15), effect="nox"),
                E("活性炭喷射系统", (5, 15)),
            ),
            (2, 3),
            (1, 3),
            (
                OutletKind(
                    "{i}#焚烧炉排口",
                    11.0,
                    (_t("national", 0.6, 30, 100, 300), _t("local", 0.4, 10, 50, 250)),
                    (8.0, 11.0),
                    {"pm": (0.1, 0.5), "so2": (0.15, 0.55), "nox": (0.45, 0.62)},
                    flow_rated=(6.0e4, 1.6e5),
                    wet_fgd_share=0.3,
                ),
            ),
            weight=0.4,
            grades={"": 1.0},
            livelihood=True,
        ),
        IndustryProfile(
            "other",
            ("新型建材有限公司", "砖业有限公司", "石灰有限公司"),
            "{i}#隧道窑",
            (1, 2),
            ("continuous",),
            (
                E("隧道窑排烟风机", (45, 110)),
                E("挤砖机", (132, 250), 0.8),
                E("破碎机", (55, 132), 0.6),
            ),
            (
                E("双碱法脱硫循环泵", (30, 75), effect="so2"),
                E("湿式电除尘器", (30, 90), effect="pm"),
            ),
            (2, 3),
            (1, 2),
            (
                OutletKind(
                    "{i}#隧道窑排口",
                    18.0,
                    (_t("new", 0.5, 30, 300, 200), _t("local", 0.5, 20, 100, 150)),
                    (15.8, 17.6),
                    {"pm": (0.2, 0.55), "so2": (0.2, 0.55), "nox": (0.3, 0.62)},
                    flow_rated=(4.0e4, 1.2e5),
                    wet_fgd_share=0.7,
                    probability=0.8,
                ),
            ),
            weight=0.6,
            grades=_LIGHT_GRADES,
        ),
    )
}
"""Profile of every contract industry (keys = ``lantian.registry.vocab.INDUSTRIES``)."""

CEMS_INDUSTRIES: tuple[str, ...] = tuple(p.industry for p in PROFILES.values() if p.outlets)
"""Industries whose lines have stack outlets with online monitoring."""
