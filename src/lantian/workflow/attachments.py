"""Files of a case: attaching outside a transition and reading one back (in scope)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from lantian.auth.errors import (
    InvalidTransition,
    NotFound,
    ValidationError,
)
from lantian.auth.models import User
from lantian.auth.visibility import load_visible
from lantian.workflow.core import (
    _event,
    _store_files,
    _uploads_root,
    load_case,
)
from lantian.workflow.files import UploadedFile
from lantian.workflow.models import (
    Attachment,
)


def add_attachments(
    session: Session,
    user: User,
    case_id: int,
    files: Sequence[UploadedFile],
    *,
    kind: str = "other",
    uploads_dir: Path | None = None,
) -> list[Attachment]:
    """Attach files to a case outside a transition (officers, or the case's enterprise)."""
    case = load_case(session, user, case_id)
    if case.status in ("closed", "false_positive") and user.role == "enterprise":
        raise InvalidTransition("the case is closed")
    if not files:
        raise ValidationError("no files", field="files")
    atts = _store_files(session, user, case, files, kind, uploads_dir=uploads_dir)
    _event(session, user, case, "upload", data={"attachments": [a.attachment_id for a in atts]})
    return atts


def get_attachment(
    session: Session, user: User, attachment_id: int, *, uploads_dir: Path | None = None
) -> tuple[Attachment, Path]:
    """An attachment in ``user``'s scope and the path of its stored file."""
    att: Attachment = load_visible(session, user, "attachment", attachment_id)
    path = _uploads_root(uploads_dir) / att.stored_path
    if not path.is_file():
        raise NotFound(f"attachment {attachment_id}: file missing")
    return att, path
