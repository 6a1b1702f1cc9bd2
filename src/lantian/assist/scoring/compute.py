"""Scoring a period: every team's terms, normalised, weighted and explained.

For each configured term (:mod:`.config`) the source function gives a raw value per
team; :func:`normalise` turns it into 0-1 (against the largest value among the teams of
the same kind for ``max``/``inverse_max``); a team's score is
``100 × Σ(normalised × weight) / Σ weight`` over the terms that are fed, and each term's
contribution ``100 × normalised × weight / Σ weight`` (rounded to 0.01) is shown, so the
contributions add up to the score.

A term whose source cannot be imported is **未接入** (``status`` ``not_fed``): value null,
weight left out for every team, never a fake 0. A source that raises is ``failed`` (logged,
treated the same). A ratio or mean without data (no close-outs, no survey answers) is
``no_data``: value null, normalised 0, weight kept.

References
----------
.. [1] research/peer-systems.md, gap 4: scoring that counts assistance alongside
       findings; issue #15 item 8 (a published evaluation of the campaign recommends it)
       [unverified].
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lantian.assist.scoring.config import GROUPS, ScoringConfig, TermSpec, load_config
from lantian.assist.scoring.teams import Team, all_teams, sees_team
from lantian.auth.scope import UserLike
from lantian.timeutil import CST, isoformat_cst
from lantian.vocab import consultation as cv

log = logging.getLogger("lantian.assist.scoring")

Source = Callable[[Session, frozenset[int], datetime, datetime], float | None]


class PeriodError(ValueError):
    """A period that is not ``YYYY-MM``."""


def parse_period(text: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → (first instant of the month, first instant of the next), CST."""
    t = (text or "").strip()
    try:
        if len(t) != 7 or t[4] != "-":
            raise ValueError(t)
        year, month = int(t[:4]), int(t[5:])
        start = datetime(year, month, 1, tzinfo=CST)
    except ValueError as exc:
        raise PeriodError(f"period must be YYYY-MM, got {text!r}") from exc
    if not 2000 <= year <= 2100:
        raise PeriodError(f"period must be YYYY-MM, got {text!r}")
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=CST)
    return start, end


def resolve(source: str) -> Source | None:
    """The function named ``module.path:function``; None when it cannot be imported."""
    module_name, _, attr = source.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    fn = getattr(module, attr, None)
    return fn if callable(fn) else None


def normalise(kind: str, value: float | None, maximum: float) -> float:
    """``value`` as 0-1 by ``kind`` (vocab ``NORMALISATIONS``); None (no data) → 0.

    - ``max``: value ÷ maximum (0 when every team has 0);
    - ``inverse_max``: 1 − value ÷ maximum (1 when every team has 0: nothing went wrong);
    - ``ratio``: value clamped to 0-1;
    - ``scale5``: value ÷ 5, clamped to 0-1.
    """
    if value is None:
        return 0.0
    if kind == "max":
        return min(max(value / maximum, 0.0), 1.0) if maximum > 0 else 0.0
    if kind == "inverse_max":
        return min(max(1.0 - value / maximum, 0.0), 1.0) if maximum > 0 else 1.0
    if kind == "ratio":
        return min(max(value, 0.0), 1.0)
    if kind == "scale5":
        return min(max(value / 5.0, 0.0), 1.0)
    raise ValueError(f"unknown normalisation {kind!r}")


@dataclass
class TermResult:
    """One term of one team, with everything needed to explain it."""

    spec: TermSpec
    status: str
    """``fed``, ``no_data``, ``not_fed`` (未接入) or ``failed``."""
    value: float | None
    maximum: float
    normalised: float
    weight: float | None
    """The weight used (None when the term is left out)."""
    weight_share: float
    contribution: float


@dataclass
class TeamScore:
    """One team's row."""

    team: Team
    score: float
    terms: list[TermResult] = field(default_factory=list)
    rank: int = 0


@dataclass
class PeriodScores:
    """Scores of one period for the teams a user sees."""

    period: str
    start: datetime
    end: datetime
    config: ScoringConfig
    rows: list[TeamScore]
    term_status: dict[str, str]


def _call(session: Session, fn: Source, team: Team, start: datetime, end: datetime,
          name: str) -> tuple[str, float | None]:  # fmt: skip
    try:
        with session.begin_nested():
            raw = fn(session, team.officer_ids, start, end)
    except Exception:  # a broken source must not hide the other terms
        log.exception("scoring source of %s failed for %s", name, team.key)
        return "failed", None
    if raw is None:
        return "no_data", None
    return "fed", float(raw)


