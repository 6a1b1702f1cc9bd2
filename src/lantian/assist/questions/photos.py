"""Metadata stripping of question photos (no image library needed).

JPEG: every APP1-APP15 segment (EXIF with GPS position and camera serial, XMP, ICC,
maker notes) and every comment (COM) before the image data is dropped; APP0 (JFIF) and
the coding segments are kept, so the picture is unchanged. PNG: ancillary text, EXIF and
time chunks (``tEXt``, ``zTXt``, ``iTXt``, ``eXIf``, ``tIME``) are dropped. Anything that
does not parse is refused.

References
----------
.. [1] ITU-T T.81 (ISO/IEC 10918-1), JPEG, Annex B (marker segments).
.. [2] ISO/IEC 15948 (PNG), §5.3 chunk layout, §11.3 ancillary chunks; PNG 3rd ed. eXIf.
"""

from __future__ import annotations

import struct

from lantian.auth.errors import ValidationError

_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_PNG_DROP = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})


def strip_jpeg(data: bytes) -> bytes:
    """``data`` without APP1-APP15 and COM segments (everything else byte for byte)."""
    if not data.startswith(b"\xff\xd8"):
        raise ValidationError("不是有效的 JPEG 图片 (not a valid JPEG image)", field="photos")
    out = bytearray(b"\xff\xd8")
    i = 2
    n = len(data)
    while i < n:
        if data[i] != 0xFF:
            raise ValidationError("不是有效的 JPEG 图片 (not a valid JPEG image)", field="photos")
        marker = data[i + 1] if i + 1 < n else 0
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # EOI
            out += data[i : i + 2]
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            out += data[i : i + 2]
            i += 2
            continue
        if i + 4 > n:
            raise ValidationError("不是有效的 JPEG 图片 (not a valid JPEG image)", field="photos")
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        end = i + 2 + length
        if length < 2 or end > n:
            raise ValidationError("不是有效的 JPEG 图片 (not a valid JPEG image)", field="photos")
        if marker == 0xDA:  # SOS: the rest is entropy-coded data up to EOI
            out += data[i:]
            return bytes(out)
        if not (0xE1 <= marker <= 0xEF or marker == 0xFE):
            out += data[i:end]
        i = end
    return bytes(out)


def strip_png(data: bytes) -> bytes:
    """``data`` without text, EXIF and time chunks."""
    if not data.startswith(_PNG_SIG):
        raise ValidationError("不是有效的 PNG 图片 (not a valid PNG image)", field="photos")
    out = bytearray(_PNG_SIG)
    i = len(_PNG_SIG)
    n = len(data)
    while i + 8 <= n:
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > n:
            raise ValidationError("不是有效的 PNG 图片 (not a valid PNG image)", field="photos")
        if kind not in _PNG_DROP:
            out += data[i:end]
        i = end
        if kind == b"IEND":
            break
    return bytes(out)


def clean_image(data: bytes, ext: str) -> bytes:
    """The photo without metadata (``ext`` ``.jpg``/``.jpeg``/``.png``)."""
    if ext in (".jpg", ".jpeg"):
        return strip_jpeg(data)
    if ext == ".png":
        return strip_png(data)
    raise ValidationError(
        "照片须为 JPEG 或 PNG 图片 (photos must be JPEG or PNG images)", field="photos"
    )
