"""Locate a CJK font for PDFs (Noto Sans CJK SC from Debian's ``fonts-noto-cjk``).

fpdf2 embeds a subset of the font; the ``.ttc`` collection holds JP, KR, SC, TC and HK
faces, of which face 2 is Simplified Chinese (glyph shapes of GB 18030 / 通用规范汉字表).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class FontFace:
    """One face of a font file (``index`` is the face in a .ttc collection)."""

    path: Path
    index: int = 0


class FontNotFound(RuntimeError):
    """No CJK font is installed."""


_NOTO_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto-cjk"),
)
_SC_INDEX = 2
"""Face index of "Noto Sans CJK SC" in NotoSansCJK-*.ttc."""


def _fc_match(family: str) -> FontFace | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}|%{family}", family],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split("|")
    if len(parts) < 3 or ("CJK" not in parts[2] and "WenQuanYi" not in parts[2]):
        return None
    path = Path(parts[0])
    return FontFace(path, int(parts[1] or 0)) if path.is_file() else None


@lru_cache(maxsize=2)
def find_cjk_font(bold: bool = False) -> FontFace:
    """The Simplified Chinese font face to embed (regular or bold).

    Raises
    ------
    FontNotFound
        When no CJK font is installed (install ``fonts-noto-cjk``: scripts/setup-system.sh).
    """
    name = "NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc"
    for d in _NOTO_DIRS:
        if (d / name).is_file():
            return FontFace(d / name, _SC_INDEX)
    if bold:
        return find_cjk_font(False)
    found = _fc_match("Noto Sans CJK SC") or _fc_match("WenQuanYi Micro Hei")
    if found is not None:
        return found
    raise FontNotFound(
        "no Chinese font found: install fonts-noto-cjk (bash scripts/setup-system.sh)"
    )
