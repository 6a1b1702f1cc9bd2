"""Platform-mode commands: ``lantian detect-lake``, ``lantian rules stats`` and ``lantian ambient``.

* ``lantian detect-lake [--schedule SECONDS]``: lead detection over what arrived in the
  lake since the last run; leads stored, extended or withdrawn in the database.
* ``lantian rules stats``: per-rule precision from officers' judgements.
* ``lantian ambient index BUNDLE|--lake [--by station|township|district|city]``: the
  HJ 663-2013 composite index (空气质量综合指数); ``lantian ambient rank``: the ranking.
"""

from __future__ import annotations

import json
import math
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from lantian.cli.progress import console

ambient_app = typer.Typer(
    help="Ambient air quality: composite index (综合指数) and rankings.", no_args_is_help=True
)

LEVEL_HELP = "station, township, district or city"
INDEX_COLUMNS: tuple[str, ...] = (
    "composite_index",
    "weighted_index",
    "primary_pollutant",
    "i_pm25",
    "i_pm10",
    "i_o3",
    "i_no2",
    "i_so2",
    "i_co",
    "n_pollutants",
    "days_pm25",
)


def register(app: typer.Typer) -> None:
    """Add ``detect-lake``, ``rules stats`` and the ``ambient`` group."""
    app.command("detect-lake")(detect_lake)
    rules_group = None
    for group in app.registered_groups:
        if group.name == "rules" and group.typer_instance is not None:
            rules_group = group.typer_instance
    if rules_group is None:
        rules_group = typer.Typer(help="The rule catalog (规则目录).", no_args_is_help=True)
        app.add_typer(rules_group, name="rules")
    rules_group.command("stats")(rules_stats)
    app.add_typer(ambient_app, name="ambient")


# ---------------------------------------------------------------------------- detect-lake


def detect_lake(
    schedule: Annotated[
        float | None,
        typer.Option("--schedule", help="run every SECONDS until interrupted (default: once)"),
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb or spark")] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option("--spark-master", help="Spark master URL (default $LANTIAN_SPARK_MASTER)"),
    ] = None,
    lookback_days: Annotated[
        float,
        typer.Option("--lookback-days", help="days re-read on each side of the changed hours"),
    ] = 7.0,
    initial_days: Annotated[
        float,
        typer.Option("--initial-days", help="first run and --force: days before the newest data"),
    ] = 31.0,
    merge_gap_h: Annotated[
        float, typer.Option("--merge-gap-h", help="gap (h) within which an episode extends")
    ] = 2.0,
    baseline_refresh_h: Annotated[
        float,
        typer.Option(
            "--baseline-refresh-h",
            help="stored baselines judge changes within this many hours of their data "
            "(0: re-read the lookback every run)",
        ),
    ] = 24.0,
    episode_h: Annotated[
        float,
        typer.Option(
            "--episode-h", help="hours read on each side of a change judged with stored baselines"
        ),
    ] = 24.0,
    force: Annotated[
        bool, typer.Option("--force", help="re-judge the whole lake (as the first run does)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print each run as JSON")] = False,
) -> None:
    """Detect leads over what arrived in the lake since the last run (平台模式) and store them."""
    from lantian.rules.platform import PlatformParams, RunReport, detect_lake_once, run_schedule

    try:
        params = PlatformParams(
            lookback_days=lookback_days,
            initial_days=initial_days,
            merge_gap_h=merge_gap_h,
            baseline_refresh_h=baseline_refresh_h,
            episode_h=episode_h,
        )
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if engine not in ("duckdb", "spark"):
        console.print(f"[red]error:[/red] unknown engine {engine!r} (duckdb or spark)")
        raise typer.Exit(2)

    def show(report: RunReport) -> None:
        if as_json:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        if report.status == "ok":
            console.print(
                f"[green]ok[/green] run {report.run_id} ({report.mode}, "
                f"{report.changes_consumed} changes): data {_t(report.data_from)} → "
                f"{_t(report.data_to)}, {report.leads_found} episodes: {report.leads_new} new, "
                f"{report.leads_extended} extended, {report.leads_withdrawn} withdrawn, "
                f"{report.leads_closed} closed; {report.enterprises_judged} enterprises judged, "
                f"{report.enterprises_reused} with stored baselines ({report.seconds:.1f} s)"
            )
            for item in report.future_excluded[:10]:
                console.print(
                    f"  [yellow]not judged[/yellow] {item['source']} {item['series']} "
                    f"{item['from']} → {item['to']}: {item['reason']}"
                )
        else:
            colour = "yellow" if report.status == "skipped" else "red"
            console.print(f"[{colour}]{report.status}[/{colour}]: {report.message}")

    kwargs: dict[str, Any] = {"engine": engine, "params": params, "spark_master": spark_master}
    if schedule is None:
        try:
            with console.status("线索识别 detecting over the lake…"):
                report = detect_lake_once(force=force, **kwargs)
        except Exception as exc:
            console.print(f"[red]error:[/red] {type(exc).__name__}: {exc}")
            raise typer.Exit(1) from exc
        show(report)
        return
    if schedule <= 0:
        console.print("[red]error:[/red] --schedule must be positive")
        raise typer.Exit(2)
    console.print(f"detecting every {schedule:g} s; Ctrl-C stops")
    stop = threading.Event()
    try:
        run_schedule(schedule, stop=stop, on_report=show, force=force, **kwargs)
    except KeyboardInterrupt:
        stop.set()
        console.print("stopped")


