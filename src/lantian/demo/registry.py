"""Invent the registry of a simulated city: enterprises, lines, meters, outlets, stations, measures.

The objects here carry, next to the contract columns, the hidden simulation parameters
(schedule kind, typical levels, equipment utilisation) that the series generators need.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lantian.demo.config import CityConfig
from lantian.demo.profiles import CEMS_INDUSTRIES, PROFILES, IndustryProfile, OutletKind
from lantian.registry.vocab import CREDIT_CODE_ALPHABET, credit_code_check_char

CITY_NAMES = ("临川市", "安河市", "青阳市", "东平市", "宁远市", "平山市", "汾阳市", "武陵市")
DISTRICT_NAMES = ("城东区", "城西区", "南湖区", "北山区", "经开区", "高新区", "河东区", "新城区")
TOWN_STEMS = (
    "白塔",
    "新集",
    "马头",
    "西营",
    "北河",
    "柳林",
    "石桥",
    "南庄",
    "黄村",
    "李庄",
    "王营",
    "杨柳",
    "清水",
    "高店",
    "东关",
    "河口",
    "大辛",
    "张桥",
    "陈集",
    "赵屯",
    "沙河",
    "官庄",
    "双井",
    "龙泉",
    "古城",
    "三里",
    "孙堡",
    "吴店",
    "丰乐",
    "永安",
    "长兴",
    "太平",
)
TOWN_SUFFIXES = ("镇", "镇", "镇", "乡", "街道")
TRADE_NAMES = (
    "祥昌",
    "恒达",
    "和新",
    "卓鸿",
    "鼎华",
    "金顺",
    "润祥",
    "宏源",
    "瑞丰",
    "华兴",
    "泰和",
    "永盛",
    "鑫诚",
    "海川",
    "中晟",
    "嘉禾",
    "天成",
    "博远",
    "隆基",
    "信达",
    "汇通",
    "明阳",
    "东方",
    "广利",
    "宝丰",
    "兴旺",
    "德润",
    "利民",
    "正大",
    "晨光",
    "富源",
    "新元",
    "荣昌",
    "同力",
    "弘毅",
    "安泰",
    "旭日",
    "长城",
    "联创",
    "三友",
    "建华",
    "金桥",
    "万通",
    "宇辰",
)
REGION_CODES = ("130402", "130403", "130404", "130406", "130421", "130423", "130424", "130481")


@dataclass
class District:
    """A district with its townships and their centres (lon, lat)."""

    name: str
    lon: float
    lat: float
    townships: list[tuple[str, float, float]] = field(default_factory=list)


@dataclass
class Meter:
    """One electricity meter plus its simulation parameters."""

    meter_id: str
    enterprise_id: str
    line_id: str
    role: str
    name: str
    rated_kw: float
    index: int
    utilisation: float
    """Share of rated power drawn at full production."""
    duty: float
    idle_frac: float
    """Power when stopped, share of rated (0 = breaker open)."""
    noise: float
    interval_min: int
    effect: str | None = None
    mn: str | None = None
    factor_code: str | None = None
    pw: str | None = None
    """Access password of the meter's data logger (shared by the meters of one MN)."""


@dataclass
class Outlet:
    """One stack outlet plus its simulation parameters."""

    outlet_id: str
    enterprise_id: str
    name: str
    mn: str
    line_id: str
    """Line whose exhaust this is (always known to the simulator)."""
    registry_line_id: str | None
    """What outlets.csv says (sometimes empty: an incomplete registry)."""
    kind: OutletKind
    o2_ref_pct: float | None
    limits: dict[str, float | None]
    levels: dict[str, float]
    o2_normal: float
    flow_rated: float
    wet: bool
    extras: bool
    """Reports flow, temperature, humidity and velocity too."""
    precision: dict[str, int]
    calibration_hour: int
    index: int
    pw: str | None = None

    @property
    def pollutants(self) -> tuple[str, ...]:
        """Monitored pollutant keys ('pm', 'so2', 'nox') — those with a limit."""
        return tuple(k for k in ("pm", "so2", "nox") if self.limits.get(k) is not None)


