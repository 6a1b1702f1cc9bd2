"""``lantian audit verify/anchor/ledger``: the keyed, anchored audit chain."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from lantian.cli.progress import console

audit_app = typer.Typer(
    help="The append-only, HMAC-chained audit log and its signed checkpoints.",
    no_args_is_help=True,
)


def _parse_ledger(values: list[str]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for value in values:
        row_id, sep, head = value.partition(":")
        if not sep or not row_id.isdigit() or len(head) != 64:
            raise typer.BadParameter(f"--ledger {value!r}: expected ROW_ID:HEAD_HASH (64 hex)")
        out.append((int(row_id), head.lower()))
    return out


@audit_app.command("verify")
def verify(
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    ledger: list[str] = typer.Option(  # noqa: B008
        [],
        "--ledger",
        help="ROW_ID:HEAD_HASH copied from a paper ledger line (repeatable); must match",
    ),
) -> None:
    """Recompute the audit chain and check its checkpoints; exit 1 on any tampering."""
    from lantian.auth.audit import verify_audit_chain
    from lantian.db.session import session_scope

    pairs = _parse_ledger(ledger)
    with session_scope() as session:
        report = verify_audit_chain(session, ledger=pairs)
    if as_json:
        typer.echo(json.dumps(asdict(report), ensure_ascii=False, indent=2))
    elif report.ok:
        console.print(
            f"[green]audit log intact[/green]: {report.rows} records "
            f"({report.keyed_rows} keyed), {report.checkpoints} checkpoint(s)"
        )
    else:
        where = f" at record {report.first_bad_id}" if report.first_bad_id is not None else ""
        console.print(f"[red]audit log BROKEN[/red]{where}")
        for p in report.problems:
            console.print(f"  {p}")
    if not as_json:
        for w in report.warnings:
            console.print(f"[yellow]warning[/yellow]: {w}")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def anchor(
    print_line: bool = typer.Option(
        False, "--print", help="print the checkpoint as one line for a paper ledger"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the checkpoint as JSON"),
) -> None:
    """Write a signed checkpoint of the chain's head to the archive directory now."""
    from lantian.auth.audit import checkpoint_path, ledger_line, write_checkpoint
    from lantian.db.session import session_scope
    from lantian.settings import get_settings

    settings = get_settings()
    settings.ensure_home()
    with session_scope(settings) as session:
        cp = write_checkpoint(session, None, settings)
    assert cp is not None
    if as_json:
        typer.echo(json.dumps(asdict(cp), ensure_ascii=False))
    if print_line:
        typer.echo(ledger_line(cp))
    console.print(
        f"checkpoint of row {cp.audit_id} ({cp.rows} rows) appended to {checkpoint_path(settings)}"
    )


@audit_app.command("ledger")
def ledger_cmd() -> None:
    """Print every checkpoint as one line each, for a paper ledger."""
    from lantian.auth.audit import checkpoint_path, ledger_line, read_checkpoints

    checkpoints, bad = read_checkpoints(checkpoint_path())
    for cp in checkpoints:
        typer.echo(ledger_line(cp))
    for text_ in bad:
        console.print(f"[red]{text_}[/red]")
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``audit`` to the ``lantian`` command."""
    app.add_typer(audit_app, name="audit")
