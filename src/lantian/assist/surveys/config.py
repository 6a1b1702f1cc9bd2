"""The satisfaction survey's form, as data validated at load.

Shipped: ``default.toml`` in this package; ``LANTIAN_SURVEY_FORM`` names a replacement.
A duplicate or malformed id, an unknown kind or service kind, a form without a required
rating question for some service kind, or an unknown key is refused with
:class:`SurveyFormError` naming the entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lantian.tomlconfig import load_toml_config
from lantian.vocab import consultation as cv

SETTING = "LANTIAN_SURVEY_FORM"
QUESTION_KINDS: tuple[str, ...] = ("rating", "text")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_KEYS = frozenset({"id", "kind", "zh", "en", "required", "applies_to"})
MAX_TEXT_ANSWER = 2000


class SurveyFormError(ValueError):
    """Malformed survey form; the message names the entry."""


@dataclass(frozen=True)
class SurveyQuestion:
    """One question of the form."""

    id: str
    kind: str
    zh: str
    en: str
    required: bool
    applies_to: tuple[str, ...]

    def text(self, lang: str) -> str:
        """The question in ``lang``."""
        return self.en if lang.startswith("en") else self.zh


@dataclass(frozen=True)
class SurveyForm:
    """A versioned list of questions."""

    version: str
    questions: tuple[SurveyQuestion, ...]

    def for_kind(self, kind: str) -> tuple[SurveyQuestion, ...]:
        """The questions asked after a service of ``kind``."""
        return tuple(q for q in self.questions if kind in q.applies_to)


def parse_form(data: dict[str, Any]) -> SurveyForm:
    """Validate a parsed TOML form."""
    unknown = set(data) - {"version", "questions"}
    if unknown:
        raise SurveyFormError(f"{SETTING}: unknown key(s) {', '.join(sorted(unknown))}")
    version = data.get("version")
    if not isinstance(version, str) or not 1 <= len(version) <= 32:
        raise SurveyFormError("version: a text of 1-32 characters")
    raw = data.get("questions")
    if not isinstance(raw, list) or not raw:
        raise SurveyFormError("questions: at least one [[questions]] entry")
    seen: set[str] = set()
    out: list[SurveyQuestion] = []
    for n, entry in enumerate(raw, 1):
        where = f"questions[{n}]"
        if not isinstance(entry, dict):
            raise SurveyFormError(f"{where}: must be a table")
        bad = set(entry) - _KEYS
        if bad:
            raise SurveyFormError(f"{where}: unknown key(s) {', '.join(sorted(bad))}")
        qid = entry.get("id")
        if not isinstance(qid, str) or not _ID.match(qid):
            raise SurveyFormError(f"{where}.id: lower-case letters, digits, _ (got {qid!r})")
        where = f"questions.{qid}"
        if qid in seen:
            raise SurveyFormError(f"{where}: id used twice")
        seen.add(qid)
        kind = entry.get("kind")
        if kind not in QUESTION_KINDS:
            raise SurveyFormError(f"{where}.kind: one of {', '.join(QUESTION_KINDS)}")
        for lang in ("zh", "en"):
            if not isinstance(entry.get(lang), str) or not entry[lang].strip():
                raise SurveyFormError(f"{where}.{lang}: the question text is missing")
        required = entry.get("required", False)
        if not isinstance(required, bool):
            raise SurveyFormError(f"{where}.required: true or false")
        applies = entry.get("applies_to", list(cv.SURVEY_KINDS.codes()))
        if not isinstance(applies, list) or not applies:
            raise SurveyFormError(f"{where}.applies_to: a list of service kinds")
        for k in applies:
            if k not in cv.SURVEY_KINDS:
                raise SurveyFormError(
                    f"{where}.applies_to: unknown service kind {k!r} "
                    f"(one of {', '.join(cv.SURVEY_KINDS.codes())})"
                )
        out.append(SurveyQuestion(qid, kind, entry["zh"], entry["en"], required, tuple(applies)))
    form = SurveyForm(version, tuple(out))
    for kind in cv.SURVEY_KINDS.codes():
        if not any(q.kind == "rating" and q.required for q in form.for_kind(kind)):
            raise SurveyFormError(f"questions: no required rating question for {kind!r}")
    return form


def load_form(path: Path | None = None) -> SurveyForm:
    """The shipped form, or the one at ``path`` (``LANTIAN_SURVEY_FORM``)."""
    if path is None:
        from lantian.settings import get_settings

        path = get_settings().survey_form
    return load_toml_config(
        path,
        package="lantian.assist.surveys",
        resource="default.toml",
        setting=SETTING,
        error=SurveyFormError,
        parse=parse_form,
    )
