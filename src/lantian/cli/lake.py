"""``lantian lake``: inspect, query and compact the measurement lake."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lantian.cli.progress import console

if TYPE_CHECKING:
    from lantian.lake import Lake

lake_app = typer.Typer(help="The Parquet measurement lake.", no_args_is_help=True)


def _lake() -> Lake:
    from lantian.lake import Lake
    from lantian.settings import get_settings

    return Lake(get_settings().lake_dir)


@lake_app.command("stats")
def stats_command(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Files, stored rows and bytes per source."""
    stats = _lake().stats()
    if as_json:
        typer.echo(json.dumps(stats, indent=2))
        return
    table = Table(title="lake")
    for col in ("source", "files", "rows", "bytes", "days", "first day", "last day"):
        table.add_column(col, justify="right" if col in ("files", "rows", "bytes") else "left")
    for name, s in stats.items():
        table.add_row(
            name,
            str(s["files"]),
            f"{s['rows']:,}",
            f"{s['bytes']:,}",
            str(s["partitions"]),
            s["first_day"],
            s["last_day"],
        )
    Console().print(table)


@lake_app.command("compact")
def compact_command(
    source: str | None = typer.Argument(None, help="one source (default: all)"),
    grace: float = typer.Option(
        600.0, help="seconds replaced files stay for readers of older snapshots"
    ),
) -> None:
    """Merge each day's files into one deduplicated file (safe while others read/write)."""
    from lantian.lake import SOURCES

    if source is not None and source not in SOURCES:
        console.print(f"[red]error:[/red] unknown source {escape(source)!s}")
        raise typer.Exit(2)
    report = _lake().compact(source, grace_seconds=grace)
    console.print(
        f"{len(report.partitions)} day partition(s) compacted, {report.files_merged} files "
        f"merged, {report.rows_removed:,} superseded rows dropped, {report.files_purged} "
        f"replaced files deleted in {report.seconds:.2f} s"
    )


@lake_app.command("query")
def query_command(
    sql: str = typer.Argument(..., help="DuckDB SQL over views cems_hourly, power, …"),
    limit: int = typer.Option(50, help="rows to show"),
) -> None:
    """Run SQL on the deduplicated views and print the result (times in CST)."""
    import duckdb

    con = _lake().connect()
    try:
        rel = con.sql(sql)
    except duckdb.Error as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if rel is None:
        return
    table = Table()
    for col in rel.columns:
        table.add_column(col)
    for row in rel.limit(limit).fetchall():
        table.add_row(*("" if v is None else str(v) for v in row))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``lantian lake …``."""
    app.add_typer(lake_app, name="lake")
