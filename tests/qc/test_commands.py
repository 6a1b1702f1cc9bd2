"""Remote QC commands (pure): request frames against the standard's example, answers and
their meaning, the verdicts, and the virtual logger's answers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from lantian.protocol.hj212.packet import parse_packet
from lantian.qc.commands import (
    COMMANDS,
    answer_meaning,
    build_request,
    code_text,
    evaluate,
    system_time_param,
)
from lantian.qc.config import QcConfigError, parse_qc_config
from lantian.qc.dispatch import answer_fields
from lantian.simulate.loggers import answer_request, qc_profile
from lantian.timeutil import CST

MN = "010000A8900016F000169DC0"
T = datetime(2026, 12, 3, 10, 15, 0, tzinfo=CST)


def test_1011_request_is_the_standards_2025_example_byte_for_byte() -> None:
    # HJ 212-2025 Appendix A.1 (../shared/research/hj212/samples.txt line 7)
    expected = (
        b"##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;"
        b"MN=010000A8900016F000169DC0;Flag=9;CP=&&&&2200\r\n"
    )
    assert build_request("1011", MN, qn="20240601085857223", version="2025") == expected


def test_requests_of_every_command_parse_back_with_answers_wanted() -> None:
    for cn in COMMANDS:
        params = {"SystemTime": system_time_param(T)} if cn == "1012" else {"PolId": "a21026"}
        frame = build_request(cn, MN, qn="20261203101500001", pw="pw9", params=params)
        p = parse_packet(frame, strict=True)
        assert (p.cn, p.mn, p.pw, p.qn, p.st) == (cn, MN, "pw9", "20261203101500001", "32")
        assert p.flag == 5  # 2017 version bits 4 + A (answer wanted)
    assert (
        "SystemTime=20261203101500"
        in build_request("1012", MN, qn="1", params={"SystemTime": system_time_param(T)}).decode()
    )
    with pytest.raises(ValueError, match="1012 needs SystemTime"):
        build_request("1012", MN, qn="1")
    with pytest.raises(ValueError):
        build_request("2061", MN, qn="1")


def test_answer_meaning_and_codes() -> None:
    assert answer_meaning("9011", {"QnRtn": "1"}) == ("request", "1")
    assert answer_meaning("9012", {"ExeRtn": "2"}) == ("execution", "2")
    assert answer_meaning("1011", {"SystemTime": "x"}) == ("data", None)
    assert code_text("request", "4") == "MN 错误"
    assert code_text("execution", "100") == "没有数据"


def test_verdicts() -> None:
    ok = evaluate(
        "1011", "done", qn_rtn="1", exe_rtn="1",
        data={"SystemTime": "20261203101530"}, answered_at=T,
    )  # fmt: skip
    assert ok is not None and ok.passed and ok.figures["offset_s"] == 30.0
    fast = evaluate(
        "1011", "done", qn_rtn="1", exe_rtn="1",
        data={"SystemTime": "20261203102200"}, answered_at=T,
    )  # fmt: skip
    assert fast is not None and not fast.passed and "快 420 秒" in fast.reason
    tol = evaluate(
        "1011", "done", data={"SystemTime": "20261203102200"}, answered_at=T,
        clock_tolerance_s=600,
    )  # fmt: skip
    assert tol is not None and tol.passed
    no_time = evaluate("1011", "done", exe_rtn="1", data={}, answered_at=T)
    assert no_time is not None and not no_time.passed
    bad = evaluate("1011", "done", data={"SystemTime": "2026-12-03"}, answered_at=T)
    assert bad is not None and not bad.passed and "格式错误" in bad.reason
    failed = evaluate("3011", "failed", qn_rtn="1", exe_rtn="2")
    assert failed is not None and not failed.passed and "ExeRtn=2" in failed.reason
    refused = evaluate("3011", "failed", qn_rtn="3")
    assert refused is not None and "PW 错误" in refused.reason
    timeout = evaluate("3012", "timeout")
    assert timeout is not None and not timeout.passed and "未在时限内应答" in timeout.reason
    assert evaluate("3011", "expired") is None  # never sent: not judged
    done = evaluate("3011", "done", qn_rtn="1", exe_rtn="1")
    assert done is not None and done.passed


def test_virtual_logger_answers_as_the_standard_says() -> None:
    req = build_request("1011", "MNX", qn="20261203101500007", pw="pw")
    frames = answer_request(req, "MNX", "pw", T, skew_s=420.0)
    cns = [answer_fields(f)[0] for f in frames]
    assert cns == ["9011", "1011", "9012"]
    assert all(parse_packet(f).qn == "20261203101500007" for f in frames)
    assert answer_fields(frames[0])[1]["QnRtn"] == "1"
    assert answer_fields(frames[1])[1]["SystemTime"] == "20261203102200"
    assert answer_fields(frames[2])[1]["ExeRtn"] == "1"
    zero = answer_request(
        build_request("3011", "MNX", qn="2", pw="pw"), "MNX", "pw", T, fail_zero_span=True
    )
    assert [answer_fields(f)[0] for f in zero] == ["9011", "9012"]
    assert answer_fields(zero[1])[1]["ExeRtn"] == "2"
    info = answer_request(build_request("3020", "MNX", qn="3", pw="pw"), "MNX", "pw", T)
    assert answer_fields(info[1])[1]["a21026/i12001-Info"] == "0"  # analyser running
    wrong_mn = answer_request(build_request("1011", "OTHER", qn="4", pw="pw"), "MNX", "pw", T)
    assert [answer_fields(f)[1]["QnRtn"] for f in wrong_mn] == ["4"]
    wrong_pw = answer_request(build_request("1011", "MNX", qn="5", pw="no"), "MNX", "pw", T)
    assert [answer_fields(f)[1]["QnRtn"] for f in wrong_pw] == ["3"]
    not_a_request = build_request("1011", "MNX", qn="6", pw="pw").replace(b"CN=1011", b"CN=2061")
    assert answer_request(not_a_request, "MNX", "pw", T + timedelta(0), skew_s=0) == []


def test_qc_profile_is_deterministic_and_mixed() -> None:
    profiles = [qc_profile(f"MN{i:04d}") for i in range(200)]
    assert profiles == [qc_profile(f"MN{i:04d}") for i in range(200)]
    fast = sum(1 for skew, _f in profiles if skew > 60)
    failing = sum(1 for _s, fail in profiles if fail)
    assert 5 <= fast <= 40 and 5 <= failing <= 40


def test_config_is_validated_naming_the_entry() -> None:
    cfg = parse_qc_config({"clock_tolerance_s": 30, "schedule": [{"cn": "1011", "every_hours": 6}]})
    assert cfg.clock_tolerance_s == 30 and cfg.schedule[0].every_hours == 6
    for raw, needle in (
        ({"schedule": [{"cn": "2061"}]}, "schedule[1].cn"),
        ({"schedule": [{"cn": "1012"}]}, "schedule[1].cn"),
        ({"schedule": [{"cn": "1011", "every_hours": 0}]}, "schedule[1].every_hours"),
        ({"schedule": [{"cn": "1011", "when": 1}]}, "schedule[1].when"),
        ({"clock_tolerance_s": -1}, "clock_tolerance_s"),
        ({"tolerance": 1}, "unknown setting"),
    ):
        with pytest.raises(QcConfigError, match=needle.replace("[", r"\[").replace("]", r"\]")):
            parse_qc_config(raw)
