"""Commands of the lead detection engine: ``lantian detect`` and ``lantian rules list|show``."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from lantian.rules.base import Rule
    from lantian.rules.inputs import Inputs


def register(app: typer.Typer) -> None:
    """Add ``detect`` and the ``rules`` group to the main app."""
    rules_app = typer.Typer(help="The rule catalog (规则目录).", no_args_is_help=True)
    app.add_typer(rules_app, name="rules")

    @app.command()
    def detect(
        bundle: Annotated[Path, typer.Argument(help="bundle directory (exchange formats v1)")],
        out: Annotated[Path, typer.Option("--out", "-o", help="leads.jsonl to write")] = Path(
            "leads.jsonl"
        ),
        from_: Annotated[
            str | None, typer.Option("--from", help="start (ISO 8601, CST if naive)")
        ] = None,
        to: Annotated[str | None, typer.Option("--to", help="end, exclusive")] = None,
        engine: Annotated[str, typer.Option("--engine", help="duckdb or spark")] = "duckdb",
        spark_master: Annotated[
            str | None,
            typer.Option(
                "--spark-master",
                help="Spark master URL for --engine spark (spark://host:7077; default "
                "$LANTIAN_SPARK_MASTER, else local[2])",
            ),
        ] = None,
        config: Annotated[Path | None, typer.Option("--config", help="TOML rule overrides")] = None,
        rules: Annotated[
            str | None, typer.Option("--rules", help="comma-separated rule codes")
        ] = None,
    ) -> None:
        """Detect leads (线索识别) in a bundle and write them as JSON lines."""
        from lantian.cli.progress import console, progress
        from lantian.rules import catalog
        from lantian.rules.config import ConfigError, RulesConfig
        from lantian.rules.engine import run_rules, write_leads_jsonl
        from lantian.rules.inputs import BundleError
        from lantian.settings import get_settings
        from lantian.timeutil import parse_time_cst

        try:
            window = None
            if from_ or to:
                if not (from_ and to):
                    raise typer.BadParameter("--from and --to go together")
                lo, hi = parse_time_cst(from_), parse_time_cst(to)
                if hi <= lo:
                    raise typer.BadParameter("--to must be after --from")
                window = (lo, hi)
            cfg_path = config or get_settings().rules_config
            cfg = RulesConfig.from_toml(cfg_path) if cfg_path else RulesConfig()
            codes = [c.strip() for c in rules.split(",") if c.strip()] if rules else None
            reg = catalog.all_rules()
            if codes:
                bad = [c for c in codes if c not in reg]
                if bad:
                    raise typer.BadParameter(f"unknown rule code(s): {', '.join(bad)}")
            t0 = time.perf_counter()
            if spark_master and engine != "spark":
                raise typer.BadParameter("--spark-master goes with --engine spark")
            inputs = _load(bundle, engine, spark_master)
            todo = codes or list(reg)
            with progress(transient=True) as bar:
                task = bar.add_task("线索识别 detecting", total=len(todo))

                def step(code: str) -> None:
                    bar.update(task, description=f"线索识别 {code}", advance=0)

                leads = run_rules(inputs, rules=todo, params=cfg, window=window, progress=step)
                bar.update(task, completed=len(todo))
            n = write_leads_jsonl(leads, out)
        except (BundleError, ConfigError, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        console.print(f"{n} leads → {out} ({time.perf_counter() - t0:.1f} s)")

    @rules_app.command("list")
    def list_rules(
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Print the rule catalog: code, family, clause, parameters."""
        from rich.console import Console
        from rich.table import Table

        from lantian.rules import catalog

        reg = catalog.all_rules()
        if as_json:
            typer.echo(
                json.dumps([_rule_dict(r) for r in reg.values()], ensure_ascii=False, indent=2)
            )
            return
        table = Table(title="规则目录 rule catalog")
        for col in ("code", "family", "title", "clause", "parameters"):
            table.add_column(col, overflow="fold")
        for r in reg.values():
            params = ", ".join(f"{k}={v}" for k, v in asdict(r.params_type()).items())
            table.add_row(r.code, r.family, r.title_zh, r.clause, params)
        Console().print(table)

    @rules_app.command("show")
    def show_rule(
        code: Annotated[str, typer.Argument(help="rule code, e.g. CEMS-EXCEED")],
    ) -> None:
        """Print one rule: clause, parameters with their meaning, and its documentation."""
        from lantian.rules import catalog

        reg = catalog.all_rules()
        if code not in reg:
            typer.echo(f"unknown rule {code!r}; known: {', '.join(reg)}", err=True)
            raise typer.Exit(2)
        r = reg[code]
        d = _rule_dict(r)
        typer.echo(f"{r.code}  {r.family}  {r.title_zh} / {r.title_en}")
        typer.echo(f"clause: {r.clause}")
        typer.echo(f"needs: {', '.join(r.needs)}   scope: {r.scope}")
        typer.echo("parameters:")
        for k, v in d["parameters"].items():
            typer.echo(f"  {k} = {v}")
        doc = docs_dir() / f"{r.code}.md"
        if doc.exists():
            typer.echo("")
            typer.echo(doc.read_text(encoding="utf-8"))


def docs_dir() -> Path:
    """docs/rules of the source tree (rule documentation)."""
    return Path(__file__).resolve().parents[3] / "docs" / "rules"


def _rule_dict(r: Rule) -> dict[str, Any]:
    return {
        "code": r.code,
        "family": r.family,
        "title_zh": r.title_zh,
        "title_en": r.title_en,
        "clause": r.clause,
        "needs": list(r.needs),
        "scope": r.scope,
        "parameters": {
            f.name: (list(v) if isinstance(v := getattr(r.params_type(), f.name), tuple) else v)
            for f in fields(r.params_type)
        },
    }


def _load(bundle: Path, engine: str, spark_master: str | None = None) -> Inputs:
    from lantian.rules.inputs import load_bundle

    if engine == "duckdb":
        return load_bundle(bundle)
    if engine == "spark":
        try:
            from lantian.rules import spark  # the Spark helper's module
        except ImportError as exc:
            raise ValueError("the spark engine is not available in this build") from exc
        return spark.load_bundle_spark(bundle, spark.spark_session(spark_master))
    raise ValueError(f"unknown engine {engine!r} (duckdb or spark)")
