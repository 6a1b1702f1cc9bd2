"""Form errors that keep the work: the error next to its field, the input kept.

A page's POST handler that fails on bad input does not end on an error page: it renders
the same page again with status 422, a :class:`FormErrors` in the context (the submitted
values and one message per field) and the macros of ``templates/_form_macros.html`` show
each message next to its field and put the submitted value back. The same response
serves plain posts (no JavaScript) and HTMX posts (the page replaces the document body;
``base.html`` lets htmx swap a 422).

Messages of the service layer are localized here (:func:`localized_message`): many are
bilingual ("中文 (English)"), some English only; the user sees one language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from lantian.auth.errors import (
    AuthenticationFailed,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from lantian.web.deps import _, current_language
from lantian.web.i18n import gettext_for
from lantian.web.labels import N_

FORM_ERROR_STATUS = 422
"""HTTP status of a page re-rendered with form errors (Unprocessable Content)."""

_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
_PAIR = re.compile(r"^(?P<a>.+?)\s*[（(](?P<b>[^()（）]+)[)）]\s*$", re.S)

KNOWN_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\w+ is required"), N_("This field is required")),
    (re.compile(r"^\w+: not a number$"), N_("Enter a number")),
    (re.compile(r"^\w+: not a date"), N_("Enter a date (YYYY-MM-DD)")),
    (re.compile(r"^\w+: choose an officer$"), N_("Choose an officer")),
    (re.compile(r"^give both lon and lat"), N_("Give both longitude and latitude, or neither")),
    (re.compile(r"^lon/lat out of range"), N_("Longitude or latitude out of range")),
    (re.compile(r"^no files$"), N_("Choose at least one file")),
    (re.compile(r"^choose at least one lead"), N_("Choose at least one lead")),
    (re.compile(r"^kind must be one of|^mode must be one of"), N_("Choose one of the options")),
    (re.compile(r"^unknown checklist items|^item \S+: result"), N_("Invalid checklist answer")),
    (re.compile(r"^no checklist template"), N_("Unknown checklist")),
    (re.compile(r"^unknown role"), N_("Unknown role")),
    (re.compile(r"^province is a 2-digit"), N_("The province is a 2-digit code, e.g. 13")),
    (re.compile(r"^an enterprise account needs"), N_("An enterprise account needs an enterprise")),
    (re.compile(r"^no enterprise "), N_("No such enterprise")),
    (re.compile(r"^only enterprise accounts"), N_("Only enterprise accounts have an enterprise")),
    (re.compile(r"^a city officer needs"), N_("A city officer needs a city")),
    (
        re.compile(r"^a district officer needs"),
        N_("A district officer needs a city and a district"),
    ),
    (re.compile(r"^role \w+ has no region"), N_("This role has no region")),
    (re.compile(r"^user .* already exists"), N_("This user name is taken")),
    (re.compile(r"^the case has no enterprise"), N_("The case has no enterprise")),
)
"""English-only service messages and the catalog message shown instead (first match)."""


def localized_message(exc: DomainError, language: str | None = None) -> str:
    """The message of ``exc`` in the request's language (or ``language``).

    Bilingual service messages ("承办人须为… (assignee must be …)") give the part in the
    user's language; known English-only messages are translated through the catalog;
    other errors fall back to a localized message of their kind.
    """
    lang = language or current_language.get()
    zh = lang == "zh_CN"
    msg = exc.message.strip()
    m = _PAIR.match(msg)
    if m and bool(_CJK.search(m["a"])) != bool(_CJK.search(m["b"])):
        cjk, other = (m["a"], m["b"]) if _CJK.search(m["a"]) else (m["b"], m["a"])
        return (cjk if zh else other).strip()
    has_cjk = bool(_CJK.search(msg))
    if has_cjk == zh:
        return msg  # already in the user's language (or translated by the raiser)

    def tr(message_id: str) -> str:
        return gettext_for(lang, message_id)

    for pattern, message_id in KNOWN_MESSAGES:
        if pattern.search(msg):
            return tr(message_id)
    if not zh:
        return msg
    if isinstance(exc, InvalidTransition):
        return tr(N_("This step is not possible in the case's current status"))
    if isinstance(exc, PermissionDenied):
        return tr(N_("You may not do this"))
    if isinstance(exc, NotFound):
        return tr(N_("Not found"))
    if isinstance(exc, AuthenticationFailed):
        return tr(N_("Not authenticated"))
    return tr(N_("Invalid value"))


@dataclass
class FormErrors:
    """The errors of one submitted form and the values to put back.

    ``form`` names the form in error (its ``id``), so a page with several forms shows
    the errors and values only in that one.
    """

    form: str
    values: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    message: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.message)

    def error(self, form: str, name: str) -> str | None:
        """The message of field ``name`` of ``form``, None if it has none."""
        return self.fields.get(name) if form == self.form else None

    def general(self, form: str) -> str | None:
        """The message of ``form`` that belongs to no field."""
        return self.message if form == self.form else None

    def value(self, form: str, name: str, default: Any = "") -> Any:
        """The submitted value of ``name`` if ``form`` is the one in error, else ``default``."""
        if form == self.form and name in self.values:
            return self.values[name]
        return default

    def add(self, name: str | None, message: str) -> None:
        """Add a message to field ``name`` (or to the form when None)."""
        if name:
            self.fields.setdefault(name, message)
        else:
            self.message = self.message or message


def submitted_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The text fields of a submitted form (files and the CSRF token left out)."""
    out: dict[str, str] = {}
    for key, value in form.items():
        if key != "csrf_token" and isinstance(value, str):
            out[key] = value
    return out


