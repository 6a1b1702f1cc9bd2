"""Anonymisation of a closed case for the typical-case library (pure functions).

Removed: the names given (enterprise names and their short forms, people: officers,
representatives, enterprise users), 18-character unified social credit codes, 18-digit
identity card numbers, mobile and fixed-line phone numbers, 执法证号-like and device or
outlet codes (runs of 8 or more letters and digits, without separators, containing 6 or
more digits). Dates (``2026-12-02``) and
measured values stay: they are the facts of the case.

References
----------
.. [1] GB 32100-2015 法人和其他组织统一社会信用代码编码规则 (18 characters, no I/O/Z/S/V).
.. [2] GB 11643-1999 公民身份号码 (17 digits and a check character).
.. [3] 《中华人民共和国个人信息保护法》(2021) 第七十三条第四项 (匿名化: the information
       cannot identify a natural person and cannot be restored).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CREDIT_CODE = re.compile(
    r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])"
)
ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)
MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
CODE_RUN = re.compile(r"(?<![0-9A-Za-z])(?=(?:[A-Za-z]*\d){6})[0-9A-Za-z]{8,}(?![0-9A-Za-z])")

COMPANY_SUFFIXES: tuple[str, ...] = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "集团",
    "公司",
    "厂",
)
ENTERPRISE_MASK = "某企业"
PERSON_MASK = "某某"


def short_names(name: str) -> list[str]:
    """The forms an enterprise name takes in free text: the full name and the name without
    its longest matching company suffix (``甲市华能钢铁有限公司`` → ``甲市华能钢铁``),
    longest first."""
    name = name.strip()
    out = {name} if name else set()
    for suffix in COMPANY_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            out.add(name[: -len(suffix)])
            break
    return sorted(out, key=len, reverse=True)


def anonymise(text: str, enterprises: Iterable[str] = (), people: Iterable[str] = ()) -> str:
    """``text`` with the given enterprise names (and short forms) replaced by 某企业, the
    given people by 某某, and codes, identity numbers and phone numbers masked."""
    names: list[tuple[str, str]] = []
    for e in enterprises:
        names += [(n, ENTERPRISE_MASK) for n in short_names(e)]
    names += [(p.strip(), PERSON_MASK) for p in people if len(p.strip()) >= 2]
    for value, mask in sorted(names, key=lambda nm: len(nm[0]), reverse=True):
        text = text.replace(value, mask)
    text = ID_CARD.sub("[身份证号]", text)
    text = CREDIT_CODE.sub("[统一社会信用代码]", text)
    text = MOBILE.sub("[电话]", text)
    text = LANDLINE.sub("[电话]", text)
    text = CODE_RUN.sub("[编号]", text)
    return text


def leaks(text: str, enterprises: Iterable[str] = (), people: Iterable[str] = ()) -> list[str]:
    """What of the given names or of the masked patterns is still in ``text`` (empty when
    the text is clean); used to refuse storing a typical case that would identify."""
    found = [n for e in enterprises for n in short_names(e) if n and n in text]
    found += [p for p in people if len(p.strip()) >= 2 and p.strip() in text]
    for rx in (ID_CARD, CREDIT_CODE, MOBILE, LANDLINE, CODE_RUN):
        found += rx.findall(text)
    return list(dict.fromkeys(found))
