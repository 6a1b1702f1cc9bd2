"""``lantian jobs run``: the periodic work of the closed loop, once (for cron)."""

from __future__ import annotations

import json

import typer

from lantian.cli.progress import console

jobs_app = typer.Typer(
    help="Scheduled jobs: overdue escalation, recurrence reopening, login-attempt pruning.",
    no_args_is_help=True,
)


@jobs_app.command("run")
def run(
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON on stdout"),
) -> None:
    """Run the scheduled jobs once and commit (the web app also runs them periodically)."""
    from lantian.settings import get_settings
    from lantian.timeutil import isoformat_cst
    from lantian.workflow.jobs import run_jobs_once

    settings = get_settings()
    settings.ensure_home()
    report = run_jobs_once(settings)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "escalated": [
                        {
                            "case_id": e.case_id,
                            "status": e.status,
                            "deadline": isoformat_cst(e.deadline),
                            "days_overdue": round(e.days_overdue, 2),
                            "old_level": e.old_level,
                            "new_level": e.new_level,
                        }
                        for e in report.escalated
                    ],
                    "reopened": report.reopened,
                    "converted_to_supervision": report.converted,
                    "login_attempts_pruned": report.login_attempts_pruned,
                },
                ensure_ascii=False,
            )
        )
    console.print(
        f"escalated {len(report.escalated)} case(s), reopened {len(report.reopened)}, "
        f"turned {len(report.converted)} overdue immediate fix(es) into supervision orders, "
        f"pruned {report.login_attempts_pruned} login attempt(s)"
    )


def register(app: typer.Typer) -> None:
    """Add ``jobs`` to the main CLI."""
    app.add_typer(jobs_app, name="jobs")