def _t(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value is not None else "-"


# ---------------------------------------------------------------------------- rules stats


def rules_stats(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Per rule: leads, confirmed, false positives and precision (confirmed / judged)."""
    from rich.console import Console
    from rich.table import Table

    from lantian.db.session import session_scope
    from lantian.leads.precision import rule_stats

    with session_scope() as s:
        rows = rule_stats(s)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="规则准确率 rule precision")
    for col in ("rule", "leads", "open", "judged", "confirmed", "false positive", "precision"):
        table.add_column(col, justify="left" if col == "rule" else "right")
    for r in rows:
        precision = "-" if r["precision"] is None else f"{r['precision']:.0%}"
        if r.get("wilson_low") is not None and r["precision"] is not None:
            precision += f" (≥{r['wilson_low']:.0%})"
        table.add_row(
            r["rule"],
            str(r["leads"]),
            str(r["open"]),
            str(r["judged"]),
            str(r["confirmed"]),
            str(r["false_positive"]),
            precision,
        )
    if not rows:
        console.print("no leads stored yet (run `lantian detect-lake`)")
        return
    Console().print(table)


# ---------------------------------------------------------------------------- ambient


def _weights(spec: str) -> dict[str, float]:
    from lantian.rules.ambient_index import WEIGHT_PRESETS

    if spec in WEIGHT_PRESETS:
        return dict(WEIGHT_PRESETS[spec])
    try:
        parsed = json.loads(spec)
    except json.JSONDecodeError as exc:
        presets = ", ".join(WEIGHT_PRESETS)
        raise typer.BadParameter(
            f"--weights: a preset ({presets}) or JSON like '{{\"PM2.5\": 3}}'"
        ) from exc
    if not isinstance(parsed, dict):
        raise typer.BadParameter("--weights JSON must be an object")
    return {str(k): float(v) for k, v in parsed.items()}


def _bundle_stations(bundle: Path, con: Any) -> Any:
    """registry/stations with district and township (the rule inputs keep fewer columns)."""
    from lantian.rules.inputs import BundleError

    for ext in (".parquet", ".csv", ".CSV"):
        path = bundle / "registry" / f"stations{ext}"
        if path.exists():
            break
    else:
        raise BundleError(f"{bundle}: registry/stations.csv is missing (needed for the index)")
    src = path.as_posix().replace("'", "''")
    reader = (
        f"read_parquet('{src}')"
        if path.suffix.lower() == ".parquet"
        else f"read_csv('{src}', header=true, all_varchar=true)"
    )
    desc = con.con.sql(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    real = {str(r[0]).lstrip("\ufeff").strip(): str(r[0]) for r in desc}
    if "station_id" not in real:
        raise BundleError(f"{path}: required column 'station_id' is missing")
    parts = []
    for col in ("station_id", "name", "kind", "city", "district", "township"):
        if col in real:
            parts.append(f"NULLIF(trim(CAST(\"{real[col]}\" AS VARCHAR)), '') AS {col}")
        else:
            parts.append(f"CAST(NULL AS VARCHAR) AS {col}")
    con.con.execute(
        f"CREATE OR REPLACE TEMP TABLE index_stations AS SELECT {', '.join(parts)} FROM {reader}"
    )
    return con.table("index_stations")


def _index_frame(
    bundle: Path | None,
    lake: bool,
    level: str,
    from_: str | None,
    to: str | None,
    weights: str,
) -> Any:
    import ibis

    from lantian.rules.ambient_index import LEVELS, Period, ambient_index, rank_areas
    from lantian.timeutil import parse_time_cst

    if level not in LEVELS:
        raise typer.BadParameter(f"--by must be one of {', '.join(LEVELS)}")
    if (bundle is None) == (not lake):
        raise typer.BadParameter("give a BUNDLE directory or --lake (not both)")
    start = parse_time_cst(from_) if from_ else None
    end = parse_time_cst(to) if to else None
    if start and end and end <= start:
        raise typer.BadParameter("--to must be after --from")
    con = ibis.duckdb.connect()
    if bundle is not None:
        from lantian.rules.inputs import load_bundle

        inputs = load_bundle(bundle, con)
        ambient, stations = inputs.ambient, _bundle_stations(bundle, con)
    else:
        from lantian.db.session import session_scope
        from lantian.lake import Lake
        from lantian.rules.platform import lake_ambient
        from lantian.settings import get_settings

        with session_scope() as s:
            ambient, stations = lake_ambient(
                Lake(get_settings().lake_dir), s, start, end, backend=con
            )
    expr = rank_areas(
        ambient_index(
            ambient,
            stations,
            level,  # type: ignore[arg-type]
            Period(start, end),
            _weights(weights),
        ),
        level,  # type: ignore[arg-type]
    )
    frame = con.execute(expr)
    return frame


def _keys(level: str) -> list[str]:
    from lantian.rules.ambient_index import KEYS

    return ["station_id", "city"] if level == "station" else list(KEYS[level])


def _emit(
    frame: Any, level: str, fmt: str, out: Path | None, title: str, rank_col: str = "rank"
) -> None:
    from rich.console import Console
    from rich.table import Table

    from lantian.rules.ambient_index import day_to_date_cst

    keys = _keys(level)
    if frame.empty:
        console.print("no area has valid data in the period")
        return
    frame = frame.copy()
    frame["first_day"] = frame["first_day"].map(
        lambda d: day_to_date_cst(int(d)).date().isoformat() if d == d else None
    )
    frame["last_day"] = frame["last_day"].map(
        lambda d: day_to_date_cst(int(d)).date().isoformat() if d == d else None
    )
    cols = [*keys, "rank", "rank_worst", "n_ranked", *INDEX_COLUMNS, "max_index"]
    cols += ["n_exceeding", "complete"]
    cols += [c for c in frame.columns if c.startswith("c_") or c.startswith("days_")]
    cols += ["first_day", "last_day"]
    cols = list(dict.fromkeys(c for c in cols if c in frame.columns))
    frame = frame[cols]
    if out is not None:
        suffix = out.suffix.lower()
        if suffix == ".xlsx":
            frame.to_excel(out, index=False, sheet_name="综合指数")
        elif suffix == ".csv":
            frame.to_csv(out, index=False, encoding="utf-8-sig")
        else:
            raise typer.BadParameter("--out must end with .csv or .xlsx")
        console.print(f"{len(frame)} rows → {out}")
        return
    if fmt == "json":
        for row in frame.to_dict("records"):
            clean = {
                k: (None if isinstance(v, float) and math.isnan(v) else _py(v))
                for k, v in row.items()
            }
            typer.echo(json.dumps(clean, ensure_ascii=False))
        return
    table = Table(title=title)
    shown = [*keys, rank_col, "composite_index", "weighted_index", "primary_pollutant"]
    shown += ["max_index", "n_exceeding", "n_pollutants"]
    labels = {
        "rank_worst": "排名 (1=最差)",
        "rank": "排名 (1=最好)",
        "composite_index": "综合指数",
        "weighted_index": "加权",
        "primary_pollutant": "首要污染物",
        "max_index": "最大单项",
        "n_exceeding": "超标项",
        "n_pollutants": "项目数",
    }
    for c in shown:
        table.add_column(labels.get(c, c), justify="left" if c in keys else "right")
    for row in frame.to_dict("records"):
        cells = []
        for c in shown:
            v = row.get(c)
            if isinstance(v, float):
                cells.append("-" if math.isnan(v) else f"{v:.2f}")
            else:
                cells.append("-" if v is None else str(v))
        table.add_row(*cells)
    Console().print(table)


def _py(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


BundleArg = Annotated[
    Path | None, typer.Argument(help="bundle directory (or use --lake)", show_default=False)
]
LakeOpt = Annotated[bool, typer.Option("--lake", help="read the lake and the database")]
ByOpt = Annotated[str, typer.Option("--by", help=LEVEL_HELP)]
FromOpt = Annotated[str | None, typer.Option("--from", help="period start (ISO 8601, CST)")]
ToOpt = Annotated[str | None, typer.Option("--to", help="period end, exclusive")]
WeightsOpt = Annotated[
    str, typer.Option("--weights", help="equal, 2018 (unverified preset) or JSON weights")
]
FormatOpt = Annotated[str, typer.Option("--format", help="table or json (JSON lines)")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="write .csv or .xlsx")]


@ambient_app.command("index")
def ambient_index_command(
    bundle: BundleArg = None,
    lake: LakeOpt = False,
    by: ByOpt = "station",
    from_: FromOpt = None,
    to: ToOpt = None,
    weights: WeightsOpt = "equal",
    fmt: FormatOpt = "table",
    out: OutOpt = None,
) -> None:
    """Composite index (HJ 663-2013 综合指数) per station, township, district or city."""
    from lantian.rules.inputs import BundleError

    try:
        frame = _index_frame(bundle, lake, by, from_, to, weights)
    except (BundleError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    frame = frame.sort_values(["city", "rank"] if by != "city" else ["rank"])
    _emit(frame, by, fmt, out, f"空气质量综合指数 composite index by {by}")


@ambient_app.command("rank")
def ambient_rank_command(
    bundle: BundleArg = None,
    lake: LakeOpt = False,
    by: ByOpt = "township",
    from_: FromOpt = None,
    to: ToOpt = None,
    weights: WeightsOpt = "equal",
    top: Annotated[int | None, typer.Option("--top", help="only the N worst per city")] = None,
    fmt: FormatOpt = "table",
    out: OutOpt = None,
) -> None:
    """Rank areas worst first (默认乡镇排名): the problem areas to push to supervision."""
    from lantian.rules.inputs import BundleError

    try:
        frame = _index_frame(bundle, lake, by, from_, to, weights)
    except (BundleError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    scope = ["city"] if by != "city" else []
    frame = frame.sort_values([*scope, "rank_worst"])
    if top is not None:
        frame = frame[frame["rank_worst"] <= top]
    _emit(frame, by, fmt, out, f"排名 ranking by {by} (worst first)", "rank_worst")
