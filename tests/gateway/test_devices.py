"""Per-device CRC-16/MODBUS and SM4 keys, lake compaction on a schedule, quarantine ingest."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta

import pytest
from gwtools import read_frame, running
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.gateway.fastpath import Framer, build_ack, header_fields
from lantian.gateway.integrity import ClockWatch
from lantian.gateway.registry import RegistrySnapshot, load_registry, time_status
from lantian.lake import Lake
from lantian.protocol.hj212 import crc16_modbus, parse_packet
from lantian.protocol.hj212.packet import build_data_response, build_packet
from lantian.registry.models import Meter, Outlet
from lantian.settings import Settings
from lantian.timeutil import CST

KEY_HEX = "0123456789abcdeffedcba9876543210"
KEY = bytes.fromhex(KEY_HEX)
PW = "123456"
"""The PW :func:`build_packet` writes by default."""


def _set_device(settings: Settings, mn: str, crc: str | None, key: str | None) -> None:
    with session_scope(settings) as s:
        outlet = s.query(Outlet).filter_by(mn=mn).one()
        outlet.crc = crc
        outlet.sm4_key = key


def hourly(mn: str, hour: int, value: float, **options: object) -> bytes:
    cp = f"DataTime=202401080{hour}0000;a21026-Avg={value},a21026-Flag=N;a34013-Avg=2.5"
    return build_packet("31", "2061", mn, cp, ack=True, **options)  # type: ignore[arg-type]


def test_registry_snapshot_carries_crc_and_keys(settings: Settings) -> None:
    _set_device(settings, "MN0001", "modbus", None)
    _set_device(settings, "MN0002", None, KEY_HEX.upper())
    with session_scope(settings) as s:
        s.query(Meter).filter_by(meter_id="M1").one().sm4_key = "not-a-key"
    snap = load_registry(settings)
    assert snap.crc_kind("MN0001") == "modbus" and snap.crc_kind("MN0002") == "hj212"
    assert snap.sm4_keys == {"MN0002": KEY}  # the meter's invalid key is ignored
    assert KEY_HEX not in repr(snap).lower() and KEY_HEX not in repr(snap.devices).lower()


def test_ack_frames_identical_to_the_library_and_modbus_answers() -> None:
    for version in ("2017", "2025"):
        raw = build_packet(
            "31", "2061", "MN1", "DataTime=20240101000000", ack=True, version=version
        )
        head = header_fields(raw[6:-6])
        flag = int(head[b"Flag"])
        ack = build_ack(head[b"QN"], head[b"PW"], head[b"MN"], flag)
        assert ack == build_data_response(parse_packet(raw))
        modbus_ack = build_ack(head[b"QN"], head[b"PW"], head[b"MN"], flag, crc=crc16_modbus)
        # same answer, only the check differs: CRC-16/MODBUS of the same data segment
        assert modbus_ack[:-6] == ack[:-6]
        assert int(modbus_ack[-6:-2], 16) == crc16_modbus(modbus_ack[6:-6])
        assert parse_packet(modbus_ack, crc="modbus").crc_ok
        assert not parse_packet(modbus_ack, crc="hj212").crc_ok


def test_framer_cuts_encrypted_2025_frames_at_crlf() -> None:
    frames = [
        hourly("MN0001", h, 1.0 + h, version="2025", sm4_key=KEY, qn=f"2024010800000000{h}")
        for h in range(3)
    ]
    assert int(frames[0][2:6]) < len(frames[0]) - 12  # the length counts the plaintext
    stream = b"".join(frames)
    framer = Framer()
    got = []
    for i in range(0, len(stream), 97):  # arbitrary chunks
        out, problems, fatal = framer.feed(stream[i : i + 97])
        assert not problems and fatal is None
        got += out
    assert [raw for _, _, raw in got] == [f[:-2] for f in frames]
    assert framer.buffered == 0


def test_modbus_device_checked_and_answered_with_its_crc(settings: Settings) -> None:
    _set_device(settings, "MN0001", "modbus", None)

    async def main() -> dict[str, int]:
        async with running(settings, lake_mode="thread") as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MN0001", 1, 5.0, crc="modbus"))
            await w.drain()
            ack = await read_frame(r)
            assert b"CN=9014" in ack
            assert parse_packet(ack, crc="modbus").crc_ok
            # the HJ 212 CRC is wrong for this device: not answered
            w.write(hourly("MN0001", 2, 6.0))
            await w.drain()
            with pytest.raises(TimeoutError):
                await read_frame(r, 0.5)
            # other devices keep the HJ 212 CRC
            w.write(hourly("MN0002", 1, 7.0, pw="secret"))
            await w.drain()
            assert parse_packet(await read_frame(r)).crc_ok
            w.close()
            return dict(gw.metrics.errors)

    errors = asyncio.run(main())
    assert errors["crc"] == 1
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    so2 = {(r["outlet_id"], r["value"]) for r in rows if r["pollutant"] == "a21026"}
    assert so2 == {("P1", 5.0), ("P2", 7.0)}


def test_encrypted_2025_packets_reach_the_lake(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    _set_device(settings, "MN0001", None, KEY_HEX)
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        async with running(settings) as gw:  # lake feeder process, registry from the DB
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            frames = [hourly("MN0001", h, 10.0 + h, version="2025", sm4_key=KEY) for h in range(4)]
            assert all(b"{0x" in f and b"a21026" not in f for f in frames)
            w.write(b"".join(frames))
            await w.drain()
            for _ in frames:
                ack = await read_frame(r)
                assert b"CN=9014" in ack and b"Flag=8" in ack
            # a packet encrypted with another key does not decrypt: not answered
            w.write(hourly("MN0001", 5, 1.0, version="2025", sm4_key=bytes(16)))
            await w.drain()
            with pytest.raises(TimeoutError):
                await read_frame(r, 0.5)
            w.close()
            await asyncio.sleep(0.3)
            status = gw.status()["loggers"]
            row = next(x for x in status if x["mn"] == "MN0001")
            assert row["last_data_time"] == "20240108030000"  # decrypted DataTime

    asyncio.run(main())
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    so2 = sorted(r["value"] for r in rows if r["pollutant"] == "a21026")
    assert so2 == [10.0, 11.0, 12.0, 13.0]
    assert all(KEY_HEX not in rec.getMessage().lower() for rec in caplog.records)


@pytest.mark.parametrize("interval", [0.3, 0.0])
def test_lake_compaction_on_a_schedule(settings: Settings, interval: float) -> None:
    lake = Lake(settings.lake_dir)

    async def main() -> int:
        async with running(
            settings, lake_mode="thread", lake_interval=0.05, lake_compact_interval=interval
        ) as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            for h in range(6):
                w.write(hourly("MN0001", h, 1.0 + h))
                await w.drain()
                await read_frame(r)
                await asyncio.sleep(0.15)  # about one feeder batch (one file) per packet
            w.close()

            def most_files() -> int:
                return max(len(lake.live_files(p)) for p in lake.partitions("cems_hourly"))

            for _ in range(100):  # the scheduled compaction runs while the gateway does
                await asyncio.sleep(0.1)
                if gw.feeder.done_seq == 6 and (not interval or most_files() == 1):
                    break
            return most_files()

    files_while_running = asyncio.run(main())
    files_after = max(len(lake.live_files(p)) for p in lake.partitions("cems_hourly"))
    if interval:
        assert files_while_running == 1 and files_after == 1
    else:  # without compaction every feeder batch stays a file of its own
        assert files_after >= 3
    assert len(lake.read("cems_hourly").to_pylist()) == 12


def test_quarantine_ingest_after_registration(settings: Settings) -> None:
    async def main() -> None:
        async with running(settings, lake_mode="thread") as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            for h in range(3):
                w.write(hourly("MNNEW", h, 20.0 + h))
            w.write(hourly("MN0002", 1, 1.0, pw="wrong"))  # bad PW: never ingested
            await w.drain()
            await asyncio.sleep(0.5)
            with session_scope(settings) as s:
                s.add(Outlet(outlet_id="P7", enterprise_id="E1", name="P7", mn="MNNEW", pw=PW))
            # once registered (after the reload) the logger resends hour 2 with a new value
            await asyncio.sleep(0.1)
            gw.registry = load_registry(settings)
            w.write(hourly("MNNEW", 2, 99.0))
            await w.drain()
            assert b"MN=MNNEW" in await read_frame(r)
            w.close()

    asyncio.run(main())
    runner = CliRunner()
    lake = Lake(settings.lake_dir)
    assert {r["outlet_id"] for r in lake.read("cems_hourly").to_pylist()} == {"P7"}
    result = runner.invoke(app, ["gateway", "quarantine", "--ingest", "MNNEW", "--json"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)
    assert first["records"] == 3 and first["decoded"] == 2 and first["superseded"] == 1
    assert first["rows"] == {"cems_hourly": 4}

    def so2() -> list[tuple[int, float]]:
        rows = lake.read("cems_hourly").to_pylist()
        return sorted(
            (r["time"].astimezone(CST).hour, r["value"])
            for r in rows
            if r["outlet_id"] == "P7" and r["pollutant"] == "a21026"
        )

    assert so2() == [(0, 20.0), (1, 21.0), (2, 99.0)]  # the later accepted value stays
    again = runner.invoke(app, ["gateway", "quarantine", "--ingest", "MNNEW", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout) == first
    assert so2() == [(0, 20.0), (1, 21.0), (2, 99.0)]  # idempotent
    assert len(lake.read("cems_hourly").to_pylist()) == 6
    unknown = runner.invoke(app, ["gateway", "quarantine", "--ingest", "MNNOPE"])
    assert unknown.exit_code == 1 and "not registered" in unknown.output


def test_encrypted_and_modbus_packets_of_unknown_mns_ingested_after_registration(
    settings: Settings,
) -> None:
    async def main() -> dict[str, int]:
        async with running(settings, lake_mode="thread") as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MNENC", 1, 31.0, version="2025", sm4_key=KEY))
            w.write(hourly("MNMOD", 1, 41.0, crc="modbus"))
            w.write(hourly("MNMOD2", 1, 61.0, crc="modbus"))
            bad = bytearray(hourly("MNBAD", 1, 51.0))
            bad[-4] = ord("0") if bad[-4] != ord("0") else ord("1")
            w.write(bytes(bad))  # neither CRC: dropped
            await w.drain()
            with pytest.raises(TimeoutError):
                await read_frame(r, 0.5)
            w.close()
            return dict(gw.metrics.errors)

    errors = asyncio.run(main())
    assert errors["crc"] == 1 and errors["unknown_mn"] == 3
    with session_scope(settings) as s:
        s.add(
            Outlet(
                outlet_id="PE", enterprise_id="E1", name="PE", mn="MNENC", sm4_key=KEY_HEX, pw=PW
            )
        )
        s.add(
            Outlet(outlet_id="PM", enterprise_id="E1", name="PM", mn="MNMOD", crc="modbus", pw=PW)
        )
        s.add(Outlet(outlet_id="PX", enterprise_id="E1", name="PX", mn="MNBAD", pw=PW))
        # registered without the Modbus opt-in: its quarantined packet fails the check
        s.add(Outlet(outlet_id="PY", enterprise_id="E1", name="PY", mn="MNMOD2", pw=PW))
    runner = CliRunner()
    decoded = {}
    for mn in ("MNENC", "MNMOD", "MNBAD", "MNMOD2"):
        result = runner.invoke(app, ["gateway", "quarantine", "--ingest", mn, "--json"])
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        decoded[mn] = (out["records"], out["decoded"])
    assert decoded == {"MNENC": (1, 1), "MNMOD": (1, 1), "MNBAD": (0, 0), "MNMOD2": (1, 0)}
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    so2 = {(r["outlet_id"], r["value"]) for r in rows if r["pollutant"] == "a21026"}
    assert so2 == {("PE", 31.0), ("PM", 41.0)}


def test_framer_length_mismatch_and_oversize() -> None:
    good = hourly("MN0001", 1, 5.0)
    seg = good[6:-6]
    # a wrong length field (seen in real captures): cut at CR LF, CRC still checked
    wrong = b"##%04d" % (len(seg) - 7) + good[6:]
    frames, problems, fatal = Framer().feed(wrong + good)
    assert [(d, ok) for d, ok, _ in frames] == [(seg, True), (seg, True)]
    assert not problems and fatal is None
    # no CR LF within the largest frame: fatal, the buffer is dropped
    framer = Framer(max_data_len=200)
    frames, problems, fatal = framer.feed(b"##0100" + b"x" * 400)
    assert not frames and fatal is not None and fatal.kind == "oversize"
    assert framer.buffered == 0
    # a partial frame is kept until its end arrives
    framer = Framer()
    assert framer.feed(good[:50])[0] == [] and framer.buffered == 50
    assert framer.feed(good[50:])[0] == [(seg, True, good[:-2])]


def test_feeder_refreshes_a_stale_registry(settings: Settings) -> None:
    from lantian.gateway.lakefeed import LakeFeeder
    from lantian.gateway.registry import RegistrySnapshot

    _set_device(settings, "MN0001", None, KEY_HEX)

    async def main() -> None:
        async with running(settings, lake=False) as gw:  # archive only
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MN0001", 1, 8.0, version="2025", sm4_key=KEY))
            w.write(hourly("MN0002", 1, 9.0, pw="secret"))
            await w.drain()
            await read_frame(r)
            await read_frame(r)
            w.close()

    asyncio.run(main())
    from lantian.gateway.archive import ArchiveWriter

    durable = ArchiveWriter(settings.archive_dir, fsync=False)
    stale = RegistrySnapshot()  # as a feeder process that loaded it before the registration
    feeder = LakeFeeder(settings, lambda: stale, refresh=lambda: load_registry(settings))
    feeder.notify(durable.durable, durable.seq)
    durable.close()
    assert feeder.catch_up() == 2 and feeder.refresh_count == 1
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    assert {(r["outlet_id"], r["value"]) for r in rows if r["pollutant"] == "a21026"} == {
        ("P1", 8.0),
        ("P2", 9.0),
    }


# -- device integrity (issue 11): credentials, clock drift, rewrites ---------------------


def test_registry_refuses_loggers_without_pw_unless_allowed(settings: Settings) -> None:
    with session_scope(settings) as s:
        s.add(Outlet(outlet_id="P8", enterprise_id="E1", name="P8", mn="MNNOPW"))
        s.add(Outlet(outlet_id="P9", enterprise_id="E1", name="P9", mn="MNOK", allow_no_pw=True))
        for meter in s.query(Meter):
            meter.pw = "m-pw" if meter.meter_id == "M2" else None  # one MN: one PW
    snap = load_registry(settings)
    assert snap.no_pw == frozenset({b"MNNOPW"}) and snap.allow_no_pw == frozenset({b"MNOK"})
    assert snap.passwords[b"MNE001"] == b"m-pw" and snap.passwords[b"MN0001"] == PW.encode()
    assert "m-pw" not in repr(snap) and "secret" not in repr(snap)


def test_time_status_bounds_data_time() -> None:
    snap = RegistrySnapshot(
        registered={b"MN1": datetime(2024, 1, 8, 2, 30, tzinfo=CST).timestamp()}
    )
    now = datetime(2024, 1, 8, 12, 0, tzinfo=CST).timestamp()

    def status(cn: bytes, stamp: str, mn: bytes = b"MN1") -> str:
        return time_status(snap, mn, cn, stamp.encode(), now, 3600.0)

    assert status(b"2061", "20240108125959") == "ok"  # within the 1 h margin
    assert status(b"2061", "20240108130001") == "future"
    assert status(b"2061", "20991231230000", b"MN2") == "future"
    assert status(b"2061", "20240108010000") == "before_registration"  # 01-02 h ended before
    assert status(b"2061", "20240108020000") == "ok"  # the hour of the registration
    assert status(b"2011", "20240108022959") == "before_registration"
    assert status(b"2031", "20240108000000") == "ok"  # the day of the registration
    assert status(b"2061", "20240101000000", b"MN2") == "ok"  # no registration time: no bound
    assert status(b"2061", "garbage") == "ok"  # undecodable: the feeder drops it


def test_clock_watch_flags_persistent_drift_not_backlogs() -> None:
    base = datetime(2024, 1, 8, 10, tzinfo=CST).timestamp()

    def stamp(t: float) -> str:
        return datetime.fromtimestamp(t, CST).strftime("%Y%m%d%H%M%S")

    watch = ClockWatch(tolerance_s=600, persist_s=1800, min_samples=3)
    found = [
        watch.observe("BEHIND", "2011", stamp(base + i * 300 - 1200), base + i * 300, False)
        for i in range(8)
    ]
    assert [f is not None for f in found] == [False] * 6 + [True, False]
    assert found[6] is not None and found[6].drift_s == 1200.0 and found[6].samples == 7
    # a 补发 backlog: 100 old real-time packets within 50 s, then fresh ones: no finding
    backlog = [
        watch.observe("BACKLOG", "2011", stamp(base - 7200 + i * 30), base + i * 0.5, False)
        for i in range(100)
    ]
    fresh = [
        watch.observe("BACKLOG", "2011", stamp(base + 60 + i * 300), base + 61 + i * 300, False)
        for i in range(10)
    ]
    assert not any(backlog) and not any(fresh)
    # hourly data sent 40 min after the hour (late, normal) and RF=1 resends: no finding
    late = [
        watch.observe("LATE", "2061", stamp(base + h * 3600), base + h * 3600 + 6000, False)
        for h in range(10)
    ]
    rf = [watch.observe("RF", "2011", stamp(base - 9999), base + i * 600, True) for i in range(9)]
    assert not any(late) and not any(rf)
    # hourly data for an hour that has not ended: the clock runs ahead
    ahead = [
        watch.observe("AHEAD", "2061", stamp(base + h * 3600 + 1800), base + h * 3600, False)
        for h in range(4)
    ]
    assert [a is not None for a in ahead] == [False, False, True, False]  # 3 packets, 2 h
    assert ahead[2] is not None and ahead[2].drift_s == -5400.0


def test_clock_anomaly_lead_offers_time_calibration(settings: Settings) -> None:
    from lantian.gateway.archive import ArchiveWriter
    from lantian.gateway.lakefeed import LakeFeeder
    from lantian.leads.models import Lead

    writer = ArchiveWriter(settings.archive_dir, fsync=False)
    base = datetime(2024, 1, 8, 10, tzinfo=CST).timestamp()
    for i in range(9):  # MN0001 sends real-time data stamped 20 min late, for 40 min
        t = base + i * 300
        dt = datetime.fromtimestamp(t - 1200, CST).strftime("%Y%m%d%H%M%S")
        raw = build_packet("31", "2011", "MN0001", f"DataTime={dt};a21026-Rtd=1.0", pw=PW)
        writer.add(t, "127.0.0.1:1", "ok", "MN0001", "q", "31", "2011", dt, raw)
    for h in range(3):  # the electricity logger's clock runs 2 h ahead (all held as future)
        t = base + h * 3600
        dt = datetime.fromtimestamp(t + 7200, CST).strftime("%Y%m%d%H%M%S")
        raw = build_packet("44", "2011", "MNE001", f"DataTime={dt};d20105-Rtd=5", pw=PW)
        writer.add(t, "127.0.0.1:2", "future", "MNE001", "q", "44", "2011", dt, raw)
    batch, seq, _ = writer.take()
    writer.write(batch)
    feeder = LakeFeeder(settings, lambda: load_registry(settings))
    feeder.notify(writer.durable, seq)
    assert feeder.catch_up() == 12
    writer.close()
    with session_scope(settings) as s:
        leads = {ld.subject_id: ld for ld in s.query(Lead).filter_by(family="CLOCK_ANOMALY")}
        assert set(leads) == {"P1", "M1"}
        p1, m1 = leads["P1"], leads["M1"]
        assert p1.evidence["remedy"]["cn"] == "1013" and p1.evidence["drift_s"] == 1200.0
        assert m1.evidence["drift_s"] == -7200.0 and m1.subject_type == "meter"
        assert (
            "时钟慢 20 分钟" in p1.summary and "时钟快" in m1.summary and p1.enterprise_id == "E1"
        )
        first_id = p1.lead_id
    assert len(Lake(settings.lake_dir).read("cems_realtime")) == 9
    assert len(Lake(settings.lake_dir).read("power")) == 0  # held packets never in the lake
    # replaying the same archive (a feeder restart before its checkpoint) adds nothing
    again = LakeFeeder(settings, lambda: load_registry(settings))
    again.pos, again.done_seq = type(again.pos)("", 0), 0
    again.notify(writer.durable, seq)
    again.catch_up()
    with session_scope(settings) as s:
        assert [
            ld.lead_id for ld in s.query(Lead).filter_by(family="CLOCK_ANOMALY", subject_id="P1")
        ] == [first_id]


def test_device_lead_episodes(db_settings: Settings) -> None:
    from lantian.gateway.integrity import Rewrite, RowMeta, store_findings
    from lantian.leads.device import REWRITE_RULE, upsert_device_lead
    from lantian.leads.models import Lead
    from lantian.registry.models import DataRewrite

    settings = db_settings
    t0 = datetime(2024, 1, 8, 10, tzinfo=CST)
    meta = RowMeta(7, "MN9", False, True, "2024-01-08T12:00:00.000+08:00")
    rewrite = Rewrite("power", "meter", "M9", t0, "kw", 1590.0, 0.0, None, None, False, meta)
    for _ in range(2):  # a replayed batch stores nothing twice
        store_findings(settings, RegistrySnapshot(), [rewrite], [])
    with session_scope(settings) as s:
        stored = [(r.subject_id, r.old_value, r.new_value) for r in s.query(DataRewrite)]
        assert stored == [("M9", 1590.0, 0.0)]
        lead = s.query(Lead).one()
        assert (lead.family, lead.subject_type, lead.evidence["count"]) == (
            "DATA_REWRITE",
            "meter",
            1,
        )
        s.delete(lead)
    with session_scope(settings) as s:
        ids = []
        for hours in (0, 2, 30, 31):  # two episodes: a gap of more than 24 h between them
            lead = upsert_device_lead(
                s,
                rule=REWRITE_RULE,
                subject_type="outlet",
                subject_id="P1",
                enterprise_id="E1",
                at=t0 + timedelta(hours=hours),
                event={"n": hours},
                summary=f"rewrite {hours}",
            )
            ids.append(lead.lead_id)
        assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]
        leads = s.query(Lead).order_by(Lead.start).all()
        assert [ld.evidence["count"] for ld in leads] == [2, 2]
        assert leads[0].end > t0 + timedelta(hours=2) and leads[0].family == "DATA_REWRITE"


def test_quarantine_ingest_checks_the_pw_and_time_bounds_later(settings: Settings) -> None:
    from lantian.gateway.lakefeed import ingest_quarantined

    async def main() -> None:
        async with running(settings, lake_mode="thread") as gw:
            _, w = await asyncio.open_connection("127.0.0.1", gw.port)
            w.write(hourly("MNLATE", 1, 1.0, pw="forged"))
            w.write(hourly("MNLATE", 2, 2.0, pw="real-pw"))
            far = "DataTime=20991231230000;a21026-Avg=3.0,a21026-Flag=N"
            w.write(build_packet("31", "2061", "MNLATE", far, pw="real-pw", ack=True))
            await w.drain()
            await asyncio.sleep(0.3)
            w.close()

    asyncio.run(main())
    with session_scope(settings) as s:
        s.add(Outlet(outlet_id="PL", enterprise_id="E1", name="PL", mn="MNLATE", pw="real-pw"))
    result = ingest_quarantined(settings, "MNLATE")
    assert (result.records, result.decoded, result.bad_pw, result.held) == (3, 1, 1, 1)
    values = {r["value"] for r in Lake(settings.lake_dir).read("cems_hourly").to_pylist()}
    assert 2.0 in values and 1.0 not in values and 3.0 not in values


def test_clock_watch_ignores_a_replay_faster_than_real_time() -> None:
    # lantian simulate / lantian demo replay 2025 history at 900 x real time: the lag is
    # years, but it shrinks with every packet; an offset clock keeps it constant
    base = datetime(2026, 12, 2, 10, tzinfo=CST).timestamp()
    start = datetime(2025, 1, 6, tzinfo=CST).timestamp()
    watch = ClockWatch(tolerance_s=600, persist_s=1800, min_samples=3)
    found = [
        watch.observe(
            "SIM",
            "2011",
            datetime.fromtimestamp(start + i * 300, CST).strftime("%Y%m%d%H%M%S"),
            base + i * 300 / 900,
            False,
        )
        for i in range(20_000)  # 70 days of 5-min data in 1.9 h
    ]
    assert not any(found)
