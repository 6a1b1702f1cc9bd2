"""The anonymiser removes names, codes, identity and phone numbers, and keeps the facts."""

from __future__ import annotations

import pytest

from lantian.assist.library.anonymise import anonymise, leaks, short_names

ENT = "甲市华能钢铁有限公司"
PEOPLE = ["张三", "李四光"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("甲市华能钢铁有限公司1号排口超标", "某企业1号排口超标"),
        ("甲市华能钢铁在夜间偷排", "某企业在夜间偷排"),
        ("统一社会信用代码91130100MA0000001A", "统一社会信用代码[统一社会信用代码]"),
        ("负责人张三（身份证130102199001011234）", "负责人某某（身份证[身份证号]）"),
        ("联系电话13812345678，座机0311-87654321", "联系电话[电话]，座机[电话]"),
        ("执法人员李四光到场", "执法人员某某到场"),
        ("设备MN 88888880000001 数据异常", "设备MN [编号] 数据异常"),
        (
            "2026-03-02 颗粒物 35.6 mg/m³ 超过限值 20 mg/m³",
            "2026-03-02 颗粒物 35.6 mg/m³ 超过限值 20 mg/m³",
        ),
        ("排口 E1-O1 氮氧化物", "排口 E1-O1 氮氧化物"),
    ],
)
def test_anonymise(text: str, expected: str) -> None:
    out = anonymise(text, [ENT], PEOPLE)
    assert out == expected
    assert leaks(out, [ENT], PEOPLE) == []


def test_leaks_finds_what_is_left() -> None:
    assert leaks("甲市华能钢铁有限公司张三13812345678", [ENT], PEOPLE) == [
        ENT,
        "甲市华能钢铁",
        "张三",
        "13812345678",
    ]


def test_short_names() -> None:
    assert short_names("乙县化工股份有限公司") == ["乙县化工股份有限公司", "乙县化工"]
    assert short_names("甲市热电厂") == ["甲市热电厂", "甲市热电"]
    assert short_names("公司") == ["公司"]
