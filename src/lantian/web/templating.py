"""Jinja2 environment: i18n (gettext of the request's language), CST date filters, assets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lantian import __version__
from lantian.timeutil import to_cst
from lantian.web import labels
from lantian.web.deps import current_language
from lantian.web.i18n import LANGUAGE_NAMES, translations
from lantian.web.security import CSRF_COOKIE

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _gettext(message: str) -> str:
    # Jinja's new-style gettext wrapper escapes and interpolates the variables.
    return translations(current_language.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def fmt_cst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a datetime in China Standard Time ('' for None)."""
    return "" if value is None else to_cst(value).strftime(fmt)


class _Labels(dict[Any, str]):
    """Translated labels of one vocabulary: the code itself when unknown, '' for None
    (like :func:`lantian.web.labels.label`)."""

    def __missing__(self, code: Any) -> str:
        return "" if code is None else str(code)


@dataclass(frozen=True)
class TranslatedLabels:
    """The label tables of the list pages, translated into one language.

    ``tl.family[row.family]`` in a template is a dict lookup, where
    ``label(family_labels, row.family)`` is a function call and a catalog lookup (per
    row and column of a 50-row table).
    """

    family: _Labels
    severity: _Labels
    status: _Labels
    subject: _Labels


@lru_cache(maxsize=8)
def translated_labels(language: str) -> TranslatedLabels:
    """:class:`TranslatedLabels` of ``language`` (built once per language)."""
    t = translations(language)

    def tr(table: dict[Any, str]) -> _Labels:
        if isinstance(table, labels.VocabLabels):  # names from lantian.vocab
            return _Labels({code: table.vocab.name(code, language) for code in table})
        return _Labels({code: t.gettext(text) for code, text in table.items()})

    return TranslatedLabels(
        family=tr(labels.FAMILY_LABELS),
        severity=tr(labels.SEVERITY_LABELS),
        status=_Labels(tr(labels.LEAD_STATUS_LABELS) | tr(labels.CASE_STATUS_LABELS)),
        subject=tr(labels.SUBJECT_LABELS),
    )


def make_templates() -> Jinja2Templates:
    """The template renderer with the i18n extension and Lantian's filters."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["cst"] = fmt_cst
    env.globals["version"] = __version__
    env.globals["language_names"] = LANGUAGE_NAMES
    env.globals["label"] = labels.label
    env.globals["family_labels"] = labels.FAMILY_LABELS
    env.globals["severity_labels"] = labels.SEVERITY_LABELS
    env.globals["status_labels"] = labels.LEAD_STATUS_LABELS | labels.CASE_STATUS_LABELS
    env.globals["case_status_labels"] = labels.CASE_STATUS_LABELS
    env.globals["subject_labels"] = labels.SUBJECT_LABELS
    env.globals["industry_labels"] = labels.INDUSTRY_LABELS
    env.globals["pollutant_labels"] = labels.POLLUTANT_LABELS
    env.globals["role_labels"] = labels.ROLE_LABELS
    env.globals["action_labels"] = labels.ACTION_LABELS
    env.globals["check_answer_labels"] = labels.CHECK_ANSWER_LABELS
    return templates


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render template ``name`` with the request's principal, language and CSRF token."""
    ctx: dict[str, Any] = dict(context or {})
    principal = getattr(request.state, "principal", None)
    csrf = getattr(request.state, "session_csrf", None) or request.cookies.get(CSRF_COOKIE)
    if not csrf:
        csrf = request.state.new_csrf_cookie
    ctx.setdefault("principal", principal)
    ctx["lang"] = lang = current_language.get()
    ctx["tl"] = translated_labels(lang)
    ctx["csrf_token"] = csrf
    ctx["tile_url"] = request.app.state.settings.tile_url
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(
        request, name, ctx, status_code=status_code, headers=headers
    )
    return response
