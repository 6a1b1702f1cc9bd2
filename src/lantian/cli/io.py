"""``lantian import`` and ``lantian export``: bundles in and out (exchange formats v1)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import TaskID
from rich.table import Table

from lantian.cli.progress import console, progress

export_app = typer.Typer(
    help="Write the registry or lake data in the exchange formats.", no_args_is_help=True
)

_MAX_SHOWN = 20


def _parse_when(text: str | None) -> datetime | None:
    if text is None:
        return None
    from lantian.timeutil import parse_time_cst

    try:
        return parse_time_cst(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 time: {text!r}") from exc


def import_command(
    bundle: Annotated[Path, typer.Argument(help="bundle directory (registry/, data/) or .xlsx")],
    compact: Annotated[
        bool,
        typer.Option(help="afterwards merge day partitions that now hold several files"),
    ] = True,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="print the summary as JSON on stdout (files, rows, SHA-256, quarantined rows)",
        ),
    ] = False,
) -> None:
    """Import a bundle: registry and alerts into the database, measurements into the lake.

    Each file is all-or-nothing; the first refused file stops the import (exit 1) and
    names file, line, column and value. Files before it stay imported. Measurement rows
    stamped beyond now + LANTIAN_FUTURE_MARGIN_H are quarantined (kept, not stored).
    """
    from lantian.io import BundleError, ImportReport, import_bundle

    report = ImportReport()
    tasks: dict[str, TaskID] = {}
    with progress() as bar:

        def listener(label: str, stage: str, rows: int | None) -> None:
            if stage == "start":
                tasks[label] = bar.add_task(f"{label}: reading", total=None)
            elif stage == "checked":
                bar.update(
                    tasks[label], description=f"{label}: storing", total=rows or 0, completed=0
                )
            else:
                bar.update(tasks[label], description=f"{label}", completed=rows or 0)

        try:
            import_bundle(bundle, listener=listener, report=report)
            failure: BundleError | None = None
        except BundleError as exc:
            failure = exc
    for issue in report.warnings[:_MAX_SHOWN]:
        console.print(f"[yellow]warning:[/yellow] {escape(str(issue))}", soft_wrap=True)
    if len(report.warnings) > _MAX_SHOWN:
        console.print(f"[yellow]… {len(report.warnings) - _MAX_SHOWN} more warning(s)[/yellow]")
    table = Table(title=f"lantian import {bundle}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("new", justify="right")
    table.add_column("updated", justify="right")
    table.add_column("quarantined", justify="right")
    table.add_column("stored in")
    table.add_column("seconds", justify="right")
    for f in report.files:
        new = str(f.inserted) if f.target == "database" else ""
        upd = str(f.updated) if f.target == "database" else ""
        quar = f"{f.quarantined:,}" if f.quarantined else ""
        table.add_row(f.label, f"{f.rows:,}", new, upd, quar, f.target, f"{f.seconds:.2f}")
    quar_total = f"{report.quarantined:,}" if report.quarantined else ""
    table.add_row("total", f"{report.rows:,}", "", "", quar_total, "", f"{report.seconds:.2f}")
    Console(stderr=as_json).print(table)
    if as_json:
        import json
        from dataclasses import asdict

        typer.echo(
            json.dumps(
                {
                    "ok": failure is None,
                    "files": [asdict(f) for f in report.files],
                    "rows": report.rows,
                    "quarantined": report.quarantined,
                    "warnings": [str(w) for w in report.warnings],
                    "error": str(failure) if failure is not None else None,
                },
                ensure_ascii=False,
            )
        )
    lake_sources = sorted({f.name for f in report.files if f.target == "lake"})
    if compact and lake_sources:
        from lantian.lake import Lake
        from lantian.settings import get_settings

        lake = Lake(get_settings().lake_dir)
        merged = [lake.compact(name) for name in lake_sources]
        parts = sum(len(r.partitions) for r in merged)
        if parts:
            seconds = sum(r.seconds for r in merged)
            console.print(f"lake: {parts} day partition(s) compacted in {seconds:.2f} s")
    if failure is not None:
        console.print(f"[red]error:[/red] {escape(str(failure.first))}", soft_wrap=True)
        for issue in failure.issues[1:_MAX_SHOWN]:
            console.print(f"[red]  also:[/red] {escape(str(issue))}", soft_wrap=True)
        console.print(
            f"[red]{escape(failure.file)} was not imported (nothing of it stored).[/red]",
            soft_wrap=True,
        )
        raise typer.Exit(1)


@export_app.command("registry")
def export_registry_command(
    out_dir: Annotated[Path, typer.Argument(help="bundle directory to write")],
    xlsx: bool = typer.Option(False, "--xlsx", help="write registry.xlsx instead of CSVs"),
    with_secrets: bool = typer.Option(
        False,
        "--with-secrets",
        help="also write the secrets: SM4 keys (sm4_key) and HJ 212 passwords (pw)",
    ),
) -> None:
    """Write the registry as registry/*.csv (or registry.xlsx) of a bundle."""
    from lantian.io.export import export_registry

    counts = export_registry(out_dir, xlsx=xlsx, with_secrets=with_secrets)
    for name, rows in counts.items():
        typer.echo(f"{name}\t{rows}")


@export_app.command("data")
def export_data_command(
    source: Annotated[str, typer.Argument(help="cems_hourly, power, ambient_hourly, alerts …")],
    out: Annotated[Path, typer.Argument(help="output file (.csv or .parquet)")],
    start: str | None = typer.Option(None, "--from", help="first time (ISO 8601, CST default)"),
    end: str | None = typer.Option(None, "--to", help="end time, exclusive"),
) -> None:
    """Write one lake source (deduplicated) or the alerts to a CSV or Parquet file."""
    from lantian.io.export import export_data

    try:
        rows = export_data(source, out, start=_parse_when(start), end=_parse_when(end))
    except (KeyError, ValueError) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    console.print(f"{rows:,} rows written to {escape(str(out))}")


@export_app.command("clues")
def export_clues_command(
    out_dir: Annotated[Path, typer.Argument(help="bundle directory to write")],
    start: str | None = typer.Option(None, "--from", help="first time (ISO 8601, CST default)"),
    end: str | None = typer.Option(None, "--to", help="end time, exclusive"),
) -> None:
    """Write the v2 clue layers: registry/grids.csv and data/grid_hourly, met_hourly,
    mobile_track, camera_alarms, gate_records (.csv)."""
    from lantian.io.export import export_clues

    counts = export_clues(out_dir, start=_parse_when(start), end=_parse_when(end))
    for name, rows in counts.items():
        typer.echo(f"{name}\t{rows}")


def register(app: typer.Typer) -> None:
    """Add ``import`` and ``export`` to the ``lantian`` command."""
    app.command("import")(import_command)
    app.add_typer(export_app, name="export")
