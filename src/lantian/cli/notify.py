"""``lantian notify send`` and ``lantian notify test``: the notification outbox."""

from __future__ import annotations

import json

import typer

from lantian.cli.progress import console

notify_app = typer.Typer(
    help="Notifications: deliver the outbox, send a test message.", no_args_is_help=True
)


@notify_app.command("send")
def send(
    jobs: bool = typer.Option(
        True, "--jobs/--no-jobs", help="store deadline notifications and due digests first"
    ),
    limit: int = typer.Option(200, "--limit", min=1, help="most notifications delivered"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON on stdout"),
) -> None:
    """Store due deadline notifications and digests, then deliver the outbox once (retries
    with back-off; the web process does this every LANTIAN_NOTIFY_INTERVAL_S)."""
    from lantian.notify.sender import run_once
    from lantian.settings import get_settings

    settings = get_settings()
    settings.ensure_home()
    run = run_once(settings, jobs=jobs, limit=limit)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "deadline_notifications": run.deadline_notifications,
                    "digests": run.digests,
                    "delivered": run.delivered,
                    "errors": {str(k): v for k, v in run.errors.items()},
                },
                ensure_ascii=False,
            )
        )
    console.print(
        f"stored {run.deadline_notifications} deadline notification(s), digests {run.digests}; "
        f"delivery {run.delivered}"
    )
    for nid, err in list(run.errors.items())[:10]:
        console.print(f"  notification {nid}: {err}")


@notify_app.command("test")
def test(
    channel: str = typer.Option(..., "--channel", help="email | wecom | dingtalk | webhook | sms"),
    to: str = typer.Option("", "--to", help="e-mail address or phone number (email, sms)"),
) -> None:
    """Store a test message in the outbox and deliver it now; exit 1 when it failed (the
    message stays in the outbox and is retried)."""
    from lantian.auth.errors import DomainError
    from lantian.db.session import session_scope
    from lantian.notify.channels import channels_from_settings
    from lantian.notify.outbox import deliver_one, enqueue_address
    from lantian.settings import get_settings
    from lantian.timeutil import now_cst
    from lantian.vocab import notify as vocab

    if channel not in vocab.CHANNELS or channel == "in_app":
        raise typer.BadParameter(
            "one of email, wecom, dingtalk, webhook, sms", param_hint="--channel"
        )
    if channel in ("email", "sms") and not to:
        raise typer.BadParameter(f"--to is required for {channel}", param_hint="--to")
    settings = get_settings()
    settings.ensure_home()
    now = now_cst()
    try:
        with session_scope(settings) as s:
            row = enqueue_address(
                s,
                None,
                channel,
                to,
                "【测试】蓝天平台通知测试",
                f"这是一条测试消息，发送于 {now.strftime('%Y-%m-%d %H:%M:%S')}（北京时间）。",
                now=now,
            )
            nid = row.notification_id
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    with session_scope(settings) as s:
        status, error = deliver_one(s, nid, channels_from_settings(settings), now)
    if status == "sent":
        console.print(f"notification {nid} sent over {channel}")
        return
    console.print(f"[red]notification {nid} not sent: {error}[/red] (kept in the outbox, {status})")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``notify`` to the main CLI."""
    app.add_typer(notify_app, name="notify")
