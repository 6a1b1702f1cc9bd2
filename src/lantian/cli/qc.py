"""``lantian qc``: remote quality control (远程质控) of data loggers through HJ 212 requests.

``send`` queues a request for an outlet's data logger (the gateway delivers it when the
logger is connected), ``list`` shows the queue and the results, ``schedule`` queues the
configured periodic checks that are due and times out / expires stale commands.
"""

from __future__ import annotations

import json

import typer

from lantian.cli.progress import console

qc_app = typer.Typer(help="Remote quality control of data loggers (HJ 212 request commands)")


@qc_app.command("send")
def send(
    outlet: str = typer.Option(..., "--outlet", help="outlet id (its data logger's MN is used)"),
    command: str = typer.Option(
        ...,
        "--command",
        help="CN: 1011 time, 1012 set time, 2011 real-time, 3011 zero/span, "
        "3012 sampling, 3020 field-unit info",
    ),
    pol: str | None = typer.Option(None, "--pol", help="PolId: one analyser (e.g. a21026)"),
    as_json: bool = typer.Option(False, "--json", help="print the queued command as JSON"),
) -> None:
    """Queue a request; the gateway sends it on the logger's connection."""
    from lantian.auth.errors import NotFound, ValidationError
    from lantian.db.session import session_scope
    from lantian.qc.models import command_dict
    from lantian.qc.service import queue_command
    from lantian.settings import get_settings

    settings = get_settings()
    settings.ensure_home()
    try:
        with session_scope(settings) as s:
            cmd = queue_command(s, None, outlet, command, params={"PolId": pol} if pol else None)
            row = command_dict(cmd)
    except (NotFound, ValidationError) as exc:
        raise typer.BadParameter(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(row, ensure_ascii=False))
    else:
        console.print(f"command {row['command_id']}: {command} → {row['mn']} queued")


@qc_app.command("list")
def list_(
    outlet: str | None = typer.Option(None, "--outlet", help="only this outlet"),
    limit: int = typer.Option(50, help="most commands shown"),
    as_json: bool = typer.Option(False, "--json", help="JSON lines of the commands"),
) -> None:
    """The newest commands with their status and verdict."""
    from sqlalchemy import select

    from lantian.db.session import session_scope
    from lantian.qc.models import QcCommand, command_dict
    from lantian.settings import get_settings

    settings = get_settings()
    settings.ensure_home()
    with session_scope(settings) as s:
        stmt = select(QcCommand).order_by(QcCommand.command_id.desc()).limit(limit)
        if outlet:
            stmt = stmt.where(QcCommand.outlet_id == outlet)
        rows = [command_dict(c) for c in s.scalars(stmt)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        verdict = r["verdict"] or ""
        console.print(
            f"{r['command_id']:>6} {r['outlet_id']} {r['cn']} {r['status']:<12} {verdict}"
        )


@qc_app.command("schedule")
def schedule(
    as_json: bool = typer.Option(False, "--json", help="print what was queued and finished"),
) -> None:
    """Queue the due periodic checks (LANTIAN_QC_CONFIG) and time out / expire stale ones."""
    from lantian.db.session import session_scope
    from lantian.qc.service import queue_due, sweep
    from lantian.settings import get_settings

    settings = get_settings()
    settings.ensure_home()
    with session_scope(settings) as s:
        made = [[c.outlet_id, c.cn] for c in queue_due(s)]
        done = [[c.command_id, c.status] for c in sweep(s)]
    if as_json:
        typer.echo(json.dumps({"queued": made, "finished": done}, ensure_ascii=False))
    else:
        console.print(f"{len(made)} checks queued, {len(done)} stale commands finished")


def register(app: typer.Typer) -> None:
    """Add ``qc`` to the main CLI."""
    app.add_typer(qc_app, name="qc")
