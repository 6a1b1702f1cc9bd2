"""Commands ``lantian gateway``, ``lantian archive verify|export`` and ``lantian simulate``."""

# ruff: noqa: B008  (typer declares options as argument defaults)

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from lantian.cli.progress import console, progress

gateway_app = typer.Typer(
    help="HJ 212 ingest gateway (run it; list quarantined MNs and logger status).",
    invoke_without_command=True,
)
archive_app = typer.Typer(
    help="The raw HJ 212 packet archive (hash-chained).", no_args_is_help=True
)


@gateway_app.callback()
def gateway(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help="bind address [LANTIAN_GATEWAY_HOST]"),
    port: int | None = typer.Option(None, "--port", help="TCP port [LANTIAN_GATEWAY_PORT]"),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="HTTP /metrics port [LANTIAN_GATEWAY_METRICS_PORT]; -1 = off"
    ),
    metrics_host: str | None = typer.Option(
        None,
        "--metrics-host",
        help="bind address of /metrics and /status [LANTIAN_GATEWAY_METRICS_HOST]; "
        "not loopback needs LANTIAN_GATEWAY_STATUS_TOKEN",
    ),
    max_connections: int = typer.Option(10_000, help="most simultaneous connections"),
    max_conns_per_ip: int | None = typer.Option(
        None, help="connections per address [LANTIAN_GATEWAY_MAX_CONNS_PER_IP]"
    ),
    first_frame_timeout: float | None = typer.Option(
        None,
        help="seconds until the first valid frame [LANTIAN_GATEWAY_FIRST_FRAME_TIMEOUT_S]",
    ),
    ip_max_bytes: int | None = typer.Option(
        None, help="bytes per address and window [LANTIAN_GATEWAY_IP_MAX_BYTES]"
    ),
    ip_max_unknown: int | None = typer.Option(
        None, help="unknown-MN frames per address and window [LANTIAN_GATEWAY_IP_MAX_UNKNOWN]"
    ),
    min_free_mb: float | None = typer.Option(
        None, help="free disk space (MB) below which no data is taken [LANTIAN_GATEWAY_MIN_FREE_MB]"
    ),
    read_timeout: float = typer.Option(30.0, help="seconds to complete a started frame"),
    idle_timeout: float = typer.Option(900.0, help="seconds without a frame before closing"),
    rate: float = typer.Option(20.0, help="packets per second allowed per MN (sustained)"),
    no_lake: bool = typer.Option(False, "--no-lake", help="archive and answer only"),
    lake_compact_interval: float = typer.Option(
        900.0, help="seconds between compactions of the lake partitions written (0 = never)"
    ),
    lake_max_hold: float = typer.Option(
        5.0,
        help="seconds the lake feeder may be held back at a time while commits or the event "
        "loop run late (0 = never hold it)",
    ),
    ready_file: Path | None = typer.Option(
        None, help="write {port, metrics_port, pid} as JSON here once listening"
    ),
    no_uvloop: bool = typer.Option(False, "--no-uvloop", help="use the stdlib event loop"),
) -> None:
    """Run the HJ 212 gateway until SIGTERM/SIGINT (answers 9014 only after fsync)."""
    if ctx.invoked_subcommand is not None:
        return
    from lantian.gateway.server import GatewayConfig, run_gateway
    from lantian.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    mport = settings.gateway_metrics_port if metrics_port is None else metrics_port
    token = settings.gateway_status_token
    config = GatewayConfig(
        host=host or settings.gateway_host,
        port=settings.gateway_port if port is None else port,
        metrics_host=metrics_host or settings.gateway_metrics_host,
        metrics_port=None if mport < 0 else mport,
        status_token=token.get_secret_value() if token is not None else None,
        max_connections=max_connections,
        max_conns_per_ip=max_conns_per_ip or settings.gateway_max_conns_per_ip,
        first_frame_timeout=first_frame_timeout or settings.gateway_first_frame_timeout_s,
        ip_window=settings.gateway_ip_window_s,
        ip_max_bytes=ip_max_bytes or settings.gateway_ip_max_bytes,
        ip_max_unknown=settings.gateway_ip_max_unknown
        if ip_max_unknown is None
        else ip_max_unknown,
        quarantine_bytes=int(settings.gateway_quarantine_mb * (1 << 20)),
        quarantine_mns=settings.gateway_quarantine_mns,
        min_free_bytes=int(
            (settings.gateway_min_free_mb if min_free_mb is None else min_free_mb) * (1 << 20)
        ),
        read_timeout=read_timeout,
        idle_timeout=idle_timeout,
        rate_per_mn=rate,
        lake=not no_lake,
        lake_compact_interval=lake_compact_interval,
        lake_max_hold=lake_max_hold,
    )
    try:
        run_gateway(settings, config, ready_file=ready_file, use_uvloop=not no_uvloop)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def _home_json(name: str) -> Any:
    from lantian.gateway.status import read_json
    from lantian.settings import get_settings

    return read_json(get_settings().resolved_home / "gateway" / name, [])


