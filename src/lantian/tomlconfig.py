"""One loader for configuration shipped as TOML in a package and replaceable by a setting.

Used by the scoring terms (``LANTIAN_SCORING_CONFIG``), the survey form
(``LANTIAN_SURVEY_FORM``) and the disclosure rules (``LANTIAN_DISCLOSURE_CONFIG``): the
file is parsed and validated once and again only when it changes (its modification time
is part of the cache key), and every error names the setting and the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

T = TypeVar("T")


def load_toml_config(
    path: Path | None,
    *,
    package: str,
    resource: str,
    setting: str,
    error: type[Exception],
    parse: Callable[[dict[str, Any]], T],
) -> T:
    """``parse`` of the TOML file at ``path``, or of ``resource`` shipped in ``package``.

    Raises
    ------
    error
        The file cannot be read, is not TOML, or ``parse`` refuses it (``parse`` raises
        ``error``); the message starts with ``SETTING=path:``.
    """
    mtime = path.stat().st_mtime if path is not None and path.exists() else 0.0
    return cast(T, _load(path, mtime, package, resource, setting, cast(Any, error), parse))


@lru_cache(maxsize=32)
def _load(
    path: Path | None,
    mtime: float,
    package: str,
    resource: str,
    setting: str,
    error: type[Exception],
    parse: Callable[[dict[str, Any]], Any],
) -> Any:
    del mtime  # part of the cache key only: a changed file is read again
    if path is None:
        text = resources.files(package).joinpath(resource).read_text("utf-8")
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise error(f"{setting}={path}: {exc}") from exc
    try:
        return parse(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, error) as exc:
        raise error(f"{setting}={path or 'default'}: {exc}") from exc
