"""The vocabulary primitives: a :class:`Term` (code, zh, en, unit) and a :class:`Vocabulary`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", str, int)


@dataclass(frozen=True)
class Term(Generic[K]):
    """One entry of a vocabulary: the stored code, its Chinese and English name, a unit."""

    code: K
    zh: str
    en: str
    unit: str | None = None

    def name(self, lang: str = "zh_CN") -> str:
        """The name in ``lang`` (``zh…`` or ``en…``)."""
        return self.en if is_english(lang) else self.zh


def is_english(lang: str | None) -> bool:
    """True when ``lang`` (``en``, ``en_US``, ``en-GB`` …) asks for English."""
    return bool(lang) and str(lang).lower().startswith("en")


class Vocabulary(Generic[K]):
    """An ordered, closed set of terms; the codes are what the database stores.

    Parameters
    ----------
    key
        Name of the vocabulary (``lead_family``, ``pollutant`` …) for messages and tests.
    terms
        The entries, in display order.
    """

    def __init__(self, key: str, terms: Iterable[Term[K]]) -> None:
        self.key = key
        self.terms: tuple[Term[K], ...] = tuple(terms)
        self._by_code: dict[K, Term[K]] = {}
        for t in self.terms:
            if t.code in self._by_code:
                raise ValueError(f"vocabulary {key}: code {t.code!r} declared twice")
            if not t.zh.strip() or not t.en.strip():
                raise ValueError(f"vocabulary {key}: {t.code!r} needs both zh and en")
            self._by_code[t.code] = t

    def __iter__(self) -> Iterator[Term[K]]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __repr__(self) -> str:
        return f"Vocabulary({self.key!r}, {len(self.terms)} terms)"

    def codes(self) -> tuple[K, ...]:
        """Every code, in declaration order (what a CHECK constraint allows)."""
        return tuple(t.code for t in self.terms)

    def get(self, code: object) -> Term[K] | None:
        """The term of ``code`` (None when unknown)."""
        return self._by_code.get(code)  # type: ignore[call-overload, no-any-return]

    def name(self, code: object, lang: str = "zh_CN") -> str:
        """Name of ``code`` in ``lang``; ``""`` for None, the code itself when unknown."""
        if code is None:
            return ""
        term = self.get(code)
        return term.name(lang) if term is not None else str(code)

    def unit(self, code: object) -> str | None:
        """Unit of ``code`` (None when it has none or is unknown)."""
        term = self.get(code)
        return term.unit if term is not None else None

    def label(self, code: object, lang: str = "zh_CN") -> str:
        """Name with the unit in brackets: ``氮氧化物 (mg/m³)``."""
        unit = self.unit(code)
        name = self.name(code, lang)
        return f"{name} ({unit})" if unit else name

    def en_table(self) -> dict[K, str]:
        """code → English name (the message ids of the web catalogs)."""
        return {t.code: t.en for t in self.terms}

    def zh_table(self) -> dict[K, str]:
        """code → Chinese name."""
        return {t.code: t.zh for t in self.terms}