def score_period(
    session: Session,
    user: UserLike,
    period: str,
    *,
    config: ScoringConfig | None = None,
    lang: str = "zh_CN",
) -> PeriodScores:
    """Score every team for ``period`` (normalised among all teams of the same kind) and
    return the rows ``user`` may see, best first."""
    start, end = parse_period(period)
    cfg = config or load_config()
    teams = all_teams(session, lang)
    fns = {t.name: resolve(t.source) for t in cfg.terms}
    raw: dict[tuple[str, str], tuple[str, float | None]] = {}
    status: dict[str, str] = {}
    for spec in cfg.terms:
        fn = fns[spec.name]
        if fn is None:
            status[spec.name] = "not_fed"
            continue
        for team in teams:
            raw[(spec.name, team.key)] = _call(session, fn, team, start, end, spec.name)
        if any(raw[(spec.name, t.key)][0] == "failed" for t in teams):
            status[spec.name] = "failed"
        else:
            status[spec.name] = "fed"
    maxima: dict[tuple[str, str], float] = {}
    for spec in cfg.terms:
        for team in teams:
            st, v = raw.get((spec.name, team.key), ("not_fed", None))
            key = (spec.name, team.kind)
            if v is not None:
                maxima[key] = max(maxima.get(key, 0.0), v)
    rows: list[TeamScore] = []
    for team in teams:
        if not sees_team(session, user, team):
            continue
        results: list[tuple[TermSpec, str, float | None]] = []
        for spec in cfg.terms:
            if status[spec.name] in ("not_fed", "failed"):
                results.append((spec, status[spec.name], None))
            else:
                st, v = raw[(spec.name, team.key)]
                results.append((spec, st, v))
        used = sum(s.weight for s, st, _v in results if st in ("fed", "no_data"))
        terms: list[TermResult] = []
        for spec, st, v in results:
            included = st in ("fed", "no_data") and used > 0
            maximum = maxima.get((spec.name, team.kind), 0.0)
            norm = normalise(spec.normalisation, v, maximum) if included else 0.0
            share = spec.weight / used if included else 0.0
            terms.append(
                TermResult(
                    spec=spec,
                    status=st,
                    value=v,
                    maximum=maximum,
                    normalised=norm,
                    weight=spec.weight if included else None,
                    weight_share=share,
                    contribution=round(100.0 * norm * share, 2),
                )
            )
        score = round(sum(t.contribution for t in terms), 2)
        rows.append(TeamScore(team, score, terms))
    rows.sort(key=lambda r: (-r.score, r.team.key))
    for i, r in enumerate(rows, 1):
        r.rank = i
    return PeriodScores(period, start, end, cfg, rows, status)


STATUS_LABELS: dict[str, tuple[str, str]] = {
    "fed": ("已接入", "Fed"),
    "no_data": ("无数据", "No data"),
    "not_fed": ("未接入", "Not fed"),
    "failed": ("读取失败", "Failed"),
}


def status_label(status: str, lang: str) -> str:
    """Chinese or English label of a term status."""
    zh, en = STATUS_LABELS[status]
    return en if lang.startswith("en") else zh


def term_dict(t: TermResult, lang: str = "zh_CN") -> dict[str, Any]:
    """One term as JSON: ``name``, ``value``, ``weight`` and its explanation."""
    s = t.spec
    zh_group, en_group = GROUPS[s.group]
    return {
        "name": s.name,
        "label": s.label(lang),
        "label_zh": s.zh,
        "group": s.group,
        "group_label": en_group if lang.startswith("en") else zh_group,
        "source": s.source,
        "status": t.status,
        "status_label": status_label(t.status, lang),
        "value": t.value,
        "raw": t.value,
        "normalisation": s.normalisation,
        "normalisation_label": cv.NORMALISATIONS.name(s.normalisation, lang),
        "team_maximum": t.maximum if s.normalisation in ("max", "inverse_max") else None,
        "normalised": round(t.normalised, 4),
        "weight": t.weight,
        "configured_weight": s.weight,
        "weight_share": round(t.weight_share, 4),
        "contribution": t.contribution,
    }


def scores_dict(p: PeriodScores, lang: str = "zh_CN") -> dict[str, Any]:
    """``GET /api/scores`` body."""
    return {
        "period": p.period,
        "start": isoformat_cst(p.start),
        "end": isoformat_cst(p.end),
        "config_version": p.config.version,
        "term_status": p.term_status,
        "rows": [
            {
                "team": r.team.key,
                "team_kind": r.team.kind,
                "team_name": r.team.name,
                "officers": len(r.team.officer_ids),
                "rank": r.rank,
                "score": r.score,
                "terms": [term_dict(t, lang) for t in r.terms],
            }
            for r in p.rows
        ],
    }
