"""Problems found in an import file: each names file, line, column and value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Issue:
    """One problem in one cell (or header, ``line == 1``) of an import file.

    ``line`` is 1-based and counts the header, so the first data row is line 2
    (for a workbook sheet: the sheet's row number). ``line`` is ``None`` for problems of
    the whole file (e.g. it is missing or not UTF-8 at an unknown place).
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = f"{', '.join(where)}: {self.message}"
        if self.value is not None:
            text += f" (value: {self.value!r})"
        return text


class BundleError(ValueError):
    """A file of a bundle was refused; nothing of that file was stored.

    The one error of the exchange-format reader, raised by ``lantian import`` and by
    detection's reader alike (``lantian.rules.inputs.BundleError`` is this class).

    ``issues`` holds the problems found, earliest line first; ``str(error)`` shows the
    first one and how many more there are.
    """

    def __init__(self, issues: list[Issue] | str) -> None:
        if isinstance(issues, str):  # "FILE: message", as older callers raise it
            file, sep, message = issues.partition(": ")
            issues = [Issue(file, None, None, None, message if sep else issues)]
        if not issues:
            raise ValueError("BundleError needs at least one issue")
        self.issues = sorted(
            issues, key=lambda i: (i.line if i.line is not None else -1, i.column or "")
        )
        super().__init__(self._message())

    @property
    def first(self) -> Issue:
        """The earliest problem (the one to fix first)."""
        return self.issues[0]

    @property
    def file(self) -> str:
        """The refused file."""
        return self.first.file

    def _message(self) -> str:
        text = str(self.first)
        more = len(self.issues) - 1
        if more:
            text += f" [and {more} more problem(s) in other columns or checks]"
        return text
