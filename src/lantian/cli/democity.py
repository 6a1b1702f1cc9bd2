"""``lantian demo-city``: write a simulated, labelled city as a bundle."""
# ruff: noqa: B008  (typer declares options as argument defaults)

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import typer

from lantian.cli.progress import console, progress

_STAGE_ZH = {
    "registry": "登记信息 registry",
    "power": "分表计电 power",
    "cems": "在线监测 CEMS",
    "ambient": "空气站 ambient",
    "labels": "标注 labels",
}


def register(app: typer.Typer) -> None:
    """Add the ``demo-city`` command."""

    @app.command("demo-city")
    def demo_city(
        out: Path = typer.Argument(..., help="output directory (must not exist or be empty)"),
        preset_name: str = typer.Option(
            "default",
            "--preset",
            help="default | small | hard (subtle incidents, more noise) | harder (noisiest, "
            "borderline incidents, treatment-meter outages, single analysers failing) | "
            "city-month (1,000 outlets, 4,000 meters, 50 stations, 30 days)",
        ),
        enterprises: int | None = typer.Option(None, help="number of enterprises"),
        days: int | None = typer.Option(None, help="length of the period in days"),
        seed: int | None = typer.Option(None, help="random seed (same seed, same city)"),
        start: str | None = typer.Option(None, help="first day, YYYY-MM-DD"),
        power_interval_min: int | None = typer.Option(
            None, "--power-interval-min", help="power interval in minutes (divides 60, ≤ 15)"
        ),
        stations: int | None = typer.Option(None, help="number of ambient stations"),
        outlets: int | None = typer.Option(None, help="target number of outlets"),
        meters: int | None = typer.Option(None, help="target number of meters"),
        data_format: str | None = typer.Option(
            None, "--format", help="auto (power Parquet, rest CSV) | csv | parquet"
        ),
        parquet: bool = typer.Option(False, "--parquet", help="all data files as Parquet"),
        csv: bool = typer.Option(False, "--csv", help="all data files as CSV"),
        incident_rate: float | None = typer.Option(
            None, "--incident-rate", help="multiplies the number of incidents"
        ),
        difficulty: float | None = typer.Option(
            None, "--difficulty", help="0 (easy) … 1 (subtle incidents, noisier data)"
        ),
        analyser_failures: float | None = typer.Option(
            None,
            "--analyser-failures",
            help="single-analyser failures (MISSING of one pollutant) per 100 outlet-days",
        ),
        treatment_outages: float | None = typer.Option(
            None,
            "--treatment-outages",
            help="long treatment-meter outages (no data, benign) per 100 meter-days",
        ),
        borderline: float | None = typer.Option(
            None, "--borderline", help="share of TREATMENT_LOW incidents near the threshold"
        ),
        overwrite: bool = typer.Option(False, "--overwrite", help="replace a non-empty OUT"),
        as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    ) -> None:
        """Write a simulated city (bundle in the v1 exchange formats plus labels.jsonl)."""
        from lantian.demo import generate_city, preset

        if parquet and csv:
            raise typer.BadParameter("choose --parquet or --csv, not both")
        fmt = data_format or ("parquet" if parquet else "csv" if csv else None)
        start_day: date | None = None
        if start is not None:
            try:
                start_day = datetime.strptime(start, "%Y-%m-%d").date()
            except ValueError as exc:
                raise typer.BadParameter(f"--start must be YYYY-MM-DD, got {start!r}") from exc
        try:
            cfg = preset(
                preset_name,
                enterprises=enterprises,
                days=days,
                seed=seed,
                start=start_day,
                power_interval_min=power_interval_min,
                stations=stations,
                outlets=outlets,
                meters=meters,
                data_format=fmt,
                incident_rate=incident_rate,
                difficulty=difficulty,
                analyser_failures=analyser_failures,
                treatment_outages=treatment_outages,
                borderline=borderline,
            ).validated()
        except ValueError as exc:
            console.print(f"[red]错误 error:[/red] {exc}")
            raise typer.Exit(2) from exc
        with progress() as bar:
            tasks: dict[str, object] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(_STAGE_ZH.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

            try:
                summary = generate_city(out, cfg, report, overwrite=overwrite)
            except ValueError as exc:
                console.print(f"[red]错误 error:[/red] {exc}")
                raise typer.Exit(2) from exc
        info = summary.as_dict()
        if as_json:
            typer.echo(json.dumps(info, ensure_ascii=False))
            return
        console.print(
            f"已生成模拟城市 city written: {out}  ({info['enterprises']} enterprises, "
            f"{info['outlets']} outlets, {info['meters']} meters, {info['stations']} stations, "
            f"{info['alerts']} alerts, {info['seconds']} s)"
        )
        for name, rows in info["rows"].items():
            folder = "registry" if name == "grids" else "data"
            console.print(f"  {folder}/{name}: {rows:,} rows")
        labels = ", ".join(f"{k} {v}" for k, v in sorted(info["labels"].items()))
        console.print(f"  labels.jsonl: {labels}; ignore windows {info['ignore_labels']}")
