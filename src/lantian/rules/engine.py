"""The lead detection engine: run catalog rules over :class:`Inputs`, write leads.jsonl.

Entry points: :func:`run_rules` → ``list[LeadRecord]`` and :func:`write_leads_jsonl`.
Each rule returns one row per episode; the engine adds the contract fields: a stable
``lead_id`` (hash of rule, subject, pollutant and start), ``severity`` (1 low … 3 high),
``score`` (confidence 0..1 that the lead is a real problem, see each rule's doc), a Chinese
``summary`` and the ``evidence`` object.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from lantian.rules import catalog, upwind
from lantian.rules.base import Rule
from lantian.rules.config import RulesConfig, scope_groups
from lantian.rules.context import Context, StateParams
from lantian.rules.inputs import Inputs
from lantian.timeutil import CST


@dataclass(frozen=True)
class LeadRecord:
    """One lead, with exactly the fields of the exchange-format contract (v1)."""

    lead_id: str
    rule: str
    family: str
    enterprise_id: str | None
    subject_type: str
    subject_id: str
    pollutant: str | None
    start: str
    end: str
    severity: int
    score: float
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """One JSON line (UTF-8 text, Chinese kept)."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=False)


def t_to_iso(t: int) -> str:
    """CST wall-clock epoch seconds → ISO 8601 with ``+08:00``."""
    dt = datetime(1970, 1, 1) + timedelta(seconds=int(t))
    return dt.replace(tzinfo=CST).isoformat()


def iso_to_t(value: datetime) -> int:
    """An aware or naive (CST) datetime → CST wall-clock epoch seconds."""
    if value.tzinfo is not None:
        value = value.astimezone(CST).replace(tzinfo=None)
    return int((value - datetime(1970, 1, 1)).total_seconds())


