"""Safe spreadsheet cells: text is never a formula, and never an illegal XML character.

Every exported workbook writes its values through :func:`set_cell`:

- a text value beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (the
  characters spreadsheet programs read as the start of a formula) is stored as a *string*
  cell with Excel's quote prefix (``quotePrefix``): it shows and stays as typed, is never
  evaluated, and is not turned into a formula when the cell is edited;
- characters XML 1.0 forbids (C0 controls other than tab, LF, CR; e.g. a NUL byte in an
  imported enterprise name) are removed, instead of making openpyxl raise and the whole
  export answer 500.

References
----------
.. [1] OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection):
       fields beginning with ``=``, ``+``, ``-``, ``@``, tab (0x09) or carriage return
       (0x0D) must be neutralised.
.. [2] W3C, Extensible Markup Language (XML) 1.0, section 2.2 Characters (the ``Char``
       production).
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet program read text as a formula."""
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(value: str) -> str:
    """``value`` without characters XML 1.0 does not allow."""
    return _ILLEGAL_XML.sub("", value)


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet program would take as a formula (OWASP rule)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def set_cell(cell: Any, value: Any) -> Any:
    """Write ``value`` to the openpyxl ``cell`` safely; return the cell."""
    if isinstance(value, str):
        value = clean_text(value)
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"  # openpyxl made it a formula ("f")
        cell.quotePrefix = True
    return cell


def neutralize_row(cells: Any) -> None:
    """Make the text cells of an appended row safe in place (after ``ws.append``)."""
    for cell in cells:
        if is_formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def safe_values(values: Any) -> list[Any]:
    """``values`` with illegal XML characters removed from text (before ``ws.append``)."""
    return [clean_text(v) if isinstance(v, str) else v for v in values]
