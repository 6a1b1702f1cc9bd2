"""``lantian penalty violations`` and ``lantian penalty assess``.

Penalty sets (lists and 裁量基准) as data: ``docs/PENALTY.md``; the set comes from
``LANTIAN_PENALTY_CONFIG`` or the shipped example.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from lantian.cli.progress import console

if TYPE_CHECKING:
    from lantian.enforcement.config import PenaltySet

penalty_app = typer.Typer(
    help="Penalty assessment (不予处罚 / 首违不罚 / 从轻减轻 / 裁量基准).", no_args_is_help=True
)


def _error(message: str) -> None:
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)


def _set(province: str | None, on: str | None) -> PenaltySet:
    from lantian.enforcement.config import PenaltyConfigError, load_sets, select_set
    from lantian.settings import get_settings
    from lantian.timeutil import now_cst

    try:
        day = dt.date.fromisoformat(on) if on else now_cst().date()
    except ValueError as exc:
        _error(f"--date: {exc}")
        raise typer.Exit(2) from exc
    try:
        sets = load_sets(get_settings().penalty_config)
        if province is None:
            return next((s for s in sets if s.fallback and s.in_force(day)), None) or select_set(
                sets, sets[0].province, day
            )
        return select_set(sets, province, day)
    except PenaltyConfigError as exc:
        _error(str(exc))
        raise typer.Exit(2) from exc


@penalty_app.command("violations")
def violations(
    province: str | None = typer.Option(
        None, "--province", help="province code (default: the fallback set)"
    ),
    on: str | None = typer.Option(None, "--date", help="YYYY-MM-DD the set is in force (today)"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON array"),
) -> None:
    """List the loaded violation types with their provision and legal fine range (yuan)."""
    pset = _set(province, on)
    rows = [
        {
            "code": v.code,
            "name": v.name_zh,
            "name_en": v.name_en,
            "law": v.law,
            "article": v.article,
            "legal_min": v.legal_min,
            "legal_max": v.legal_max,
        }
        for v in pset.violations
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{pset.name} ({pset.province}, {pset.version}, from {pset.effective_from})")
    for r in rows:
        typer.echo(
            f"{r['code']:<20} {r['legal_min']:>9}–{r['legal_max']:<9} "
            f"{r['law']}{r['article']}  {r['name']}"
        )


@penalty_app.command("assess")
def assess_cmd(
    facts_path: Annotated[
        Path, typer.Option("--facts", help="FACTS.json (docs/PENALTY.md)", dir_okay=False)
    ],
    province: str | None = typer.Option(None, "--province", help="province code"),
    on: str | None = typer.Option(None, "--date", help="YYYY-MM-DD the set is in force (today)"),
    as_json: bool = typer.Option(False, "--json", help="print the assessment as JSON"),
) -> None:
    """Assess FACTS.json: outcome, discretionary, amount, range and reasons (nothing stored)."""
    from lantian.enforcement.assess import FactsError, assess, parse_facts

    pset = _set(province, on)
    try:
        data = json.loads(facts_path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        _error(f"{facts_path}: {exc}")
        raise typer.Exit(2) from exc
    try:
        result = assess(parse_facts(data, pset), pset).as_dict()
    except FactsError as exc:
        _error(f"{facts_path}: {exc.message}")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    amount = "—" if result["amount"] is None else f"{result['amount']} 元"
    typer.echo(
        f"{result['outcome_zh']} ({result['outcome']})"
        f"{'，可以（裁量）' if result['discretionary'] else ''}  {amount}  range {result['range']}"
    )
    for r in result["reasons"]:
        typer.echo(f"  [{'x' if r['met'] else ' '}] {r['clause']}: {r['fact']}")


def register(app: typer.Typer) -> None:
    """Add ``lantian penalty …``."""
    app.add_typer(penalty_app, name="penalty")