def errors_from(
    exc: DomainError,
    form: str,
    values: Mapping[str, Any],
    field_names: tuple[str, ...] | None = None,
) -> FormErrors:
    """The :class:`FormErrors` of ``form`` for the domain error ``exc``.

    A :class:`~lantian.auth.errors.ValidationError` naming a field of the form (any
    field when ``field_names`` is None) puts its message next to that field; other
    errors show above the form.
    """
    fe = FormErrors(form, submitted_values(values))
    name = exc.field if isinstance(exc, ValidationError) else None
    if name and field_names is not None and name not in field_names:
        name = None
    fe.add(name, localized_message(exc))
    return fe


def form_error_response(
    request: Request,
    template: str,
    context: dict[str, Any],
    errors: FormErrors,
) -> HTMLResponse:
    """The page ``template`` again with ``errors`` and the kept input, status 422.

    For an HTMX request the page replaces the document body (``HX-Retarget: body``),
    whatever target the form named.
    """
    from lantian.web.templating import render

    ctx = dict(context)
    ctx["form_errors"] = errors
    response = render(request, template, ctx, status_code=FORM_ERROR_STATUS)
    if request.headers.get("hx-request"):
        response.headers["HX-Retarget"] = "body"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


NO_ERRORS = FormErrors("")
"""The ``form_errors`` of a page rendered without errors."""


MAX_TEXT_CHARS = 10_000
"""Longest free text a page form accepts in one field (a finding, a comment, a note)."""


def check_text_lengths(values: Mapping[str, Any], limit: int = MAX_TEXT_CHARS) -> None:
    """:class:`~lantian.auth.errors.ValidationError` on the first text field longer than
    ``limit`` characters (before anything is stored)."""
    for key, value in values.items():
        if isinstance(value, str) and len(value) > limit:
            raise ValidationError(_("Too long: at most {n} characters").format(n=limit), field=key)


def check_required(values: Mapping[str, Any], *names: str) -> None:
    """:class:`~lantian.auth.errors.ValidationError` on the first of ``names`` left empty."""
    for name in names:
        if not str(values.get(name) or "").strip():
            raise ValidationError(_("This field is required"), field=name)


def check_max_lengths(values: Mapping[str, Any], limits: Mapping[str, int]) -> None:
    """:class:`~lantian.auth.errors.ValidationError` on the first field longer than its
    limit in ``limits`` (characters); other fields get :data:`MAX_TEXT_CHARS`."""
    for key, value in values.items():
        limit = limits.get(key, MAX_TEXT_CHARS)
        if isinstance(value, str) and len(value) > limit:
            raise ValidationError(_("Too long: at most {n} characters").format(n=limit), field=key)
