"""``lantian report``: generate and archive a weekly, monthly or campaign report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lantian.cli.progress import console


def report(
    kind: str = typer.Option("monthly", "--kind", help="weekly, monthly or campaign"),
    period: str | None = typer.Option(
        None,
        "--period",
        help="weekly: 2026-W48 (or a date of the week); monthly: 2026-11; campaign: its id. "
        "Default: the last full week or month",
    ),
    jurisdiction: str | None = typer.Option(
        None, "--jurisdiction", help="a city of the register (default: the whole platform)"
    ),
    user: str | None = typer.Option(
        None, "--user", help="user name: the report as this officer sees it (and by them)"
    ),
    out: Annotated[
        Path | None, typer.Option("--out", help="directory for the PDF and workbook")
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON on stdout"),
) -> None:
    """Compute a report (leads, cases, loads, air quality, assistance), render the PDF with
    charts and the Excel workbook, archive both with their SHA-256, and print a summary."""
    from sqlalchemy import select

    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.registry.models import Enterprise
    from lantian.reports.archive import generate, period_of
    from lantian.reports.periodic import KINDS, PeriodError, city_viewer, report_json
    from lantian.settings import get_settings

    if kind not in KINDS:
        raise typer.BadParameter(f"one of {', '.join(KINDS)}", param_hint="--kind")
    if jurisdiction and user:
        raise typer.BadParameter("give --jurisdiction or --user, not both")
    settings = get_settings()
    settings.ensure_home()
    with session_scope(settings) as s:
        try:
            p = period_of(s, kind, period)
        except PeriodError as exc:
            raise typer.BadParameter(str(exc), param_hint="--period") from exc
        actor = None
        viewer: object = User(role="admin", username="report")
        if user is not None:
            actor = s.scalar(select(User).where(User.username == user))
            if actor is None:
                raise typer.BadParameter(f"no user {user!r}", param_hint="--user")
            viewer = actor
        elif jurisdiction:
            known = s.scalar(select(Enterprise.city).where(Enterprise.city == jurisdiction))
            if known is None:
                raise typer.BadParameter(
                    f"no enterprise of the register is in {jurisdiction!r}",
                    param_hint="--jurisdiction",
                )
            viewer = city_viewer(jurisdiction)
        made = generate(s, viewer, kind, p, actor=actor, settings=settings)
        row = made.row
        summary = {
            "report_id": row.report_id,
            "title": row.title,
            "pdf_sha256": row.pdf_sha256,
            "xlsx_sha256": row.xlsx_sha256,
        }
        body = report_json(made.report) | summary
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{kind}-{p.start.isoformat()}" + (f"-{jurisdiction}" if jurisdiction else "")
        (out / f"{stem}.pdf").write_bytes(made.pdf)
        (out / f"{stem}.xlsx").write_bytes(made.xlsx)
        files = [str(out / f"{stem}.pdf"), str(out / f"{stem}.xlsx")]
    else:
        files = []
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=1, default=str))
    else:
        console.print(f"{row.title}: archived as report {row.report_id}")
        console.print(f"  PDF  sha256 {row.pdf_sha256}")
        console.print(f"  xlsx sha256 {row.xlsx_sha256}")
        for f in files:
            console.print(f"  written {f}")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the main CLI."""
    app.command("report")(report)
