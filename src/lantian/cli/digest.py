"""``lantian digest``: the daily digest (每日推送) of a day, printed or sent."""

from __future__ import annotations

import json
from datetime import date

import typer

from lantian.cli.progress import console


def digest(
    day: str = typer.Option(..., "--date", help="CST day YYYY-MM-DD"),
    user: str | None = typer.Option(
        None, "--user", help="user name (the digest of that user's scope; default all)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the digest as JSON on stdout"),
    send: bool = typer.Option(
        False,
        "--send",
        help="store the digest in the outbox for --user (to the user's e-mail too when "
        "LANTIAN_SMTP_URL is set) and deliver it",
    ),
) -> None:
    """Print (text or --json: types with items) or --send the daily digest of a day."""
    from sqlalchemy import select

    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.reports.digest import digest_for_user, enqueue_digest, render_text
    from lantian.settings import get_settings

    try:
        the_day = date.fromisoformat(day)
    except ValueError as exc:
        raise typer.BadParameter("a date YYYY-MM-DD", param_hint="--date") from exc
    if send and user is None:
        raise typer.BadParameter("--send needs --user", param_hint="--user")
    settings = get_settings()
    settings.ensure_home()
    with session_scope(settings) as s:
        account = None
        if user is not None:
            account = s.scalar(select(User).where(User.username == user))
            if account is None:
                raise typer.BadParameter(f"no user {user!r}", param_hint="--user")
        result = digest_for_user(s, the_day, account, settings)
        if send:
            from lantian.auth.audit import audit

            assert account is not None
            extra = ("email",) if settings.smtp_url.get_secret_value() else ()
            rows = enqueue_digest(s, account, result, extra)
            audit(
                s,
                None,
                "digest_send",
                "digest",
                result.date,
                after={"user": account.username, "notifications": len(rows)},
            )
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    elif not send:
        typer.echo(render_text(result))
    if send:
        from lantian.notify.sender import run_once

        run = run_once(settings, jobs=False)
        console.print(f"digest {result.date} for {user} stored; delivery {run.delivered}")
        for nid, err in run.errors.items():
            console.print(f"  notification {nid}: {err}")


def register(app: typer.Typer) -> None:
    """Add ``digest`` to the main CLI."""
    app.command("digest")(digest)