@gateway_app.command("quarantine")
def quarantine(
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    ingest: str | None = typer.Option(
        None,
        "--ingest",
        metavar="MN",
        help="decode the archived packets of MN (now registered) into the lake (idempotent)",
    ),
) -> None:
    """List quarantined MNs (unknown MN or wrong PW): kept raw, never in the lake."""
    if ingest is not None:
        _ingest_quarantined(ingest, as_json)
        return
    rows = _home_json("quarantine.json")
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        console.print("无隔离数据 / no quarantined MN")
        return
    from rich.markup import escape
    from rich.table import Table

    from lantian.gateway.status import safe_text

    table = Table("MN", "reason", "count", "first seen", "last seen", "peer", "last seq")
    for r in rows:
        table.add_row(
            *(
                escape(safe_text(str(v)))
                for v in (
                    r["mn"],
                    r.get("reason", ""),
                    r.get("count", ""),
                    r.get("first_seen", ""),
                    r.get("last_seen", ""),
                    r.get("peer", ""),
                    r.get("last_seq", ""),
                )
            )
        )
    console.print(table)
    console.print(
        "raw packets: wrong PW: lantian archive export --out FILE.jsonl --mn MN --status all; "
        "unknown MN: LANTIAN_HOME/gateway/quarantine/q-*.jsonl"
    )


def _ingest_quarantined(mn: str, as_json: bool) -> None:
    from dataclasses import asdict

    from rich.markup import escape

    from lantian.gateway.lakefeed import ingest_quarantined
    from lantian.settings import get_settings

    try:
        with console.status(f"reading the archive for {escape(mn)} …"):
            result = ingest_quarantined(get_settings(), mn)
    except (ValueError, RuntimeError) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False))
        return
    console.print(
        f"{escape(mn)}: {result.records} quarantined packet(s) in the archive, "
        f"{result.decoded} decoded into the lake, {result.superseded} superseded by later "
        f"accepted packets, {result.bad_pw} skipped for a PW other than the one registered, "
        f"{result.held} for a data time in the future or before registration; "
        f"rows: {result.rows or 0}"
    )