@dataclass
class Line:
    """A production line: production and treatment meters that must run together."""

    line_id: str
    enterprise_id: str
    name: str
    schedule: str
    index: int
    meters: list[Meter] = field(default_factory=list)
    outlets: list[Outlet] = field(default_factory=list)
    measures: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    """Alert level → (action, limit_pct)."""
    treatment_lag: bool = False
    """Treatment starts a few minutes after production (a benign start-up lag)."""

    @property
    def production(self) -> list[Meter]:
        """Production meters."""
        return [m for m in self.meters if m.role == "production"]

    @property
    def treatment(self) -> list[Meter]:
        """Treatment meters."""
        return [m for m in self.meters if m.role == "treatment"]


@dataclass
class Enterprise:
    """An enterprise with its lines."""

    enterprise_id: str
    name: str
    credit_code: str
    industry: str
    city: str
    district: str
    township: str
    lon: float
    lat: float
    grade: str
    positive_list: bool
    lines: list[Line] = field(default_factory=list)


@dataclass
class Station:
    """An ambient air station plus its simulation parameters."""

    station_id: str
    name: str
    kind: str
    city: str
    district: str
    township: str
    lon: float
    lat: float
    offset: float
    """Persistent log offset of PM relative to the city (urban, industrial, rural)."""
    noise: float
    pm_ratio: float
    """PM10 / PM2.5."""
    no2_scale: float
    so2_scale: float


@dataclass
class Registry:
    """The whole invented registry."""

    city: str
    centre: tuple[float, float]
    districts: list[District]
    enterprises: list[Enterprise]
    stations: list[Station]

    @property
    def lines(self) -> list[Line]:
        """All lines."""
        return [ln for e in self.enterprises for ln in e.lines]

    @property
    def meters(self) -> list[Meter]:
        """All meters."""
        return [m for ln in self.lines for m in ln.meters]

    @property
    def outlets(self) -> list[Outlet]:
        """All outlets."""
        return [o for ln in self.lines for o in ln.outlets]

    def enterprise(self, enterprise_id: str) -> Enterprise:
        """The enterprise with this id."""
        for e in self.enterprises:
            if e.enterprise_id == enterprise_id:
                return e
        raise KeyError(enterprise_id)


def credit_code(rng: np.random.Generator, region: str) -> str:
    """A random 统一社会信用代码 of valid form with a correct check character.

    References
    ----------
    .. [1] GB 32100-2015, 法人和其他组织统一社会信用代码编码规则 (registration authority 9,
       category 1 = enterprise, 6-digit region code, 9-character organisation code, check char).
    """
    body = "".join(CREDIT_CODE_ALPHABET[int(i)] for i in rng.integers(0, 31, size=9))
    code17 = "91" + region + body
    return code17 + credit_code_check_char(code17)


