"""Penalty lists and the 裁量基准 (discretion benchmark) as data, validated at load.

A *penalty set* is one TOML file (format: ``docs/PENALTY.md``): the violation types with
their legal fine range, the 不予处罚 list (轻微违法行为免罚清单), the 首违不罚 list, the
从轻 / 减轻 and 从重 circumstances, the 不予强制 list, the discretion table (factors, levels,
weights; bands of the legal range), the look-back window of a first offence, the 学法减罚
and 道歉承诺 reduction rules and the credit rules. Each set names its province and the
dates it is in force. The shipped example (``default.toml``) follows published Hebei lists
(邯郸, 邢台) and Yingkou's reductions; entries whose wording was not checked against the
published text carry ``verified = false``.

Every error names the file, the entry (``[[violations]] code=…``) and the field; an unknown
field is an error, so a misspelt key cannot silently drop a condition.

References
----------
.. [1] 中华人民共和国行政处罚法 (2021 修订) §32 (从轻、减轻), §33 (不予处罚, 首违不罚,
       无主观过错; ¶3 教育), §34 (裁量基准, published).
.. [2] 生态环境部 关于进一步规范适用环境行政处罚自由裁量权的指导意见, 环执法〔2019〕42号
       (factors, levels and bands of the legal range) — method as summarised in the
       project's research notes; the national text was not re-read here (unverified).
.. [3] 中华人民共和国环境保护法 (2014) §59 (按日连续处罚).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

SETTING = "LANTIAN_PENALTY_CONFIG"
HARM_LEVELS: tuple[str, ...] = ("none", "slight", "serious")
"""Harm (危害后果) in increasing order."""
EFFECTS: tuple[str, ...] = ("lighter", "mitigated")
"""从轻 (within the legal range, lower part) and 减轻 (below the legal minimum)."""
FINE_BASES: tuple[str, ...] = ("fixed_range", "none")
"""``fixed_range``: a fine between legal_min and legal_max yuan; ``none``: no fine."""


class PenaltyConfigError(ValueError):
    """A malformed penalty set; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class ViolationType:
    """A violation type: the provision violated and its legal fine range (yuan)."""

    code: str
    name_zh: str
    name_en: str
    law: str
    article: str
    legal_min: int
    legal_max: int
    fine_basis: str
    daily_penalty: bool
    mitigation_allowed: bool
    families: tuple[str, ...]
    verified: bool


@dataclass(frozen=True)
class LeniencyEntry:
    """One entry of the 不予处罚 (轻微) or 首违不罚 list."""

    code: str
    violation: str
    description: str
    max_harm: str
    max_days_to_correct: int | None
    source: str
    verified: bool


@dataclass(frozen=True)
class Circumstance:
    """A 从轻/减轻 (mitigating) or 从重 (aggravating) circumstance."""

    code: str
    name_zh: str
    name_en: str
    clause: str
    effect: str
    mandatory: bool
    """应当 (true) or 可以 (false)."""
    verified: bool


@dataclass(frozen=True)
class NoCoercionEntry:
    """One entry of the 不予强制 list (no seizure or closure)."""

    code: str
    description: str
    clause: str
    verified: bool


@dataclass(frozen=True)
class Level:
    """A level of a discretion factor with its score in [0, 1]."""

    code: str
    name_zh: str
    score: float


@dataclass(frozen=True)
class Factor:
    """A discretion factor (e.g. 超标倍数) with a weight and levels."""

    code: str
    name_zh: str
    weight: float
    default: str
    from_fact: str | None
    levels: tuple[Level, ...]

    def level(self, code: str) -> Level:
        for lv in self.levels:
            if lv.code == code:
                return lv
        raise KeyError(code)


@dataclass(frozen=True)
class Discretion:
    """``[discretion]``: bands of the legal range per outcome and the factors."""

    lighter_band: tuple[float, float]
    standard_band: tuple[float, float]
    heavier_band: tuple[float, float]
    mitigated_floor_ratio: float
    """减轻: the amount lies in [legal_min × ratio, legal_min)."""
    round_to_yuan: int
    factors: tuple[Factor, ...]
    clause: str


@dataclass(frozen=True)
class Reduction:
    """学法减罚 or 道歉承诺: a percentage off the amount, within a deadline."""

    percent: float
    deadline_days: int
    clause: str
    publish: bool
    verified: bool


