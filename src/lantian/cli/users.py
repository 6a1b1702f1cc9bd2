"""``lantian users add/list/passwd/disable/enable``."""

from __future__ import annotations

import json
import sys

import typer

from lantian.cli.progress import console

users_app = typer.Typer(
    help="User accounts (roles: admin, work_group, city_officer, district_officer, enterprise).",
    no_args_is_help=True,
)


def _read_password(password_stdin: bool, username: str) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt(f"password for {username}", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add(
    username: str = typer.Argument(..., help="login name (2-64 of letters, digits, _ . @ -)"),
    role: str = typer.Option(
        ..., "--role", help="admin | work_group | city_officer | district_officer | enterprise"
    ),
    enterprise: str | None = typer.Option(None, "--enterprise", help="enterprise_id (enterprise)"),
    province: str | None = typer.Option(
        None,
        "--province",
        help="2-digit province code (work_group limited to one province, e.g. 13)",
    ),
    city: str | None = typer.Option(
        None, "--city", help="city (city/district officer, work group)"
    ),
    district: str | None = typer.Option(None, "--district", help="district (district officer)"),
    name: str | None = typer.Option(None, "--name", help="display name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from standard input"
    ),
) -> None:
    """Create an account (asks for the password twice unless --password-stdin)."""
    from lantian.auth.errors import DomainError
    from lantian.auth.service import create_user
    from lantian.db.session import session_scope
    from lantian.settings import get_settings

    password = _read_password(password_stdin, username)
    settings = get_settings()
    settings.ensure_home()
    try:
        with session_scope(settings) as session:
            user = create_user(
                session,
                None,
                username,
                password,
                role,
                display_name=name,
                enterprise_id=enterprise,
                province=province,
                city=city,
                district=district,
            )
            uid = user.user_id
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    console.print(f"created user [bold]{username}[/bold] (id {uid}, role {role})")


@users_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List accounts."""
    from lantian.auth.models import ROLE_LABELS_ZH
    from lantian.auth.service import list_users
    from lantian.db.session import session_scope

    with session_scope() as session:
        users = [
            {
                "user_id": u.user_id,
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "enterprise_id": u.enterprise_id,
                "province": u.province,
                "city": u.city,
                "district": u.district,
                "active": u.active,
            }
            for u in list_users(session, None)
        ]
    if as_json:
        typer.echo(json.dumps(users, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table("id", "user", "name", "role", "scope", "active")
    for u in users:
        parts = [str(x) for x in (u["province"], u["city"], u["district"]) if x]
        scope = str(u["enterprise_id"] or "/".join(parts) or "全部")
        table.add_row(
            str(u["user_id"]),
            str(u["username"]),
            str(u["display_name"]),
            ROLE_LABELS_ZH.get(str(u["role"]), str(u["role"])),
            scope,
            "yes" if u["active"] else "no",
        )
    from rich.console import Console

    Console().print(table)


@users_app.command("passwd")
def passwd(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the new password from standard input"
    ),
) -> None:
    """Set a new password (ends the user's sessions and API tokens)."""
    from lantian.auth.errors import DomainError
    from lantian.auth.service import get_user, set_password
    from lantian.db.session import session_scope

    password = _read_password(password_stdin, username)
    try:
        with session_scope() as session:
            set_password(session, None, get_user(session, username), password)
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    console.print(f"password of [bold]{username}[/bold] changed")


def _set_active(username: str, active: bool) -> None:
    from lantian.auth.errors import DomainError
    from lantian.auth.service import get_user, set_active
    from lantian.db.session import session_scope

    try:
        with session_scope() as session:
            set_active(session, None, get_user(session, username), active)
    except DomainError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    console.print(f"{username}: {'enabled' if active else 'disabled'}")


@users_app.command("disable")
def disable(username: str = typer.Argument(...)) -> None:
    """Disable an account (its sessions and tokens end)."""
    _set_active(username, False)


@users_app.command("enable")
def enable(username: str = typer.Argument(...)) -> None:
    """Enable a disabled account."""
    _set_active(username, True)


def register(app: typer.Typer) -> None:
    """Add ``users`` to the ``lantian`` command (``audit``: :mod:`lantian.cli.audit`)."""
    app.add_typer(users_app, name="users")
