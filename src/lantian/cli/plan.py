"""``lantian plan draw``, ``lantian positive-list review``, ``lantian inspectors import``.

Differentiated supervision (docs/SUPERVISION.md): the seeded 双随机 plan, the 正面清单
review and the inspector register (执法证号).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from lantian.cli.progress import console

if TYPE_CHECKING:
    from lantian.supervision.config import SupervisionConfig

plan_app = typer.Typer(
    help="双随机 inspection plans (seeded, risk-weighted).", no_args_is_help=True
)
positive_app = typer.Typer(help="正面清单 (positive list): review.", no_args_is_help=True)
inspectors_app = typer.Typer(help="Inspector register (执法证号).", no_args_is_help=True)


def _error(message: str) -> None:
    """Print an error on stderr unwrapped, its text not read as markup ([table] key)."""
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)


def _config() -> SupervisionConfig:
    from lantian.settings import get_settings
    from lantian.supervision.config import SupervisionConfigError, load_config

    try:
        return load_config(get_settings().supervision_config)
    except SupervisionConfigError as exc:
        _error(str(exc))
        raise typer.Exit(2) from exc


@plan_app.command("draw")
def draw(
    period: str = typer.Option(..., "--period", help="YYYY-MM (or YYYY-Qn)"),
    jurisdiction: str | None = typer.Option(
        None, "--jurisdiction", help="city or district code (default: everything)"
    ),
    seed: int = typer.Option(..., "--seed", help="the published seed (non-negative)"),
    as_json: bool = typer.Option(False, "--json", help="print the plan as one JSON object"),
) -> None:
    """Draw, store and audit a 双随机 plan; same inputs and seed give the same plan."""
    from lantian.db.session import session_scope
    from lantian.settings import get_settings
    from lantian.supervision.plan import PlanError
    from lantian.supervision.plans.services import draw_and_store

    config = _config()
    settings = get_settings()
    settings.ensure_home()
    try:
        with session_scope(settings) as session:
            plan, draw_id = draw_and_store(
                session, None, config, period=period, jurisdiction=jurisdiction, seed=seed
            )
    except PlanError as exc:
        _error(str(exc))
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(plan.to_json())
    onsite = sum(1 for v in plan.visits if v.mode == "onsite")
    console.print(
        f"plan {plan.period} (draw {draw_id}, seed {plan.seed}): {len(plan.visits)} visit(s), "
        f"{onsite} on site; {len(plan.unsatisfied)} unsatisfied; inputs {plan.inputs_hash[:12]}"
    )
    for u in plan.unsatisfied:
        console.print(
            f"[yellow]unsatisfied[/yellow] {escape(f'{u.kind} {u.subject}: {u.detail}')}",
            soft_wrap=True,
        )


@positive_app.command("review")
def review(
    jurisdiction: str | None = typer.Option(
        None, "--jurisdiction", help="city or district code (default: everything)"
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)"),
    as_json: bool = typer.Option(False, "--json", help="print the review as one JSON object"),
    store: bool = typer.Option(
        False, "--store", help="store the proposals for officers to decide on /positive-list"
    ),
) -> None:
    """Propose additions and removals from the entry criteria, with reasons (the list only
    changes when an officer accepts a proposal; ``--store`` keeps them for that)."""
    import datetime as dt

    from lantian.db.session import session_scope
    from lantian.settings import get_settings
    from lantian.supervision.positive_list import review_json, review_positive_list
    from lantian.supervision.queries import load_enterprise_facts
    from lantian.timeutil import now_cst

    config = _config()
    try:
        day = dt.date.fromisoformat(as_of) if as_of else now_cst().date()
    except ValueError as exc:
        _error(f"--as-of {as_of!r}: expected YYYY-MM-DD")
        raise typer.Exit(2) from exc
    settings = get_settings()
    settings.ensure_home()
    with session_scope(settings) as session:
        facts = load_enterprise_facts(
            session, jurisdiction=jurisdiction, start=day, end=day + dt.timedelta(days=1)
        )
    proposals = review_positive_list(facts, config.positive_list, day)
    if store:
        from lantian.io.importer import cli_actor
        from lantian.supervision.listing.services import run_review

        with session_scope(settings) as session:
            stored = run_review(session, cli_actor(), config, day, jurisdiction=jurisdiction)
        console.print(f"stored {len(stored)} new proposal(s)")
    if as_json:
        out = review_json(proposals, config.positive_list, day)
        typer.echo(json.dumps(out, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    for p in proposals:
        console.print(
            escape(f"{p.change:<6} {p.enterprise_id}: {'; '.join(p.reasons)}"), soft_wrap=True
        )
    console.print(f"{len(proposals)} proposed change(s) of {len(facts)} enterprise(s)")


@inspectors_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV: username,cert_no[,valid_until]")],
) -> None:
    """Set officers' 执法证号 from a CSV (all rows or none; each change audited)."""
    from lantian.db.session import session_scope
    from lantian.settings import get_settings
    from lantian.supervision.inspectors.services import (
        InspectorImportError,
        import_certificates,
        parse_inspector_csv,
    )

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _error(f"{file}: {exc}")
        raise typer.Exit(2) from exc
    settings = get_settings()
    settings.ensure_home()
    try:
        rows = parse_inspector_csv(text, str(file))
        with session_scope(settings) as session:
            changed = import_certificates(session, None, rows, str(file))
    except InspectorImportError as exc:
        _error(str(exc))
        raise typer.Exit(2) from exc
    console.print(f"{len(rows)} row(s), {changed} certificate(s) set")


def register(app: typer.Typer) -> None:
    """Add ``plan``, ``positive-list`` and ``inspectors`` to the main CLI."""
    app.add_typer(plan_app, name="plan")
    app.add_typer(positive_app, name="positive-list")
    app.add_typer(inspectors_app, name="inspectors")
