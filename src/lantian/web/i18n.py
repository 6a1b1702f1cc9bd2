"""Translations: Babel ``.po`` catalogs under ``lantian/web/locale``, compiled at load time.

Message ids are English; ``zh_CN`` is the default UI language. The language of a request
is chosen by ``?lang=``, then the ``lang`` cookie (set by the language switch), then the
``LANTIAN_LANGUAGE`` setting. The browser's ``Accept-Language`` is deliberately ignored:
headless browsers and many office PCs send ``en-US``, and the platform is for Chinese
agencies ("Chinese by default with an English switch").
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
"""Supported UI languages; the first is the default."""
LANGUAGE_NAMES: dict[str, str] = {"zh_CN": "中文", "en": "English"}


def normalize_language(value: str | None) -> str | None:
    """Map ``zh``, ``zh-CN``, ``zh_Hans``, ``en-US`` … to a supported language, else None."""
    if not value:
        return None
    v = value.strip().replace("-", "_").lower()
    if v.startswith("zh"):
        return "zh_CN"
    if v.startswith("en"):
        return "en"
    return None


def pick_language(query: str | None, cookie: str | None, default: str) -> str:
    """The UI language of a request: explicit choice (query, then cookie), else ``default``.

    ``Accept-Language`` is not consulted (see the module docstring).
    """
    for candidate in (query, cookie):
        lang = normalize_language(candidate)
        if lang:
            return lang
    return normalize_language(default) or LANGUAGES[0]


def po_path(language: str) -> Path:
    """Path of the ``messages.po`` catalog of ``language``."""
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=8)
def translations(language: str) -> gettext.NullTranslations:
    """gettext translations of ``language``, compiled from its ``.po`` file on first use."""
    path = po_path(language)
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def gettext_for(language: str, message: str) -> str:
    """Translate one message id into ``language``."""
    return translations(language).gettext(message)
