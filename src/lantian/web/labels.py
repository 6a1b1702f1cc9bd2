"""Display labels of vocabulary codes, read from :mod:`lantian.vocab`.

Each ``*_LABELS`` table maps a code to its English name (the message id the templates
may still pass through ``_()``); :func:`label` looks the code up in the vocabulary itself
and answers in the request's language, so the Chinese names come from one place
(``lantian.vocab``), identical on pages, PDFs and Excel.
"""

from __future__ import annotations

from typing import Any

from lantian.vocab import cases, families, leads, pollutants, registry, roles
from lantian.vocab._base import Vocabulary
from lantian.web.deps import _, current_language


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


class VocabLabels(dict[Any, str]):
    """code → English name of one vocabulary, remembering the vocabulary."""

    def __init__(self, vocab: Vocabulary[Any]) -> None:
        super().__init__(vocab.en_table())
        self.vocab: Vocabulary[Any] = vocab


class _PollutantLabels(VocabLabels):
    """Pollutant names, falling back to the HJ 212 factor table."""


FAMILY_LABELS: VocabLabels = VocabLabels(
    Vocabulary("lead_family_inbox", [*families.V1, *families.DEVICE, *families.CLUE])
)
LEAD_STATUS_LABELS: VocabLabels = VocabLabels(leads.INBOX_STATUSES)
SEVERITY_LABELS: VocabLabels = VocabLabels(leads.SEVERITIES)
SUBJECT_LABELS: VocabLabels = VocabLabels(registry.SUBJECT_KINDS)
INDUSTRY_LABELS: VocabLabels = VocabLabels(registry.INDUSTRIES)
POLLUTANT_LABELS: VocabLabels = _PollutantLabels(pollutants.POLLUTANTS)
CASE_STATUS_LABELS: VocabLabels = VocabLabels(cases.STATES_VOCAB)
ROLE_LABELS: VocabLabels = VocabLabels(roles.ROLES)
ACTION_LABELS: VocabLabels = VocabLabels(cases.ACTIONS)
CHECK_ANSWER_LABELS: VocabLabels = VocabLabels(cases.CHECK_ANSWERS)
CHECK_KIND_LABELS: VocabLabels = VocabLabels(cases.CHECK_KINDS)
FIX_PATH_LABELS: VocabLabels = VocabLabels(cases.FIX_PATHS)

_ALL_STATUSES = Vocabulary(
    "status_any",
    [*leads.INBOX_STATUSES, *(t for t in cases.STATES_VOCAB if t.code not in leads.INBOX_STATUSES)],
)


def label(table: dict[str, str] | dict[int, str], code: object) -> str:
    """Label of ``code`` in the request's language (the code itself when unknown).

    A table built from a vocabulary answers from the vocabulary; any other table (for
    example ``LEAD_STATUS_LABELS | CASE_STATUS_LABELS``, a plain dict) is looked up in the
    merged statuses first, then translated through the catalogs.
    """
    if code is None:
        return ""
    lang = current_language.get()
    if isinstance(table, _PollutantLabels):
        return pollutants.name(code, lang)
    if isinstance(table, VocabLabels):
        return table.vocab.name(code, lang)
    if code in _ALL_STATUSES and table.get(code) == _ALL_STATUSES.get(code).en:  # type: ignore[call-overload, union-attr]
        return _ALL_STATUSES.name(code, lang)
    text = table.get(code)  # type: ignore[call-overload]
    return _(text) if isinstance(text, str) else str(code)


def vocab_name(vocab: Vocabulary[Any], code: object) -> str:
    """Name of ``code`` in ``vocab`` in the request's language."""
    return str(vocab.name(code, current_language.get()))