def lead_id(
    rule: str, subject_type: str, subject_id: str, pollutant: str | None, start: str
) -> str:
    """Deterministic lead id: SHA-1 of rule, subject, pollutant and start (16 hex)."""
    key = "|".join([rule, subject_type, subject_id, pollutant or "", start])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _clean(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return round(v, 4)
    if hasattr(v, "item"):
        return _clean(v.item())
    return v


_CORE = ("enterprise_id", "subject_type", "subject_id", "pollutant", "start_t", "end_t")


def _records(rule: Rule, df: pd.DataFrame, params: Any, names: Any) -> list[LeadRecord]:
    out: list[LeadRecord] = []
    for raw in df.to_dict("records"):
        row: dict[str, Any] = {str(k): _clean(v) for k, v in raw.items()}
        start, end = t_to_iso(row["start_t"]), t_to_iso(row["end_t"])
        severity, score = rule.severity(row, params)
        evidence: dict[str, Any] = {
            "window": {"start": start, "end": end},
            "hours": row.get("hours"),
            "observed": row.get("observed"),
            "threshold": row.get("threshold"),
            "coverage": row.get("coverage"),
        }
        for k, v in row.items():
            if k in _CORE or k in evidence:
                continue
            if k.endswith("_ids") and isinstance(v, str):
                evidence[k] = sorted({x for x in v.split("|") if x})
            else:
                evidence[k] = v
        evidence["parameters"] = {
            k: _clean(v) if not isinstance(v, tuple) else list(v) for k, v in asdict(params).items()
        }
        pollutant = row.get("pollutant")
        out.append(
            LeadRecord(
                lead_id=lead_id(
                    rule.code, row["subject_type"], row["subject_id"], pollutant, start
                ),
                rule=rule.code,
                family=rule.family,
                enterprise_id=row.get("enterprise_id"),
                subject_type=row["subject_type"],
                subject_id=row["subject_id"],
                pollutant=pollutant,
                start=start,
                end=end,
                severity=int(severity),
                score=round(float(min(1.0, max(0.0, score))), 3),
                summary=rule.summarize(row, names),
                evidence=evidence,
            )
        )
    return out


def _apply_window(leads: list[LeadRecord], window: tuple[int, int] | None) -> list[LeadRecord]:
    if window is None:
        return leads
    lo, hi = window
    kept = []
    for ld in leads:
        s = iso_to_t(datetime.fromisoformat(ld.start))
        e = iso_to_t(datetime.fromisoformat(ld.end))
        if e <= lo or s >= hi:
            continue
        if s < lo or e > hi:
            s2, e2 = max(s, lo), min(e, hi)
            ld = replace(
                ld,
                start=t_to_iso(s2),
                end=t_to_iso(e2),
                lead_id=lead_id(
                    ld.rule, ld.subject_type, ld.subject_id, ld.pollutant, t_to_iso(s2)
                ),
            )
        kept.append(ld)
    return kept


def run_rules(
    inputs: Inputs,
    rules: Sequence[str] | None = None,
    params: RulesConfig | dict[str, Any] | None = None,
    window: tuple[datetime, datetime] | None = None,
    progress: Any | None = None,
    baselines_out: list[Any] | None = None,
) -> list[LeadRecord]:
    """Run catalog rules and return leads sorted deterministically.

    Parameters
    ----------
    inputs
        The named tables.
    rules
        Rule codes to run; all registered rules when None.
    params
        A :class:`RulesConfig` (per-scope overrides) or a plain ``{code: {param: value}}``.
    window
        ``(from, to)``: keep episodes overlapping ``[from, to)``, clipped to it. Baselines
        (meter levels, normal power) use all the data given.
    progress
        Optional callable ``progress(code)`` called before each rule.
    baselines_out
        When a list: the per-series statistics the rules computed are appended to it
        (``(kind, keys, table)``, see :meth:`Context.baseline`) for platform mode to store.
        Statistics carried by ``inputs.baselines`` are used instead of computed ones.
    """
    registry = catalog.all_rules()
    codes = list(rules) if rules else list(registry)
    unknown = [c for c in codes if c not in registry]
    if unknown:
        raise KeyError(f"unknown rule code(s): {', '.join(unknown)}")
    cfg = params if isinstance(params, RulesConfig) else RulesConfig.from_dict(params or {})
    state = cfg.state_params(StateParams)
    ctx = Context(inputs, state, tag="r", collect=baselines_out)
    names = ctx.names()
    leads: list[LeadRecord] = []
    n_scoped = 0
    empty = _empty_tables(inputs, {t for c in codes for t in registry[c].requires})
    for code in codes:
        rule = registry[code]
        if progress is not None:
            progress(code)
        if any(t in empty for t in rule.requires):
            continue  # none of its events in the inputs: it cannot find an episode
        for p, restrict in scope_groups(cfg, rule, inputs):
            if restrict is None:
                sub_ctx = ctx
            else:
                n_scoped += 1
                sub_ctx = Context(restrict, state, tag=f"s{n_scoped}", collect=baselines_out)
            df = rule.detect(sub_ctx, p).execute()
            leads.extend(_records(rule, df, p, names))
    win = (iso_to_t(window[0]), iso_to_t(window[1])) if window else None
    leads = _apply_window(leads, win)
    seen: set[str] = set()
    unique = []
    for ld in sorted(
        leads, key=lambda x: (x.start, x.rule, x.subject_id, x.pollutant or "", x.end)
    ):
        if ld.lead_id in seen:
            continue
        seen.add(ld.lead_id)
        unique.append(ld)
    # 溯源: hot-spot leads get the upwind enterprises that could explain them
    return upwind.add_candidates(unique, inputs, cfg.upwind_params(upwind.UpwindParams))


def _empty_tables(inputs: Inputs, names: set[str]) -> set[str]:
    """The input tables among ``names`` that have no row."""
    out = set()
    for name in sorted(names):
        table = getattr(inputs, name)
        if int(table.limit(1).count().execute()) == 0:
            out.add(name)
    return out


def write_leads_jsonl(leads: Iterable[LeadRecord], path: str | Path) -> int:
    """Write leads as JSON lines (UTF-8); return the count."""
    n = 0
    with Path(path).open("w", encoding="utf-8") as f:
        for ld in leads:
            f.write(ld.to_json() + "\n")
            n += 1
    return n


def lead_fields() -> list[str]:
    """The contract fields of a lead, in order."""
    return [f.name for f in fields(LeadRecord)]
