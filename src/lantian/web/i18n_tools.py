"""Maintain the translation catalogs: ``python -m lantian.web.i18n_tools update``.

Extracts every message id from the web package (Python: ``_``, ``N_``, ``gettext``,
``ngettext``; Jinja2 templates: ``_``, ``gettext``, ``ngettext``) and merges them into
``locale/<lang>/LC_MESSAGES/messages.po``, keeping existing translations. Catalogs are
compiled when loaded (:func:`lantian.web.i18n.translations`), so no ``.mo`` is committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from lantian.web.i18n import LANGUAGES, po_path

PACKAGE_DIR = Path(__file__).parent
KEYWORDS: dict[str, object] = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
}
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def extract() -> Catalog:
    """A catalog of every message id used by the web package."""
    catalog = Catalog(project="lantian", charset="utf-8")
    for filename, lineno, message, comments, _context in extract_from_dir(
        str(PACKAGE_DIR),
        method_map=METHOD_MAP,
        options_map=OPTIONS,
        keywords=KEYWORDS,  # type: ignore[arg-type]
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        if not message or (isinstance(message, tuple) and not message[0]):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments)
    return catalog


def update() -> dict[str, int]:
    """Merge the extracted ids into every language's catalog; return untranslated counts."""
    template = extract()
    missing: dict[str, int] = {}
    for lang in LANGUAGES:
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            catalog = Catalog(locale=lang, project="lantian", charset="utf-8")
            catalog.update(template)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True)
        missing[lang] = sum(1 for m in catalog if m.id and not m.string)
    return missing


if __name__ == "__main__":  # pragma: no cover - maintenance command
    if sys.argv[1:] != ["update"]:
        sys.exit("usage: python -m lantian.web.i18n_tools update")
    for lang, n in update().items():
        sys.stdout.write(f"{lang}: {n} untranslated\n")