@dataclass(frozen=True)
class CreditRules:
    """Environmental credit: start points, points per decision outcome, grade thresholds."""

    start_points: int
    points: dict[str, int]
    grades: tuple[tuple[str, int], ...]
    """(grade, minimum points), best first."""
    repair_min_days: int
    repair_requires: tuple[str, ...]
    clause: str


@dataclass(frozen=True)
class PenaltySet:
    """One province's lists and benchmark, in force from ``effective_from``."""

    province: str
    name: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    follows: str
    fallback: bool
    lookback_days: int
    aggravating_excludes_leniency: bool
    violations: tuple[ViolationType, ...]
    no_penalty: tuple[LeniencyEntry, ...]
    first_offence: tuple[LeniencyEntry, ...]
    mitigating: tuple[Circumstance, ...]
    aggravating: tuple[Circumstance, ...]
    no_coercion: tuple[NoCoercionEntry, ...]
    discretion: Discretion
    law_study: Reduction
    apology: Reduction
    credit: CreditRules
    source: str

    def violation(self, code: str) -> ViolationType:
        for v in self.violations:
            if v.code == code:
                return v
        raise KeyError(code)

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    def digest(self) -> str:
        data = asdict(self)
        data.pop("source")
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Entry:
    """Reads one TOML table, naming the source, the entry and the key in every error."""

    def __init__(self, source: str, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise PenaltyConfigError(f"{source}: {where} must be a table")
        self.source, self.where, self.data = source, where, data
        self.used: set[str] = set()

    def fail(self, key: str, why: str) -> PenaltyConfigError:
        return PenaltyConfigError(f"{self.source}: {self.where} field {key!r}: {why}")

    def get(self, key: str, default: Any = ..., *, optional: bool = False) -> Any:
        self.used.add(key)
        if key not in self.data:
            if optional:
                return default
            raise self.fail(key, "missing")
        return self.data[key]

    def string(self, key: str, allowed: tuple[str, ...] | None = None, **kw: Any) -> str:
        v = self.get(key, **kw)
        if not isinstance(v, str) or not v.strip():
            raise self.fail(key, f"must be a non-empty string, got {v!r}")
        if allowed is not None and v not in allowed:
            raise self.fail(key, f"{v!r} is not one of {', '.join(allowed)}")
        return v

    def opt_string(self, key: str) -> str | None:
        if key not in self.data:
            self.used.add(key)
            return None
        return self.string(key)

    def boolean(self, key: str, default: bool | None = None) -> bool:
        v = self.get(key, default, optional=default is not None)
        if not isinstance(v, bool):
            raise self.fail(key, f"must be true or false, got {v!r}")
        return v

    def integer(self, key: str, *, lo: int = 0, default: int | None = None) -> int:
        v = self.get(key, default, optional=default is not None)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, f"must be an integer, got {v!r}")
        if v < lo:
            raise self.fail(key, f"{v} is below {lo}")
        return v

    def number(self, key: str, *, lo: float, hi: float) -> float:
        v = self.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(key, f"must be a number, got {v!r}")
        if not lo <= v <= hi:
            raise self.fail(key, f"{v} is outside [{lo}, {hi}]")
        return float(v)

    def band(self, key: str) -> tuple[float, float]:
        v = self.get(key)
        if (
            not isinstance(v, list)
            or len(v) != 2
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
            or not 0 <= v[0] <= v[1] <= 1
        ):
            raise self.fail(key, f"must be [low, high] with 0 <= low <= high <= 1, got {v!r}")
        return float(v[0]), float(v[1])

    def date(self, key: str, *, optional: bool = False) -> dt.date | None:
        v = self.get(key, None, optional=optional)
        if v is None:
            return None
        if isinstance(v, dt.datetime) or not isinstance(v, dt.date):
            raise self.fail(key, f"must be a date (YYYY-MM-DD), got {v!r}")
        return v

    def strings(self, key: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
        v = self.get(key, [], optional=True)
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self.fail(key, f"must be a list of strings, got {v!r}")
        if allowed is not None:
            bad = [x for x in v if x not in allowed]
            if bad:
                raise self.fail(key, f"unknown value(s) {bad}; allowed: {', '.join(allowed)}")
        return tuple(v)

    def done(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise self.fail(extra[0], "unknown field")


def _entries(source: str, top: _Entry, key: str) -> list[tuple[str, _Entry]]:
    raw = top.get(key, [], optional=True)
    if not isinstance(raw, list):
        raise PenaltyConfigError(f"{source}: [[{key}]] must be an array of tables")
    out: list[tuple[str, _Entry]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        code = item.get("code") if isinstance(item, dict) else None
        where = f"[[{key}]] #{i}" + (f" code={code!r}" if isinstance(code, str) else "")
        e = _Entry(source, where, item)
        c = e.string("code")
        if c in seen:
            raise e.fail("code", f"duplicate code {c!r}")
        seen.add(c)
        out.append((c, e))
    return out


def _leniency(source: str, top: _Entry, key: str, codes: set[str]) -> tuple[LeniencyEntry, ...]:
    out: list[LeniencyEntry] = []
    for code, e in _entries(source, top, key):
        violation = e.string("violation")
        if violation not in codes:
            raise e.fail("violation", f"unknown violation code {violation!r}")
        days = e.get("max_days_to_correct", None, optional=True)
        if days is not None:
            days = e.integer("max_days_to_correct", lo=0)
        out.append(
            LeniencyEntry(
                code=code,
                violation=violation,
                description=e.string("description"),
                max_harm=e.string("max_harm", HARM_LEVELS),
                max_days_to_correct=days,
                source=e.string("source"),
                verified=e.boolean("verified", False),
            )
        )
        e.done()
    return tuple(out)


def _circumstances(source: str, top: _Entry, key: str) -> tuple[Circumstance, ...]:
    out: list[Circumstance] = []
    for code, e in _entries(source, top, key):
        effect = e.string("effect", EFFECTS) if key == "mitigating" else "heavier"
        out.append(
            Circumstance(
                code=code,
                name_zh=e.string("name_zh"),
                name_en=e.string("name_en"),
                clause=e.string("clause"),
                effect=effect,
                mandatory=e.boolean("mandatory"),
                verified=e.boolean("verified", False),
            )
        )
        e.done()
    return tuple(out)


def _reduction(source: str, top: _Entry, key: str) -> Reduction:
    e = _Entry(source, f"[{key}]", top.get(key))
    r = Reduction(
        percent=e.number("percent", lo=0, hi=100),
        deadline_days=e.integer("deadline_days", lo=1),
        clause=e.string("clause"),
        publish=e.boolean("publish", False),
        verified=e.boolean("verified", False),
    )
    e.done()
    return r


def _discretion(source: str, top: _Entry) -> Discretion:
    e = _Entry(source, "[discretion]", top.get("discretion"))
    lighter = e.band("lighter_band")
    standard = e.band("standard_band")
    heavier = e.band("heavier_band")
    if not lighter[1] <= standard[0] + 1e-9 or not standard[1] <= heavier[0] + 1e-9:
        raise e.fail("standard_band", "bands must be ordered lighter <= standard <= heavier")
    factors: list[Factor] = []
    raw = e.get("factors")
    if not isinstance(raw, list) or not raw:
        raise e.fail("factors", "must be a non-empty array of tables")
    total = 0.0
    for i, item in enumerate(raw, start=1):
        code = item.get("code") if isinstance(item, dict) else None
        fe = _Entry(source, f"[[discretion.factors]] #{i} code={code!r}", item)
        levels: list[Level] = []
        raw_levels = fe.get("levels")
        if not isinstance(raw_levels, list) or not raw_levels:
            raise fe.fail("levels", "must be a non-empty array of tables")
        for j, lv in enumerate(raw_levels, start=1):
            le = _Entry(source, f"[[discretion.factors]] code={code!r} level #{j}", lv)
            levels.append(
                Level(le.string("code"), le.string("name_zh"), le.number("score", lo=0, hi=1))
            )
            le.done()
        f = Factor(
            code=fe.string("code"),
            name_zh=fe.string("name_zh"),
            weight=fe.number("weight", lo=0, hi=1),
            default=fe.string("default"),
            from_fact=fe.opt_string("from_fact"),
            levels=tuple(levels),
        )
        if f.default not in {lv.code for lv in f.levels}:
            raise fe.fail("default", f"{f.default!r} is not one of its levels")
        if f.from_fact is not None:
            if f.from_fact != "harm":
                raise fe.fail("from_fact", "only 'harm' is supported")
            if {lv.code for lv in f.levels} != set(HARM_LEVELS):
                raise fe.fail("levels", f"a factor from 'harm' has the levels {HARM_LEVELS}")
        fe.done()
        total += f.weight
        factors.append(f)
    if abs(total - 1.0) > 1e-6:
        raise e.fail("factors", f"weights add up to {total:g}, not 1")
    d = Discretion(
        lighter_band=lighter,
        standard_band=standard,
        heavier_band=heavier,
        mitigated_floor_ratio=e.number("mitigated_floor_ratio", lo=0, hi=1),
        round_to_yuan=e.integer("round_to_yuan", lo=1),
        factors=tuple(factors),
        clause=e.string("clause"),
    )
    e.done()
    return d


def _credit(source: str, top: _Entry) -> CreditRules:
    from lantian.enforcement.assess import OUTCOMES

    e = _Entry(source, "[credit]", top.get("credit"))
    pts = _Entry(source, "[credit.points]", e.get("points"))
    points: dict[str, int] = {}
    for key in pts.data:
        if key not in OUTCOMES:
            raise pts.fail(key, f"unknown outcome; allowed: {', '.join(OUTCOMES)}")
        v = pts.get(key)
        if isinstance(v, bool) or not isinstance(v, int):
            raise pts.fail(key, f"must be an integer, got {v!r}")
        points[key] = v
    missing = [o for o in OUTCOMES if o not in points]
    if missing:
        raise pts.fail(missing[0], "missing")
    ge = _Entry(source, "[credit.grades]", e.get("grades"))
    grades: list[tuple[str, int]] = []
    for key in ge.data:
        grades.append((key, ge.integer(key, lo=-10_000)))
    if not grades:
        raise ge.fail("(grades)", "name at least one grade")
    grades.sort(key=lambda g: -g[1])
    rules = CreditRules(
        start_points=e.integer("start_points", lo=0),
        points=points,
        grades=tuple(grades),
        repair_min_days=e.integer("repair_min_days", lo=0),
        repair_requires=e.strings(
            "repair_requires", ("correction_done", "training", "commitment", "no_new_violation")
        ),
        clause=e.string("clause"),
    )
    e.done()
    return rules


def parse_set(data: dict[str, Any], source: str = "default.toml") -> PenaltySet:
    """Validate one penalty set (a mapping read from TOML).

    Raises
    ------
    PenaltyConfigError
        Naming ``source``, the entry and the field of the first fault (an unknown field
        included).
    """
    top = _Entry(source, "(top level)", data)
    meta = _Entry(source, "[meta]", top.get("meta"))
    province = meta.string("province")
    name = meta.string("name")
    version = meta.string("version")
    effective_from = meta.date("effective_from")
    effective_to = meta.date("effective_to", optional=True)
    assert effective_from is not None
    if effective_to is not None and effective_to <= effective_from:
        raise meta.fail("effective_to", "must be after effective_from")
    follows = meta.string("follows")
    fallback = meta.boolean("fallback", False)
    lookback_days = meta.integer("lookback_days", lo=1)
    excl = meta.boolean("aggravating_excludes_leniency", True)
    meta.done()

    violations: list[ViolationType] = []
    for code, e in _entries(source, top, "violations"):
        basis = e.string("fine_basis", FINE_BASES)
        lo = e.integer("legal_min", lo=0)
        hi = e.integer("legal_max", lo=0)
        if hi < lo:
            raise e.fail("legal_max", f"{hi} is below legal_min {lo}")
        if basis == "none" and hi != 0:
            raise e.fail("legal_max", "must be 0 when fine_basis is 'none'")
        if basis == "fixed_range" and hi == 0:
            raise e.fail("legal_max", "must be above 0 when fine_basis is 'fixed_range'")
        violations.append(
            ViolationType(
                code=code,
                name_zh=e.string("name_zh"),
                name_en=e.string("name_en"),
                law=e.string("law"),
                article=e.string("article"),
                legal_min=lo,
                legal_max=hi,
                fine_basis=basis,
                daily_penalty=e.boolean("daily_penalty", False),
                mitigation_allowed=e.boolean("mitigation_allowed", True),
                families=e.strings("families"),
                verified=e.boolean("verified", False),
            )
        )
        e.done()
    if not violations:
        raise PenaltyConfigError(f"{source}: [[violations]] must list at least one type")
    codes = {v.code for v in violations}
    no_penalty = _leniency(source, top, "no_penalty", codes)
    first = _leniency(source, top, "first_offence", codes)
    for entry in no_penalty:
        if entry.max_harm != "none":
            raise PenaltyConfigError(
                f"{source}: [[no_penalty]] code={entry.code!r} field 'max_harm': "
                "行政处罚法 §33 ¶1 exempts only violations without harm ('none')"
            )
    for entry in first:
        if entry.max_harm == "serious":
            raise PenaltyConfigError(
                f"{source}: [[first_offence]] code={entry.code!r} field 'max_harm': "
                "首违不罚 needs harm at most 'slight' (行政处罚法 §33 ¶1)"
            )
    mitigating = _circumstances(source, top, "mitigating")
    aggravating = _circumstances(source, top, "aggravating")
    both = {c.code for c in mitigating} & {c.code for c in aggravating}
    if both:
        raise PenaltyConfigError(
            f"{source}: codes {sorted(both)} are both mitigating and aggravating"
        )
    no_coercion: list[NoCoercionEntry] = []
    for code, e in _entries(source, top, "no_coercion"):
        no_coercion.append(
            NoCoercionEntry(
                code, e.string("description"), e.string("clause"), e.boolean("verified", False)
            )
        )
        e.done()
    discretion = _discretion(source, top)
    law_study = _reduction(source, top, "law_study")
    apology = _reduction(source, top, "apology")
    credit = _credit(source, top)
    top.done()
    return PenaltySet(
        province=province,
        name=name,
        version=version,
        effective_from=effective_from,
        effective_to=effective_to,
        follows=follows,
        fallback=fallback,
        lookback_days=lookback_days,
        aggravating_excludes_leniency=excl,
        violations=tuple(violations),
        no_penalty=no_penalty,
        first_offence=first,
        mitigating=mitigating,
        aggravating=aggravating,
        no_coercion=tuple(no_coercion),
        discretion=discretion,
        law_study=law_study,
        apology=apology,
        credit=credit,
        source=source,
    )


def default_toml() -> str:
    """Text of the shipped example set."""
    return resources.files("lantian.enforcement").joinpath("default.toml").read_text("utf-8")


def _read(path: Path) -> PenaltySet:
    source = f"{SETTING}={path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PenaltyConfigError(f"{source}: {exc}") from exc
    return parse_set(data, source)


def load_sets(path: Path | None = None) -> tuple[PenaltySet, ...]:
    """The shipped set, or the sets of ``path`` (a TOML file, or a directory of ``*.toml``).

    Raises
    ------
    PenaltyConfigError
        A file cannot be read or a value is impossible (file, entry and field named), or
        two sets of one province overlap in time.
    """
    if path is None:
        return (parse_set(tomllib.loads(default_toml()), "default.toml"),)
    p = Path(path)
    files = sorted(p.glob("*.toml")) if p.is_dir() else [p]
    if not files:
        raise PenaltyConfigError(f"{SETTING}={p}: no *.toml file")
    sets = [_read(f) for f in files]
    for i, a in enumerate(sets):
        for b in sets[i + 1 :]:
            if a.province != b.province:
                continue
            a_end = a.effective_to or dt.date.max
            b_end = b.effective_to or dt.date.max
            if a.effective_from < b_end and b.effective_from < a_end:
                raise PenaltyConfigError(
                    f"{b.source}: [meta] field 'effective_from': overlaps {a.source} "
                    f"(province {a.province})"
                )
    return tuple(sets)


def select_set(sets: tuple[PenaltySet, ...], province: str | None, day: dt.date) -> PenaltySet:
    """The set in force for ``province`` on ``day``; else the fallback set in force.

    Raises
    ------
    PenaltyConfigError
        No set applies.
    """
    for s in sets:
        if s.province == province and s.in_force(day):
            return s
    for s in sets:
        if s.fallback and s.in_force(day):
            return s
    raise PenaltyConfigError(f"no penalty set in force for province {province!r} on {day}")
