"""A scanner for Chinese output: no internals may reach a zh page, PDF or workbook.

``assert_clean_zh(text)`` fails, naming each finding with its surroundings, when ``text``
contains

- a snake_case key (``mean_zs``, ``record_check``),
- a Python repr (``{'min_duration_h': 1}``, ``['P0013']``, ``True``/``False``/``None``,
  ``datetime.datetime(``),
- a bare HJ 212 factor code (``a21002``),
- untranslated English: two or more English words in a row (``record check``,
  ``Episodes of ... above the limit``) or a lone lowercase English word (``ok``,
  ``problem``) other than a unit.

For HTML use ``assert_clean_zh(html_text(html))`` (scripts, styles, tags and attribute
values are dropped). ``allow`` lists exact substrings that are fine in a given output
(a brand name, a file name); they are blanked before scanning.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable

UNITS = {
    "mg",
    "kw",
    "kwh",
    "ug",
    "µg",
    "ng",
    "m³",
    "min",
    "kpa",
    "ppm",
    "pdf",
    "xlsx",
    "ok",  # never allowed below: see LEAKED_WORDS
}
"""Lowercase tokens that are units or file kinds, fine on a Chinese page."""
LEAKED_WORDS = {"ok", "problem", "na", "pending", "true", "false", "none", "null", "nan"}
"""Lowercase words that are always internals when they stand alone in Chinese output."""

_SNAKE = re.compile(r"(?<![A-Za-z0-9_./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")
_REPR = re.compile(
    r"\{'[^']*'\s*:|\['[^']*'(?:,|\])|(?<![A-Za-z])(?:True|False|None)(?![A-Za-z])"
    r"|datetime\.(?:datetime|date)\(|Decimal\('"
)
_FACTOR = re.compile(r"(?<![A-Za-z0-9])a\d{5}(?![0-9])")
_WORD = r"[A-Za-z][A-Za-z'’]+"
_EN_RUN = re.compile(rf"(?<![A-Za-z0-9_]){_WORD}(?:[ ,;:-]+{_WORD})+(?![A-Za-z0-9_])")
_LONE = re.compile(r"(?<![A-Za-z0-9_.@/-])[a-z]{2,}(?![A-Za-z0-9_/.@-])")


def html_text(html: str) -> str:
    """The visible text of an HTML page (no scripts, styles, tags or attributes)."""
    text = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", html)
    text = re.sub(r"(?s)<!--.*?-->", " ", text)
    text = re.sub(r"(?s)<[^>]+>", " ", text)
    return _html.unescape(text)


def _is_english_run(match: str) -> bool:
    words = re.findall(_WORD, match)
    # two or more words, at least one a lowercase word of 3+ letters ("record check",
    # "Episodes of ... limit"); runs of acronyms ("HJ CEMS") and proper names pass
    return len(words) >= 2 and any(w[0].islower() and len(w) >= 3 for w in words)


def find_problems(text: str, allow: Iterable[str] = ()) -> list[str]:
    """Every finding in ``text``, as ``kind: 'match' in '…context…'``."""
    for a in sorted(allow, key=len, reverse=True):
        text = text.replace(a, " ")
    found: list[str] = []

    def note(kind: str, m: re.Match[str]) -> None:
        lo, hi = max(0, m.start() - 30), min(len(text), m.end() + 30)
        ctx = " ".join(text[lo:hi].split())
        found.append(f"{kind}: {m.group(0)!r} in …{ctx}…")

    for m in _REPR.finditer(text):
        note("python repr", m)
    for m in _SNAKE.finditer(text):
        note("snake_case key", m)
    for m in _FACTOR.finditer(text):
        note("bare factor code", m)
    for m in _EN_RUN.finditer(text):
        if _is_english_run(m.group(0)):
            note("untranslated English", m)
    for m in _LONE.finditer(text):
        word = m.group(0)
        if word in LEAKED_WORDS or (word not in UNITS and len(word) >= 3):
            note("untranslated English", m)
    return found


def assert_clean_zh(text: str, allow: Iterable[str] = (), where: str = "") -> None:
    """Fail when ``text`` (Chinese output) shows internals or English; see the module."""
    problems = find_problems(text, allow)
    assert not problems, (f"{where}: " if where else "") + "\n".join(problems)
