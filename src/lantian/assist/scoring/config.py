"""Terms and weights of work-group scoring, as data validated at load.

Shipped: ``default.toml`` in this package (sources of the design cited there);
``LANTIAN_SCORING_CONFIG`` names a replacement. Refused with :class:`ScoringConfigError`
naming the entry: an unknown key, a duplicate or malformed name, a weight that is not a
positive number, an unknown normalisation or group, a source that is not
``module.path:function``. Whether a source can be imported is decided when scoring (a
missing module is 未接入, not an error).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lantian.tomlconfig import load_toml_config
from lantian.vocab import consultation as cv

SETTING = "LANTIAN_SCORING_CONFIG"
GROUPS: dict[str, tuple[str, str]] = {
    "findings": ("发现问题", "Findings"),
    "assistance": ("帮扶服务", "Assistance"),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_SOURCE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
_KEYS = frozenset({"name", "group", "zh", "en", "source", "weight", "normalisation"})


class ScoringConfigError(ValueError):
    """Malformed scoring configuration; the message names the entry."""


@dataclass(frozen=True)
class TermSpec:
    """One configured term."""

    name: str
    group: str
    zh: str
    en: str
    source: str
    weight: float
    normalisation: str

    def label(self, lang: str) -> str:
        """The term's name in ``lang``."""
        return self.en if lang.startswith("en") else self.zh


@dataclass(frozen=True)
class ScoringConfig:
    """A versioned list of terms."""

    version: str
    terms: tuple[TermSpec, ...]


def parse_config(data: dict[str, Any]) -> ScoringConfig:
    """Validate a parsed TOML document."""
    unknown = set(data) - {"version", "terms"}
    if unknown:
        raise ScoringConfigError(f"{SETTING}: unknown key(s) {', '.join(sorted(unknown))}")
    version = data.get("version")
    if not isinstance(version, str) or not 1 <= len(version) <= 32:
        raise ScoringConfigError("version: a text of 1-32 characters")
    raw = data.get("terms")
    if not isinstance(raw, list) or not raw:
        raise ScoringConfigError("terms: at least one [[terms]] entry")
    seen: set[str] = set()
    terms: list[TermSpec] = []
    for n, entry in enumerate(raw, 1):
        where = f"terms[{n}]"
        if not isinstance(entry, dict):
            raise ScoringConfigError(f"{where}: must be a table")
        bad = set(entry) - _KEYS
        if bad:
            raise ScoringConfigError(f"{where}: unknown key(s) {', '.join(sorted(bad))}")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ScoringConfigError(f"{where}.name: lower-case letters, digits, _ ({name!r})")
        where = f"terms.{name}"
        if name in seen:
            raise ScoringConfigError(f"{where}: name used twice")
        seen.add(name)
        group = entry.get("group")
        if group not in GROUPS:
            raise ScoringConfigError(f"{where}.group: one of {', '.join(GROUPS)}")
        for lang in ("zh", "en"):
            if not isinstance(entry.get(lang), str) or not entry[lang].strip():
                raise ScoringConfigError(f"{where}.{lang}: the label is missing")
        source = entry.get("source")
        if not isinstance(source, str) or not _SOURCE.match(source):
            raise ScoringConfigError(f"{where}.source: 'module.path:function' (got {source!r})")
        weight = entry.get("weight")
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or weight <= 0
        ):
            raise ScoringConfigError(f"{where}.weight: a positive number (got {weight!r})")
        norm = entry.get("normalisation")
        if not isinstance(norm, str) or norm not in cv.NORMALISATIONS:
            raise ScoringConfigError(
                f"{where}.normalisation: one of {', '.join(cv.NORMALISATIONS.codes())}"
            )
        terms.append(TermSpec(name, group, entry["zh"], entry["en"], source, float(weight), norm))
    return ScoringConfig(version, tuple(terms))


def load_config(path: Path | None = None) -> ScoringConfig:
    """The shipped terms, or those at ``path`` (default: ``LANTIAN_SCORING_CONFIG``)."""
    if path is None:
        from lantian.settings import get_settings

        path = get_settings().scoring_config
    return load_toml_config(
        path,
        package="lantian.assist.scoring",
        resource="default.toml",
        setting=SETTING,
        error=ScoringConfigError,
        parse=parse_config,
    )