def _pick(rng: np.random.Generator, options: dict[str, float]) -> str:
    keys = list(options)
    p = np.array([options[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


class _Ids:
    """Running counters for ids, MNs and credit codes (unique within a city)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.enterprise = 0
        self.meter = 0
        self.outlet = 0
        self.mns: set[str] = set()
        self.codes: set[str] = set()

    def mn(self) -> str:
        """A fresh 14-digit data logger MN."""
        while True:
            value = str(int(self.rng.integers(10**13, 10**14 - 1)))
            if value not in self.mns:
                self.mns.add(value)
                return value

    def credit(self, region: str) -> str:
        """A fresh credit code."""
        while True:
            code = credit_code(self.rng, region)
            if code not in self.codes:
                self.codes.add(code)
                return code


def _geography(rng: np.random.Generator) -> tuple[str, tuple[float, float], list[District]]:
    city = CITY_NAMES[int(rng.integers(len(CITY_NAMES)))]
    centre = (round(113.6 + rng.uniform(0, 2.0), 4), round(35.4 + rng.uniform(0, 2.0), 4))
    n_districts = int(rng.integers(5, 8))
    names = list(rng.permutation(DISTRICT_NAMES))[:n_districts]
    stems = list(rng.permutation(TOWN_STEMS))
    districts: list[District] = []
    for k, name in enumerate(names):
        angle = 2 * np.pi * k / n_districts + rng.uniform(-0.3, 0.3)
        radius = 0.0 if k == 0 else rng.uniform(0.08, 0.22)
        d = District(
            str(name),
            centre[0] + radius * np.cos(angle) * 1.25,
            centre[1] + radius * np.sin(angle),
        )
        for _ in range(int(rng.integers(3, 6))):
            stem = stems.pop() if stems else f"新{len(districts)}{len(d.townships)}"
            suffix = TOWN_SUFFIXES[int(rng.integers(len(TOWN_SUFFIXES)))]
            d.townships.append(
                (stem + suffix, d.lon + rng.normal(0, 0.05), d.lat + rng.normal(0, 0.04))
            )
        districts.append(d)
    return city, centre, districts


def _nearest_township(districts: list[District], lon: float, lat: float) -> tuple[str, str]:
    best = ("", "", 1e9)
    for d in districts:
        for name, tlon, tlat in d.townships:
            dist = (tlon - lon) ** 2 * 0.64 + (tlat - lat) ** 2
            if dist < best[2]:
                best = (d.name, name, dist)
    return best[0], best[1]


def _industry_sequence(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` industries: every industry once (when n allows), the rest by weight."""
    names = list(PROFILES)
    weights = np.array([PROFILES[k].weight for k in names])
    seq = [names[int(i)] for i in rng.permutation(len(names))][: min(n, len(names))]
    extra = rng.choice(len(names), size=max(0, n - len(seq)), p=weights / weights.sum())
    seq += [names[int(i)] for i in extra]
    return [seq[int(i)] for i in rng.permutation(len(seq))]


def _measures(
    rng: np.random.Generator, profile: IndustryProfile, grade: str, industry: str
) -> dict[str, tuple[str, float | None]]:
    """Emergency measures of one line by grade (A and 引领性 exempt; C/D stop first).

    References
    ----------
    .. [1] 环办大气函〔2020〕340号, 重污染天气重点行业应急减排措施制定技术指南 (2020 年修订版).
    """
    if profile.livelihood and grade == "":
        return {}
    if grade in ("A", "L"):
        return {}
    stop: tuple[str, float | None] = ("stop", None)

    def limit(pct: float) -> tuple[str, float | None]:
        return ("limit", float(pct))

    table: dict[str, tuple[str, float | None]]
    if grade == "B":
        table = {"orange": limit(20), "red": limit(int(rng.choice([30, 50])))}
        if rng.random() < 0.5:
            table["yellow"] = limit(10)
    elif grade == "B-":
        table = {"yellow": limit(20), "orange": limit(30), "red": stop}
    elif grade == "C":
        table = {"yellow": limit(int(rng.choice([30, 50]))), "orange": stop, "red": stop}
    elif grade == "D":
        table = {"yellow": stop, "orange": stop, "red": stop}
    else:
        table = {"yellow": limit(30), "orange": limit(50), "red": stop}
    if not profile.stop_allowed:
        table = {
            level: (("limit", 50.0) if action == "stop" else (action, pct))
            for level, (action, pct) in table.items()
        }
    _ = industry
    return table


def _make_enterprise(
    rng: np.random.Generator,
    ids: _Ids,
    cfg: CityConfig,
    industry: str,
    city: str,
    districts: list[District],
    clusters: list[tuple[float, float]],
    max_outlets: int | None,
    max_meters: int | None,
) -> Enterprise:
    profile = PROFILES[industry]
    ids.enterprise += 1
    eid = f"E{ids.enterprise:04d}"
    if rng.random() < 0.7:
        c = clusters[int(rng.integers(len(clusters)))]
        lon, lat = c[0] + rng.normal(0, 0.025), c[1] + rng.normal(0, 0.02)
    else:
        d = districts[int(rng.integers(len(districts)))]
        lon, lat = d.lon + rng.normal(0, 0.07), d.lat + rng.normal(0, 0.055)
    district, township = _nearest_township(districts, lon, lat)
    trade = TRADE_NAMES[int(rng.integers(len(TRADE_NAMES)))]
    suffix = profile.company_suffixes[int(rng.integers(len(profile.company_suffixes)))]
    grade = _pick(rng, profile.grades) if profile.grades else ""
    positive = (grade in ("A", "L") and rng.random() < 0.8) or (grade == "B" and rng.random() < 0.3)
    ent = Enterprise(
        eid,
        f"{city[:-1]}{trade}{suffix}",
        ids.credit(REGION_CODES[int(rng.integers(len(REGION_CODES)))]),
        industry,
        city,
        district,
        township,
        round(float(lon), 6),
        round(float(lat), 6),
        grade,
        bool(positive),
    )
    n_lines = int(rng.integers(profile.lines[0], profile.lines[1] + 1))
    schedule = profile.schedule[int(rng.integers(len(profile.schedule)))]
    logger_mn = ids.mn() if rng.random() < 0.35 else None
    factor_no = 0
    for li in range(1, n_lines + 1):
        line = Line(
            f"{eid}-L{li}",
            eid,
            profile.line_name.format(i=li),
            schedule,
            li,
            treatment_lag=bool(rng.random() < 0.1 + 0.3 * cfg.difficulty),
        )
        line.measures = _measures(rng, profile, grade, industry)
        n_prod = int(rng.integers(profile.n_production[0], profile.n_production[1] + 1))
        n_treat = int(rng.integers(profile.n_treatment[0], profile.n_treatment[1] + 1))
        prods = rng.choice(
            len(profile.production), size=min(n_prod, len(profile.production)), replace=False
        )
        treats = rng.choice(
            len(profile.treatment), size=min(n_treat, len(profile.treatment)), replace=False
        )
        for role, picks, pool in (
            ("production", sorted(prods), profile.production),
            ("treatment", sorted(treats), profile.treatment),
        ):
            for k in picks:
                eq = pool[int(k)]
                ids.meter += 1
                rated = rng.uniform(*eq.rated_kw)
                rated = round(rated / 5) * 5 if rated > 50 else round(rated, 1)
                interval = cfg.power_interval_min
                coarser = [
                    k * interval
                    for k in range(2, 16)
                    if k * interval <= 15 and 60 % (k * interval) == 0
                ]
                if cfg.mixed_intervals and coarser and rng.random() < 0.05 + 0.25 * cfg.difficulty:
                    interval = coarser[int(rng.integers(len(coarser)))]
                meter = Meter(
                    f"M{ids.meter:05d}",
                    eid,
                    line.line_id,
                    role,
                    eq.name,
                    float(rated),
                    ids.meter,
                    float(rng.uniform(0.55, 0.85)),
                    eq.duty,
                    0.0 if rng.random() < 0.3 else float(rng.uniform(0.004, 0.03)),
                    float(rng.uniform(0.015, 0.05)),
                    interval,
                    eq.effect,
                )
                if logger_mn is not None:
                    factor_no += 1
                    prefix = "d2" if role == "production" else "d3"
                    suffix2 = "05" if role == "production" else "06"
                    meter.mn, meter.factor_code = logger_mn, f"{prefix}{factor_no:02d}{suffix2}"
                line.meters.append(meter)
        for kind in profile.outlets:
            if max_outlets is not None and max_outlets <= 0:
                break
            if rng.random() > kind.probability:
                continue
            ids.outlet += 1
            tier_w = np.array([t.weight for t in kind.tiers])
            tier = kind.tiers[int(rng.choice(len(kind.tiers), p=tier_w / tier_w.sum()))]
            limits: dict[str, float | None] = {"pm": tier.pm, "so2": tier.so2, "nox": tier.nox}
            levels = {k: float(rng.uniform(*kind.level[k])) for k in kind.level}
            small = kind.gas_fired
            outlet = Outlet(
                f"P{ids.outlet:04d}",
                eid,
                kind.name.format(i=li),
                ids.mn(),
                line.line_id,
                line.line_id if rng.random() > 0.04 + 0.12 * cfg.difficulty else None,
                kind,
                kind.o2_ref_pct,
                limits,
                levels,
                float(rng.uniform(*kind.o2_normal)),
                float(rng.uniform(*kind.flow_rated)),
                bool(rng.random() < kind.wet_fgd_share),
                bool(rng.random() < 0.6),
                {
                    "pm": 2 if small else 1,
                    "so2": 1 if small or rng.random() < 0.5 else 0,
                    "nox": 1 if rng.random() < 0.5 else 0,
                },
                int(rng.choice([1, 2, 3, 4, 9, 10, 15, 16])),
                ids.outlet,
                pw=f"{int(rng.integers(0, 10**6)):06d}" if rng.random() < 0.3 else None,
            )
            line.outlets.append(outlet)
            if max_outlets is not None:
                max_outlets -= 1
        ent.lines.append(line)
        if max_meters is not None:
            max_meters -= len(line.meters)
            if max_meters <= 0:
                break
    return ent


def _stations(
    rng: np.random.Generator,
    n: int,
    city: str,
    centre: tuple[float, float],
    districts: list[District],
    clusters: list[tuple[float, float]],
) -> list[Station]:
    n_national = max(1, min(6, round(n * 0.12)))
    n_provincial = 1 if n >= 12 else 0
    n_micro = round(n * 0.45) if n >= 10 else 0
    n_town = n - n_national - n_provincial - n_micro
    towns = [(d, t) for d in districts for t in d.townships]
    order = [towns[int(i)] for i in rng.permutation(len(towns))]
    out: list[Station] = []
    for k in range(n):
        sid = f"S{k + 1:03d}"
        if k < n_national:
            kind = "national"
            d = districts[k % len(districts)]
            lon = centre[0] + rng.normal(0, 0.03) + 0.3 * (d.lon - centre[0])
            lat = centre[1] + rng.normal(0, 0.025) + 0.3 * (d.lat - centre[1])
            district, township = _nearest_township(districts, lon, lat)
            name = f"{city[:-1]}{d.name[:-1]}监测站"
            offset, noise = rng.normal(0.05, 0.04), rng.uniform(0.08, 0.12)
            township = ""
        elif k < n_national + n_provincial:
            kind = "provincial"
            d = districts[int(rng.integers(len(districts)))]
            lon, lat = d.lon + rng.normal(0, 0.03), d.lat + rng.normal(0, 0.03)
            district, township = _nearest_township(districts, lon, lat)
            name = f"{d.name}省控站"
            offset, noise = rng.normal(0.0, 0.05), rng.uniform(0.09, 0.13)
        elif k < n_national + n_provincial + n_town:
            kind = "township"
            d, (tname, tlon, tlat) = order[(k - n_national - n_provincial) % len(order)]
            lon, lat = tlon + rng.normal(0, 0.01), tlat + rng.normal(0, 0.01)
            district, township = d.name, tname
            name = f"{tname}{k + 1}号站"
            offset, noise = rng.normal(-0.03, 0.08), rng.uniform(0.1, 0.15)
        else:
            kind = "micro"
            c = clusters[int(rng.integers(len(clusters)))]
            lon, lat = c[0] + rng.normal(0, 0.03), c[1] + rng.normal(0, 0.025)
            district, township = _nearest_township(districts, lon, lat)
            name = f"{township}微站{k + 1:02d}"
            offset, noise = rng.normal(0.08, 0.08), rng.uniform(0.12, 0.18)
        out.append(
            Station(
                sid,
                name,
                kind,
                city,
                district,
                township,
                round(float(lon), 6),
                round(float(lat), 6),
                float(offset),
                float(noise),
                float(rng.uniform(1.3, 1.75)),
                float(rng.uniform(0.7, 1.3)),
                float(rng.uniform(0.7, 1.4)),
            )
        )
    return out


def build_registry(cfg: CityConfig, rng: np.random.Generator) -> Registry:
    """Invent the registry for ``cfg`` (deterministic for a given generator state)."""
    city, centre, districts = _geography(rng)
    clusters = [
        (d.lon + rng.normal(0, 0.04), d.lat + rng.normal(0, 0.03))
        for d in districts[1:]
        if rng.random() < 0.8
    ] or [(districts[-1].lon, districts[-1].lat)]
    ids = _Ids(rng)
    enterprises: list[Enterprise] = []
    if cfg.outlets is None and cfg.meters is None:
        for industry in _industry_sequence(rng, cfg.enterprises):
            enterprises.append(
                _make_enterprise(rng, ids, cfg, industry, city, districts, clusters, None, None)
            )
    else:
        target_outlets = cfg.outlets or 0
        target_meters = cfg.meters or 0
        cems = [k for k in CEMS_INDUSTRIES]
        cems_w = np.array([PROFILES[k].weight for k in cems])
        others = [k for k in PROFILES if k not in CEMS_INDUSTRIES]
        # Every industry at least once, then outlets, then meters.
        for industry in _industry_sequence(rng, len(PROFILES)):
            left_o = target_outlets - ids.outlet if cfg.outlets is not None else None
            left_m = target_meters - ids.meter if cfg.meters is not None else None
            enterprises.append(
                _make_enterprise(
                    rng,
                    ids,
                    cfg,
                    industry,
                    city,
                    districts,
                    clusters,
                    max(left_o, 0) if left_o is not None else None,
                    None,
                )
            )
            _ = left_m
        while cfg.outlets is not None and ids.outlet < target_outlets:
            industry = cems[int(rng.choice(len(cems), p=cems_w / cems_w.sum()))]
            enterprises.append(
                _make_enterprise(
                    rng,
                    ids,
                    cfg,
                    industry,
                    city,
                    districts,
                    clusters,
                    target_outlets - ids.outlet,
                    None,
                )
            )
        while cfg.meters is not None and ids.meter < target_meters:
            industry = others[int(rng.integers(len(others)))]
            enterprises.append(
                _make_enterprise(
                    rng,
                    ids,
                    cfg,
                    industry,
                    city,
                    districts,
                    clusters,
                    0,
                    target_meters - ids.meter,
                )
            )
    if cfg.meters is not None:
        _trim_meters(enterprises, cfg.meters)
    stations = _stations(rng, cfg.stations, city, centre, districts, clusters)
    _give_passwords(enterprises, cfg.seed)
    return Registry(city, centre, districts, enterprises, stations)


def _give_passwords(enterprises: list[Enterprise], seed: int) -> None:
    """Give every outlet and every meter logger (MN) an access password (HJ 212 ``PW``).

    The gateway refuses loggers without one (issue 11). Drawn from a generator of its own
    (seeded from the city seed), so the rest of the city is the same as before; outlets
    that had a PW keep it. Demo passwords are reproducible from the seed: demo only.
    """
    pw_rng = np.random.default_rng([seed, 212])
    by_mn: dict[str, str] = {}
    for ent in enterprises:
        for line in ent.lines:
            for outlet in line.outlets:
                if outlet.pw is None:
                    outlet.pw = f"{int(pw_rng.integers(0, 10**6)):06d}"
            for meter in line.meters:
                if meter.mn is not None:
                    if meter.mn not in by_mn:
                        by_mn[meter.mn] = f"{int(pw_rng.integers(0, 10**6)):06d}"
                    meter.pw = by_mn[meter.mn]


def _trim_meters(enterprises: list[Enterprise], target: int) -> None:
    """Drop surplus meters (never a line's last production or treatment meter) until the city
    has ``target`` meters, then number the meters M00001… again."""
    lines = [ln for e in enterprises for ln in e.lines]
    excess = sum(len(ln.meters) for ln in lines) - target
    while excess > 0:
        removed = False
        for ln in sorted(lines, key=lambda x: -len(x.meters)):
            if excess <= 0:
                break
            for role in ("production", "treatment"):
                same = [m for m in ln.meters if m.role == role]
                if len(same) > 1 and excess > 0:
                    ln.meters.remove(same[-1])
                    excess -= 1
                    removed = True
        if not removed:
            break
    k = 0
    for ln in lines:
        for m in ln.meters:
            k += 1
            m.meter_id, m.index = f"M{k:05d}", k
