"""Lead families (问题类型): the contract's v1 families, device integrity and clue layers.

The Chinese names are the UI's terms; Excel, PDFs and the API use the same ones (the
``leads.family`` CHECK constraint allows exactly :data:`FAMILIES`).

References
----------
.. [1] Lantian exchange formats (``/work/shared/contracts``), ``leads`` family list (v1, v2).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

V1: Vocabulary[str] = Vocabulary(
    "lead_family_v1",
    [
        Term("EXCEEDANCE", "超标排放", "Exceedance"),
        Term("FLATLINE", "数据恒值", "Flat line"),
        Term("PINNED", "数据压线", "Pinned under the limit"),
        Term("O2_ABNORMAL", "氧含量异常", "Abnormal O2"),
        Term("MISSING", "数据缺失", "Missing data"),
        Term("FLAG_ABUSE", "标记滥用", "Flag abuse"),
        Term("TREATMENT_OFF", "治污设施停运", "Treatment off"),
        Term("TREATMENT_LOW", "治污设施低效运行", "Treatment low"),
        Term("EMERGENCY_VIOLATION", "未落实应急减排措施", "Emergency measure violated"),
        Term("CLONED", "数据克隆", "Cloned data"),
        Term("AMBIENT_HOTSPOT", "空气质量高值", "Ambient hot spot"),
    ],
)
"""Families of the v1 leads contract (what the rule catalog finds)."""

DEVICE: Vocabulary[str] = Vocabulary(
    "lead_family_device",
    [
        Term("CLOCK_ANOMALY", "数采仪时钟异常", "Logger clock anomaly"),
        Term("DATA_REWRITE", "数据被改写", "Data rewritten"),
        Term("QC_FAILURE", "质控不合格", "Quality control failed"),
    ],
)
"""v2 device-integrity families (found by the gateway and remote quality control)."""

CLUE: Vocabulary[str] = Vocabulary(
    "lead_family_clue",
    [
        Term("GRID_HOTSPOT", "网格高值", "Grid hot spot"),
        Term("MOBILE_HOTSPOT", "走航高值", "Mobile monitoring hot spot"),
        Term("CAMERA_ALARM", "视频监控报警", "Camera alarm"),
        Term("GATE_VIOLATION", "门禁违规", "Gate record violation"),
    ],
)
"""v2 clue-layer families (grids, 走航, cameras, truck gates)."""

FAMILIES: Vocabulary[str] = Vocabulary("lead_family", [*V1, *DEVICE, *CLUE])
"""Every family a stored lead may have."""


def name(code: object, lang: str = "zh_CN") -> str:
    """Name of a lead family: ``name("PINNED") == "数据压线"``."""
    return FAMILIES.name(code, lang)