@gateway_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Data-logger status (online, last seen, last data time, clock drift) from the gateway."""
    rows = _home_json("status.json")
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    table = Table("MN", "kind", "outlet", "online", "last seen", "last DataTime", "drift s", "pkts")
    table.add_column("warning / quarantine")  # device integrity: no PW, held packets
    for r in rows:
        held = r.get("quarantine") or {}
        table.add_row(
            r["mn"],
            str(r.get("kind")),
            str(r.get("outlet_id") or ""),
            "在线" if r.get("online") else "离线",
            str(r.get("last_seen") or ""),
            str(r.get("last_data_time") or ""),
            "" if r.get("clock_drift_s") is None else str(r["clock_drift_s"]),
            str(r.get("packets", 0)),
            "; ".join(
                x
                for x in (
                    r.get("warning") or "",
                    f"{held['reason']} ×{held['count']}" if held.get("reason") else "",
                )
                if x
            ),
        )
    console.print(table)


@archive_app.command("verify")
def archive_verify(
    root: Path | None = typer.Option(None, help="archive directory (default LANTIAN_HOME/archive)"),
) -> None:
    """Check the hash chain of every archived packet; exit 1 naming the first bad record."""
    from lantian.gateway.archive import verify_archive
    from lantian.settings import get_settings

    result = verify_archive(root or get_settings().archive_dir)
    if result.ok:
        console.print(
            f"archive OK: {result.records} records in {result.segments} segments, "
            f"last seq {result.last_seq}, head hash {result.head_hash}"
        )
        return
    console.print(
        f"[red]archive BROKEN[/red] at {result.segment} line {result.line} "
        f"(seq {result.seq}): {result.problem}; {result.records} records verified before it"
    )
    raise typer.Exit(1)


def _opt_time(text: str | None) -> datetime | None:
    from lantian.timeutil import parse_time_cst

    if text is None:
        return None
    try:
        return parse_time_cst(text)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {text!r}") from None


@archive_app.command("export")
def archive_export(
    out: Path = typer.Option(..., "--out", help="JSON Lines file to write"),
    start: str | None = typer.Option(None, "--from", help="received at or after (ISO 8601)"),
    end: str | None = typer.Option(None, "--to", help="received before (ISO 8601)"),
    mn: str | None = typer.Option(None, "--mn", help="only this MN"),
    status_filter: str = typer.Option(
        "ok", "--status", help="ok, unknown_mn, bad_pw or all (quarantined packets too)"
    ),
) -> None:
    """Export archived packets, one JSON object per packet (mn, qn, st, cn, data_time,
    received_at, raw, seq, hash)."""
    from lantian.gateway.archive import iter_records
    from lantian.settings import get_settings
    from lantian.timeutil import parse_time_cst

    t0, t1 = _opt_time(start), _opt_time(end)
    n = 0
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8") as fh, progress(transient=True) as bar:
        task = bar.add_task("export", total=None)
        for _, rec in iter_records(get_settings().archive_dir):
            bar.advance(task)
            if mn is not None and rec.get("mn") != mn:
                continue
            if status_filter != "all" and rec.get("status") != status_filter:
                continue
            if t0 or t1:
                when = parse_time_cst(rec["received_at"])
                if (t0 and when < t0) or (t1 and when >= t1):
                    continue
            rec.pop("prev_hash", None)
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(out)
    console.print(f"{n} packets written to {out}")


def simulate(
    bundle: Path = typer.Argument(..., exists=True, file_okay=False, help="exchange-format bundle"),
    gateway_addr: str = typer.Option("127.0.0.1:9212", "--gateway", help="HOST:PORT"),
    speed: float = typer.Option(3600.0, help="N x real time (3600 = one hour per second; 0 = max)"),
    protocol: str = typer.Option("2017", help="HJ 212 version of CEMS packets: 2017 or 2025"),
    loggers: int | None = typer.Option(None, help="only the first K data loggers"),
    start: str | None = typer.Option(None, "--from", help="data from (ISO 8601)"),
    end: str | None = typer.Option(None, "--to", help="data before (ISO 8601)"),
    minutes: int = typer.Option(0, help="also send CN 2051 minute data every N minutes"),
    realtime: int = typer.Option(0, help="also send CN 2011 real-time data every N minutes"),
    timeout: float = typer.Option(10.0, help="answer timeout (s) before a resend"),
    retries: int = typer.Option(3, help="resends per packet"),
    linger: float = typer.Option(
        0.0, help="seconds each logger stays online after its data, answering remote QC"
    ),
) -> None:
    """Replay a bundle's CEMS and power data as HJ 212 packets from virtual data loggers.

    The loggers answer the platform's remote-QC requests (1011 time, 1012 set time, 2011
    real-time data, 3011 zero/span, 3012 sampling, 3020 field-unit info) as a real logger
    does: 9011, the data, 9012; about one in ten runs 7 minutes fast and one in ten fails
    its zero/span calibration (``lantian.simulate.loggers.qc_profile``)."""
    from lantian.simulate.loggers import load_bundle_packets, run_simulation

    if protocol not in ("2017", "2025"):
        raise typer.BadParameter("--protocol must be 2017 or 2025")
    host, _, port_text = gateway_addr.rpartition(":")
    if not host or not port_text.isdigit():
        raise typer.BadParameter(f"--gateway must be HOST:PORT, not {gateway_addr!r}")
    try:
        sims = load_bundle_packets(
            bundle,
            protocol="2025" if protocol == "2025" else "2017",
            minute_interval=minutes,
            realtime_interval=realtime,
            start=_opt_time(start),
            end=_opt_time(end),
            max_loggers=loggers,
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    total = sum(len(s.packets) for s in sims)
    console.print(f"{len(sims)} virtual data loggers, {total} packets → {gateway_addr}")
    with progress() as bar:
        task = bar.add_task("simulate", total=total)
        result = asyncio.run(
            run_simulation(
                sims,
                host,
                int(port_text),
                speed=speed,
                timeout=timeout,
                retries=retries,
                progress=lambda n: bar.advance(task, n),
                linger=linger,
            )
        )
    typer.echo(json.dumps(result.__dict__))
    if result.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``gateway``, ``archive`` and ``simulate`` to the ``lantian`` command."""
    app.add_typer(gateway_app, name="gateway")
    app.add_typer(archive_app, name="archive")
    app.command("simulate")(simulate)
