"""``lantian hj212``: decode and build HJ 212 packets from the command line.

References
----------
.. [1] HJ 212-2017 / HJ 212-2025, §6.3 (packet structure).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from lantian.cli.progress import console

if TYPE_CHECKING:
    from lantian.protocol.hj212 import Packet, PacketError


app = typer.Typer(help="HJ 212 packets: decode and build (HJ/T 212-2005, 2017, 2025).")

_EMPTY: dict[str, Any] = {
    "crc_ok": False,
    "version": None,
    "ST": None,
    "CN": None,
    "MN": None,
    "QN": None,
    "Flag": None,
    "PNUM": None,
    "PNO": None,
    "RF": None,
    "DataTime": None,
    "params": {},
    "factors": {},
    "status": {},
    "PolGroups": [],
    "deviations": [],
}


def register(root: typer.Typer) -> None:
    """Add the ``hj212`` command group to the root app."""
    root.add_typer(app, name="hj212")


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path)
    if not file.is_file():
        raise typer.BadParameter(f"no such file: {path}", param_hint="FILE")
    return file.read_bytes()


def decode_records(
    items: Iterator[tuple[int, Packet | PacketError]],
) -> Iterator[dict[str, Any]]:
    """Turn ``(number, packet or error)`` pairs into JSON-ready dicts (see ``decode``)."""
    from lantian.protocol.hj212 import command_meaning

    for number, item in items:
        if isinstance(item, Exception):
            partial = item.packet
            if partial is None:
                yield {"line": number, **_EMPTY, "error": item.reason}
            else:  # the header decoded (encrypted CP without the right key, strict mode)
                record = {"line": number, **partial.to_dict(), "error": item.reason}
                record["CN_meaning"] = command_meaning(partial.cn)
                yield record
            continue
        record = {"line": number, **item.to_dict(), "error": None}
        record["CN_meaning"] = command_meaning(item.cn)
        yield record


def _table(records: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="HJ 212", show_lines=False)
    for column in ("line", "CRC", "ver", "ST", "CN", "MN", "DataTime", "factors", "notes"):
        table.add_column(column, overflow="fold")
    for rec in records:
        if rec["error"]:
            table.add_row(str(rec["line"]), "", "", "", "", "", "", "", f"[red]{rec['error']}")
            continue
        factors = ", ".join(
            f"{code}=" + "/".join(str(v) for v in values.values())
            for code, values in list(rec["factors"].items())[:6]
        )
        if len(rec["factors"]) > 6:
            factors += f" … (+{len(rec['factors']) - 6})"
        groups = rec.get("PolGroups") or []
        if groups:  # CN 3020 field-unit info per instrument
            factors = "; ".join(
                [factors] * bool(factors)
                + [
                    f"{g['PolId']}: "
                    + ", ".join(
                        f"{code}=" + "/".join(str(v) for v in values.values())
                        for code, values in g["factors"].items()
                    )
                    for g in groups[:4]
                ]
            )
            if len(groups) > 4:
                factors += f" … (+{len(groups) - 4} PolId)"
        crc = "[green]ok" if rec["crc_ok"] else "[red]bad"
        table.add_row(
            str(rec["line"]),
            crc,
            str(rec["version"]),
            str(rec["ST"]),
            f"{rec['CN']} {rec.get('CN_meaning', '')}",
            str(rec["MN"]),
            rec["DataTime"] or "",
            factors,
            "; ".join(rec["deviations"]),
        )
    Console().print(table)


@app.command("decode")
def decode(
    file: str = typer.Argument(..., help="file with one packet per line, '-' for stdin"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per packet line"),
    strict: bool = typer.Option(False, "--strict", help="reject any deviation"),
    crc: str = typer.Option("hj212", "--crc", help="hj212 | modbus | modbus_swapped | either"),
    charset: str = typer.Option(
        "auto", "--charset", help="auto (UTF-8, else GBK if it decodes) | utf-8 | gbk"
    ),
    stream: bool = typer.Option(
        False, "--stream", help="FILE is a raw byte stream (capture): cut frames by length"
    ),
    key: str | None = typer.Option(None, "--key", help="SM4 key (32 hex digits) for 2025 CPs"),
    keys: str | None = typer.Option(
        None, "--keys", help="file of 'MN,key' lines (32 hex digits): SM4 key per data logger"
    ),
) -> None:
    """Decode HJ 212 packets; bad lines are reported, never fatal.

    Blank lines and comment lines (``#`` not followed by ``#``) are skipped; every other
    line gives one result with its line number. A line whose header decoded but whose CP
    did not (SM4 without the right key) keeps its QN, ST, CN, MN… beside the error.
    """
    from lantian.protocol.hj212.files import parse_lines, parse_stream, read_sm4_keys

    if crc not in ("hj212", "modbus", "modbus_swapped", "either"):
        raise typer.BadParameter(
            "must be hj212, modbus, modbus_swapped or either", param_hint="--crc"
        )
    if charset not in ("auto", "utf-8", "gbk"):
        raise typer.BadParameter("must be auto, utf-8 or gbk", param_hint="--charset")
    sm4_keys: dict[str, bytes] | None = None
    if keys is not None:
        if not Path(keys).is_file():
            raise typer.BadParameter(f"no such file: {keys}", param_hint="--keys")
        try:
            sm4_keys = read_sm4_keys(keys)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--keys") from None
    sm4_key: bytes | None = None
    if key is not None:
        try:
            sm4_key = bytes.fromhex(key)
        except ValueError:
            sm4_key = b""
        if len(sm4_key) != 16:
            raise typer.BadParameter("an SM4 key is 32 hex digits", param_hint="--key")
    data = _read_input(file)
    parse = parse_stream if stream else parse_lines
    records = decode_records(
        parse(
            data,
            strict=strict,
            crc=crc,  # type: ignore[arg-type]
            sm4_key=sm4_key,
            sm4_keys=sm4_keys,
            charset=charset,  # type: ignore[arg-type]
        )
    )
    total = errors = bad_crc = 0
    collected: list[dict[str, Any]] = []
    out = sys.stdout
    for record in records:
        total += 1
        if record["error"]:
            errors += 1
        elif not record["crc_ok"]:
            bad_crc += 1
        if as_json:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            collected.append(record)
    if not as_json:
        _table(collected)
    console.print(
        f"{total} packets: {total - errors} decoded, {errors} not packets, "
        f"{bad_crc} with a CRC mismatch"
    )


@app.command("build")
def build(
    st: str = typer.Option("31", "--st", help="system code"),
    cn: str = typer.Option("2011", "--cn", help="command code"),
    mn: str = typer.Option(..., "--mn", help="data-logger id"),
    cp: str = typer.Option("", "--cp", help="CP content without '&&', e.g. 'DataTime=…;…'"),
    pw: str = typer.Option("123456", "--pw"),
    qn: str | None = typer.Option(None, "--qn", help="default: now"),
    version: str = typer.Option("2017", "--version", help="2005 | 2017 | 2025"),
    ack: bool = typer.Option(False, "--ack", help="ask for a response (Flag A bit)"),
    rf: bool = typer.Option(False, "--rf", help="2025 RF=1 (resent data)"),
    key: str | None = typer.Option(None, "--key", help="SM4 key (32 hex) to encrypt the CP"),
    modbus: bool = typer.Option(False, "--modbus-crc", help="write CRC-16/MODBUS (tests)"),
) -> None:
    """Print one HJ 212 packet (without the trailing CR LF)."""
    from lantian.protocol.hj212 import build_packet

    if version not in ("2005", "2017", "2025"):
        raise typer.BadParameter("must be 2005, 2017 or 2025", param_hint="--version")
    try:
        sm4_key = bytes.fromhex(key) if key else None
        frame = build_packet(
            st,
            cn,
            mn,
            cp,
            qn=qn,
            pw=pw,
            ack=ack,
            version=version,  # type: ignore[arg-type]
            rf=rf,
            sm4_key=sm4_key,
            crc="modbus" if modbus else "hj212",
        )
    except ValueError as exc:
        console.print(f"[red]cannot build the packet: {exc}")
        raise typer.Exit(2) from None
    sys.stdout.write(frame.decode("utf-8").rstrip("\r\n") + "\n")
