"""Public disclosure (信息公开) vocabularies: what a published case outcome says and which
fields of a closed case a province may publish.

References
----------
.. [1] 《企业环境信息依法披露管理办法》(生态环境部令第24号, 2021) (unverified wording).
.. [2] 《中华人民共和国政府信息公开条例》(2019 修订), 第二十条 (unverified wording).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

OUTCOMES: Vocabulary[str] = Vocabulary(
    "disclosure_outcome",
    [
        Term("immediate_fix", "立行立改", "Fixed immediately"),
        Term("rectified", "整改完成", "Rectified under supervision"),
        Term("closed", "已销号", "Closed"),
    ],
)
"""Outcome of a closed case as published: from its ``fix_path`` (立行立改 or 督办 → 整改完成)."""

CASE_FIELDS: Vocabulary[str] = Vocabulary(
    "disclosure_case_field",
    [
        Term("enterprise_name", "企业名称", "Enterprise"),
        Term("city", "城市", "City"),
        Term("district", "区县", "District"),
        Term("problem_type", "问题类型", "Problem type"),
        Term("pollutant", "污染物", "Pollutant"),
        Term("closed_date", "销号日期", "Closed on"),
        Term("outcome", "处理结果", "Outcome"),
    ],
)
"""Fields of a closed case a disclosure configuration may publish (nothing personal: no
officer, user, phone number, case number or amount is among them)."""
