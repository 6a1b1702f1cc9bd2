"""Rule catalog primitives: the :class:`Rule` record, the registry and episode helpers.

A rule is one pure function ``detect(ctx, params) -> ibis Table`` over the shared
intermediates of :class:`lantian.rules.context.Context`. The returned table has one row per
episode with the columns of :data:`EPISODE_COLUMNS`; the engine turns rows into leads
(summary, severity, score, lead_id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from lantian.rules.evidence import Field

if TYPE_CHECKING:
    from lantian.rules.context import Context

EPISODE_COLUMNS: tuple[str, ...] = (
    "enterprise_id",
    "subject_type",
    "subject_id",
    "pollutant",
    "start_t",
    "end_t",
    "hours",
    "observed",
    "threshold",
    "coverage",
)
"""Columns every rule returns. ``start_t``/``end_t``: CST epoch seconds, end exclusive.
``hours``: length of the bad part [h]; ``observed``/``threshold``: the headline numbers
(units per rule); ``coverage``: share of the window with data (0..1). Rules may add further
columns (numbers, or ``|``-joined id lists ending in ``_ids``): they go into the evidence."""


@dataclass(frozen=True)
class Rule:
    """One registered rule.

    Attributes
    ----------
    code
        Stable code, e.g. ``CEMS-EXCEED``.
    family
        Lead family of the contract.
    title_zh, title_en
        Short names.
    clause
        The regulation the rule enforces.
    params_type
        Frozen dataclass of default parameters (units in names).
    needs
        Input tables the rule reads.
    requires
        Input tables without whose rows the rule cannot find an episode (its events: camera
        alarms, gate records, grid PM, 走航 readings, ambient data, alerts). The engine skips
        the rule when one of them is empty (a city without cameras does not pay for the
        camera rule); ``tests/demo/test_rule_requires.py`` checks every declaration.
    detect
        ``detect(ctx, params) -> Table`` with :data:`EPISODE_COLUMNS`.
    summarize
        ``summarize(row, names) -> str``: one Chinese sentence for an episode row.
    severity
        ``severity(row, params) -> (severity 1..3, score 0..1)``.
    description_zh, description_en, evidence, parameters
        What the lead page, PDFs and Excel show (see :mod:`lantian.rules.evidence`).
    """

    code: str
    family: str
    title_zh: str
    title_en: str
    clause: str
    params_type: type[Any]
    needs: tuple[str, ...]
    detect: Callable[[Context, Any], ir.Table]
    summarize: Callable[[dict[str, Any], Any], str]
    severity: Callable[[dict[str, Any], Any], tuple[int, float]]
    requires: tuple[str, ...] = ()
    scope: str = "enterprise"
    """Smallest scope parameters can be overridden at: ``enterprise``, ``outlet`` or ``city``."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    description_zh: str = ""
    """What the rule finds, one paragraph in Chinese (the lead page's rule block)."""
    description_en: str = ""
    """The same in English."""
    evidence: dict[str, Field] = field(default_factory=dict)
    """How each evidence key the rule emits is shown (:mod:`lantian.rules.evidence`;
    ``window``, ``hours``, ``coverage`` and ``parameters`` are declared in common)."""
    parameters: dict[str, Field] = field(default_factory=dict)
    """How each parameter is shown (``min_duration_h``, ``max_gap_h`` and ``pollutants``
    are declared in common)."""


REGISTRY: dict[str, Rule] = {}
"""All registered rules by code (filled by importing :mod:`lantian.rules.catalog`)."""


def register(rule: Rule) -> Rule:
    """Add a rule to :data:`REGISTRY`; a duplicate code is an error."""
    if rule.code in REGISTRY:
        raise ValueError(f"rule {rule.code} registered twice")
    REGISTRY[rule.code] = rule
    return rule


