"""Virtual loggers replay a small bundle into a gateway on loopback; the lake gets it all."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lantian.db.session import session_scope
from lantian.gateway.archive import verify_archive
from lantian.gateway.server import Gateway, GatewayConfig
from lantian.lake import Lake
from lantian.registry.models import Enterprise, Line, Meter, Outlet
from lantian.settings import get_settings
from lantian.simulate import load_bundle_packets, run_simulation


def _bundle(root: Path) -> Path:
    (root / "registry").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "registry" / "outlets.csv").write_text(
        "\ufeffoutlet_id,enterprise_id,name,mn,pw\nP1,E1,1#,SIM0001,000123\nP2,E1,2#,SIM0002,pw2\n",
        encoding="utf-8",
    )
    (root / "registry" / "meters.csv").write_text(
        "meter_id,enterprise_id,line_id,role,name,rated_kw,mn,factor_code,pw\n"
        "M1,E1,L1,production,机1,100,SIMEL01,d20105,el-pw\n"
        "M2,E1,L1,treatment,RTO,50,SIMEL01,d30106,el-pw\n",
        encoding="utf-8",
    )
    rows = ["outlet_id,time,pollutant,value,zs_value,flag"]
    for oid in ("P1", "P2"):
        for h in range(3):
            rows.append(f"{oid},2024-01-08T0{h}:00:00+08:00,a21026,{10 + h}.5,{20 + h},N")
            rows.append(f"{oid},2024-01-08T0{h}:00:00+08:00,a19001,9.1,,F")
    (root / "data" / "cems_hourly.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    power = ["meter_id,time,kw"] + [
        f"{m},2024-01-08T00:{i * 5:02d}:00+08:00,{kw + i}"
        for m, kw in (("M1", 80), ("M2", 40))
        for i in range(4)
    ]
    (root / "data" / "power.csv").write_text("\n".join(power) + "\n", encoding="utf-8")
    return root


def test_simulate_small_bundle_end_to_end(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path / "bundle")
    settings = get_settings()
    settings.ensure_home()
    with session_scope(settings) as s:
        s.add(
            Enterprise(enterprise_id="E1", name="企业", credit_code="9" * 18, industry="printing")
        )
        s.flush()
        s.add(Line(line_id="L1", enterprise_id="E1"))
        s.flush()
        s.add(Outlet(outlet_id="P1", enterprise_id="E1", name="1#", mn="SIM0001", pw="000123"))
        s.add(Outlet(outlet_id="P2", enterprise_id="E1", name="2#", mn="SIM0002", pw="pw2"))
        for mid, code, role in (("M1", "d20105", "production"), ("M2", "d30106", "treatment")):
            s.add(
                Meter(
                    meter_id=mid,
                    enterprise_id="E1",
                    line_id="L1",
                    role=role,
                    name=mid,
                    mn="SIMEL01",
                    factor_code=code,
                    pw="el-pw",
                )
            )
    loggers = load_bundle_packets(bundle, protocol="2025", minute_interval=30)
    assert [lg.mn for lg in loggers] == ["SIM0001", "SIM0002", "SIMEL01"]
    assert [len(lg.packets) for lg in loggers] == [9, 9, 4]
    # every logger sends its registered PW (the gateway refuses loggers without one)
    assert [lg.pw for lg in loggers] == ["000123", "pw2", "el-pw"]

    async def main() -> None:
        gw = Gateway(settings, GatewayConfig(port=0, metrics_port=None, lake_interval=0.2))
        await gw.start()
        try:
            result = await run_simulation(loggers, "127.0.0.1", gw.port, speed=0, timeout=3)
        finally:
            await gw.shutdown()
        assert result.acked == result.packets == 22 and result.failed == 0

    asyncio.run(main())
    lake = Lake(settings.lake_dir)
    hourly = lake.read("cems_hourly").to_pylist()
    assert len(hourly) == 12
    so2 = sorted(
        (r for r in hourly if r["outlet_id"] == "P2" and r["pollutant"] == "a21026"),
        key=lambda r: r["time"],
    )
    assert [r["value"] for r in so2] == [10.5, 11.5, 12.5] and so2[0]["zs_value"] == 20.0
    assert so2[0]["min"] < 10.5 < so2[0]["max"]
    assert {r["flag"] for r in hourly if r["pollutant"] == "a19001"} == {"F"}
    assert len(lake.read("cems_minute")) == 2 * 3 * 2 * 2
    power = sorted((r["meter_id"], r["kw"]) for r in lake.read("power").to_pylist())
    assert power[:4] == [("M1", 80.0), ("M1", 81.0), ("M1", 82.0), ("M1", 83.0)]
    assert verify_archive(settings.archive_dir).ok
