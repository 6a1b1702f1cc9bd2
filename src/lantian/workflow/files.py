"""Stored files (photos, rectification evidence) under ``settings.uploads_dir``.

A file is written when its :class:`~lantian.workflow.models.Attachment` row is added; if
the transaction then rolls back, the file is deleted again (nothing stored half-way).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""Largest accepted upload [bytes]."""
ALLOWED_EXTENSIONS: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".mp4": "video/mp4",
}
_IMAGE_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".pdf": (b"%PDF",),
}
_NEW_FILES_KEY = "lantian_new_files"


@dataclass(frozen=True)
class UploadedFile:
    """A file received from a form or API call."""

    filename: str
    data: bytes
    content_type: str | None = None


def safe_filename(name: str) -> str:
    """The base name of ``name`` with path separators and control characters removed."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[\x00-\x1f<>:\"|?*]", "_", base).strip(" .")
    return base[:200] or "file"


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """Validate size, extension and (for images/PDF) magic bytes; return (ext, content type).

    Raises
    ------
    lantian.auth.errors.ValidationError
        Empty or too large file, or an extension not in :data:`ALLOWED_EXTENSIONS`.
    """
    from lantian.auth.errors import ValidationError

    ext = Path(safe_filename(upload.filename)).suffix.lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            f"不支持的文件类型 {ext or '(none)'} "
            f"(allowed: {', '.join(sorted(ALLOWED_EXTENSIONS))})",
            field="files",
        )
    if not upload.data:
        raise ValidationError(f"文件为空: {upload.filename}", field="files")
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"文件过大: {upload.filename} (> {MAX_UPLOAD_BYTES // (1024 * 1024)} MB)", field="files"
        )
    magic = _IMAGE_MAGIC.get(ext)
    if magic and not upload.data.startswith(magic):
        raise ValidationError(f"文件内容与扩展名不符: {upload.filename}", field="files")
    return ext, ALLOWED_EXTENSIONS[ext]


def store_bytes(
    session: Session, root: Path, case_id: int, ext: str, data: bytes
) -> tuple[str, str]:
    """Write ``data`` under ``root/cases/<case_id>/``; return (relative path, sha256 hex)."""
    digest = hashlib.sha256(data).hexdigest()
    rel = Path("cases") / str(case_id) / f"{uuid.uuid4().hex}{ext}"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    session.info.setdefault(_NEW_FILES_KEY, []).append(path)
    return rel.as_posix(), digest


@event.listens_for(Session, "after_commit")
def _forget_files(session: Session) -> None:
    session.info.pop(_NEW_FILES_KEY, None)


@event.listens_for(Session, "after_rollback")
def _remove_files(session: Session) -> None:
    for path in session.info.pop(_NEW_FILES_KEY, []):
        Path(path).unlink(missing_ok=True)