def islands(
    table: ir.Table,
    keys: list[str],
    step_s: int | str,
    max_gap_s: int,
    aggs: Callable[[ir.Table], dict[str, Any]] | None = None,
    t: str = "t",
) -> ir.Table:
    """Merge flagged rows into episodes (gaps-and-islands), engine-agnostic.

    Parameters
    ----------
    table
        Rows that are "bad", with integer time ``t`` [s].
    keys
        Columns identifying one series (e.g. outlet_id, pollutant).
    step_s
        Width of one row [s]: an int, or the name of a column of ``table``.
    max_gap_s
        Two bad rows whose gap (end of one to start of the next) is at most this many
        seconds are one episode.
    aggs
        ``aggs(table) -> {name: aggregate}``: extra aggregates per episode.

    Returns
    -------
    Table with ``keys``, ``start_t``, ``end_t``, ``n`` (bad rows), ``bad_s`` (seconds) and aggs.
    """
    step = ibis.literal(step_s, "int64") if isinstance(step_s, int) else table[step_s]
    tb = table.mutate(_step=step.cast("int64"))
    w = ibis.window(group_by=keys, order_by=[tb[t]])
    prev_end = (tb[t] + tb._step).lag().over(w)
    tb = tb.mutate(_new=ibis.ifelse(prev_end.isnull() | (tb[t] - prev_end > max_gap_s), 1, 0))
    # RANGE framing: rows sharing a time (several meters in one bucket) share the group
    cw = ibis.range_window(group_by=keys, order_by=tb[t], preceding=None, following=0)
    tb = tb.mutate(_grp=tb._new.sum().over(cw))
    metrics: dict[str, Any] = {
        "start_t": tb[t].min(),
        "end_t": (tb[t] + tb._step).max(),
        "n": tb.count(),
        "bad_s": tb._step.sum(),
    }
    if aggs is not None:
        metrics.update(aggs(tb))
    return tb.group_by([*keys, "_grp"]).aggregate(**metrics).drop("_grp")


def finish(
    table: ir.Table,
    *,
    enterprise_id: ir.Value,
    subject_type: str,
    subject_id: ir.Value,
    pollutant: ir.Value | None,
    hours: ir.Value,
    observed: ir.Value,
    threshold: ir.Value | float,
    coverage: ir.Value,
    **extras: ir.Value,
) -> ir.Table:
    """Project an episode table onto :data:`EPISODE_COLUMNS` plus evidence columns.

    ``threshold`` is a column, or a number (a rule parameter) that every episode shares.
    """
    if not isinstance(threshold, ir.Value):
        threshold = ibis.literal(float(threshold))
    return table.select(
        enterprise_id=enterprise_id.cast("string"),
        subject_type=ibis.literal(subject_type),
        subject_id=subject_id.cast("string"),
        pollutant=(pollutant if pollutant is not None else ibis.null("string")).cast("string"),
        start_t=table.start_t.cast("int64"),
        end_t=table.end_t.cast("int64"),
        hours=hours.cast("float64"),
        observed=observed.cast("float64"),
        threshold=threshold.cast("float64"),
        coverage=coverage.cast("float64"),
        **extras,
    )


def value_runs(
    table: ir.Table, keys: list[str], value: str, max_gap_h: int, min_rows: int = 1
) -> ir.Table:
    """Runs of one repeated value in hourly rows (``h`` = hour index), engine-agnostic.

    A run breaks when the value changes or when consecutive rows are more than
    ``max_gap_h`` hours apart (hours in between are not part of the series, e.g. not
    producing or flagged). Returns ``keys``, ``run_value``, ``start_t``, ``end_t``, ``n``
    for runs of at least ``min_rows`` rows. With ``min_rows`` ≥ 2, rows that are runs on
    their own (most rows of a real series) are dropped before the runs are numbered.
    """
    w = ibis.window(group_by=keys, order_by=[table.h])
    prev_v = table[value].lag().over(w)
    prev_h = table.h.lag().over(w)
    tb = table.mutate(
        _new=ibis.ifelse(
            prev_h.isnull() | (table.h - prev_h > max_gap_h + 1) | (table[value] != prev_v), 1, 0
        ),
        _next_same=table.h.lead().over(w).notnull()
        & (table.h.lead().over(w) - table.h <= max_gap_h + 1)
        & (table[value].lead().over(w) == table[value]),
    )
    if min_rows >= 2:  # a run continues (_new = 0) or is continued (_next_same)
        tb = tb.filter((tb._new == 0) | tb._next_same)
    cw = ibis.range_window(group_by=keys, order_by=tb.h, preceding=None, following=0)
    tb = tb.mutate(_grp=tb._new.sum().over(cw))
    return (
        tb.group_by([*keys, "_grp"])
        .aggregate(
            run_value=tb[value].max(),
            start_t=tb.h.min() * 3600,
            end_t=(tb.h.max() + 1) * 3600,
            n=tb.count(),
        )
        .drop("_grp")
        .filter(ibis._.n >= min_rows)
    )
