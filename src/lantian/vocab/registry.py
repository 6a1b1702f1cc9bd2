"""Vocabularies of the registry: industries, subject kinds, grades, meters, stations, alerts.

References
----------
.. [1] Lantian exchange formats v1/v2 (``registry/*.csv``; ``leads.subject_type``).
.. [2] 生态环境部, 重污染天气重点行业应急减排措施制定技术指南 (2020 修订版): 绩效分级
       A/B/C/D and 引领性 (unverified wording).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

INDUSTRIES: Vocabulary[str] = Vocabulary(
    "industry",
    [
        Term("coal_power", "燃煤发电", "Coal power"),
        Term("gas_power", "燃气发电", "Gas power"),
        Term("industrial_boiler", "工业锅炉", "Industrial boiler"),
        Term("steel", "钢铁", "Steel"),
        Term("coking", "焦化", "Coking"),
        Term("cement", "水泥", "Cement"),
        Term("glass", "玻璃", "Glass"),
        Term("petrochem", "石化", "Petrochemical"),
        Term("chemical", "化工", "Chemical"),
        Term("printing", "印刷", "Printing"),
        Term("coating", "涂装", "Coating"),
        Term("furniture", "家具", "Furniture"),
        Term("waste_incineration", "垃圾焚烧", "Waste incineration"),
        Term("other", "其他", "Other"),
    ],
)

SUBJECT_KINDS_V1: Vocabulary[str] = Vocabulary(
    "subject_kind_v1",
    [
        Term("outlet", "排放口", "Outlet"),
        Term("meter", "电表", "Meter"),
        Term("line", "生产线", "Line"),
        Term("station", "监测站", "Station"),
    ],
)
"""Subject kinds of the v1 leads contract."""
SUBJECT_KINDS: Vocabulary[str] = Vocabulary(
    "subject_kind",
    [
        *SUBJECT_KINDS_V1,
        Term("enterprise", "企业", "Enterprise"),
        Term("grid", "网格", "Grid"),
    ],
)
"""Every subject kind a stored lead may have (v1 + v2)."""

DEVICE_SUBJECT_KINDS: Vocabulary[str] = Vocabulary(
    "device_subject_kind", [t for t in SUBJECT_KINDS_V1 if t.code in ("outlet", "meter")]
)
"""Objects with a data logger (``data_rewrites.subject_type``)."""

GRADES: Vocabulary[str] = Vocabulary(
    "grade",
    [
        Term("A", "A级", "Grade A"),
        Term("B", "B级", "Grade B"),
        Term("B-", "B-级", "Grade B-"),
        Term("C", "C级", "Grade C"),
        Term("D", "D级", "Grade D"),
        Term("L", "引领性", "Leading"),
    ],
)
"""重污染天气绩效分级 (performance grade); empty = not graded."""
METER_ROLES: Vocabulary[str] = Vocabulary(
    "meter_role",
    [Term("production", "生产设施", "Production"), Term("treatment", "治污设施", "Treatment")],
)
STATION_KINDS: Vocabulary[str] = Vocabulary(
    "station_kind",
    [
        Term("national", "国控站", "National station"),
        Term("provincial", "省控站", "Provincial station"),
        Term("township", "乡镇站", "Township station"),
        Term("micro", "微站", "Micro station"),
    ],
)
ALERT_LEVELS: Vocabulary[str] = Vocabulary(
    "alert_level",
    [
        Term("yellow", "黄色预警", "Yellow alert"),
        Term("orange", "橙色预警", "Orange alert"),
        Term("red", "红色预警", "Red alert"),
    ],
)
MEASURE_ACTIONS: Vocabulary[str] = Vocabulary(
    "measure_action",
    [Term("stop", "停产", "Stop"), Term("limit", "限产", "Limit output")],
)
HJ212_FLAGS: Vocabulary[str] = Vocabulary(
    "hj212_flag",
    [
        Term("N", "正常(N)", "Normal (N)"),
        Term("F", "停运(F)", "Stopped (F)"),
        Term("M", "维护(M)", "Maintenance (M)"),
        Term("S", "手工输入(S)", "Manual input (S)"),
        Term("D", "故障(D)", "Fault (D)"),
        Term("C", "校准(C)", "Calibration (C)"),
        Term("T", "超测定上限(T)", "Over range (T)"),
        Term("B", "通讯异常(B)", "Communication fault (B)"),
    ],
)
"""HJ 212-2017 data flags (数据标识), §6.6.4 (unverified wording of S and B)."""
