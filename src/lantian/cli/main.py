"""The ``lantian`` command: one Typer app; each area registers its own commands.

To add commands, write ``lantian/cli/<area>.py`` with ``def register(app: typer.Typer)``
and add the module name to :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import importlib
import json

import typer

from lantian import __version__

app = typer.Typer(
    name="lantian",
    help="Lantian (蓝天): air-quality supervision and assistance platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

config_app = typer.Typer(help="Settings (LANTIAN_* environment variables).", no_args_is_help=True)
app.add_typer(config_app, name="config")


@app.command()
def version() -> None:
    """Print the version of Lantian."""
    typer.echo(__version__)


@config_app.command("show")
def config_show(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Print the effective settings, secrets masked."""
    from lantian.settings import get_settings

    values = get_settings().masked()
    if as_json:
        typer.echo(json.dumps(values, ensure_ascii=False, indent=2))
        return
    width = max(len(k) for k in values)
    for key, value in values.items():
        typer.echo(f"LANTIAN_{key.upper():<{width}}  {value}")


@app.command()
def migrate() -> None:
    """Create or upgrade the operational database to the newest schema."""
    from lantian.db.session import get_engine
    from lantian.settings import get_settings

    settings = get_settings()
    settings.ensure_home()
    get_engine(settings)
    typer.echo("database is up to date")


COMMAND_MODULES: list[str] = [
    "rules",
    "hj212",
    "io",
    "lake",
    "web",
    "gateway",
    "democity",
    "users",
    "audit",
    "jobs",
    "detectplatform",
    "leads",
    "demo",
    "plan",
    "penalty",
    "notify",
    "digest",
    "report",
    "qc",
]
"""Modules under :mod:`lantian.cli` that add commands (each has ``register(app)``)."""

for _name in COMMAND_MODULES:
    importlib.import_module(f"lantian.cli.{_name}").register(app)
