"""``lantian leads export``: the stored leads as JSON lines.

The format is the one ``lantian detect`` writes (the lead contract), plus ``status``
(``active`` or ``withdrawn``) and ``case_id`` (the case holding the lead, or null).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from lantian.cli.progress import console

leads_app = typer.Typer(help="Stored leads (线索).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``leads`` group."""
    app.add_typer(leads_app, name="leads")


@leads_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="JSON-lines file to write ('-' for stdout)")],
    active_only: Annotated[
        bool, typer.Option("--active-only", help="leave out withdrawn leads")
    ] = False,
) -> None:
    """Write the stored leads as JSON lines (the detect format plus status and case_id)."""
    from lantian.db.session import session_scope
    from lantian.leads.store import export_rows

    n = 0
    with session_scope() as s:
        if str(out) == "-":
            for row in export_rows(s, include_withdrawn=not active_only):
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
        else:
            tmp = out.with_name(f".{out.name}.part")
            with tmp.open("w", encoding="utf-8") as fh:
                for row in export_rows(s, include_withdrawn=not active_only):
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                    n += 1
            tmp.replace(out)
    console.print(f"{n} leads written to {out}")
