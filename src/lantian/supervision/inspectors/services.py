"""Writes to the inspector register: CSV import of 执法证号, each change audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import ActorLike, audit, snapshot
from lantian.auth.models import User
from lantian.supervision.inspectors.models import InspectorCertificate
from lantian.supervision.queries import INSPECTOR_ROLES
from lantian.timeutil import now_cst

CERT_NO_RE = re.compile(r"^[^\s,;]{4,32}$")
"""执法证号: 4-32 characters without spaces, commas or semicolons (formats differ by
province; some carry a province prefix in Chinese)."""
COLUMNS: tuple[str, ...] = ("username", "cert_no", "valid_until")


class InspectorImportError(ValueError):
    """A bad row of the inspector CSV; the message names the line, column and value."""


@dataclass(frozen=True)
class CertificateRow:
    """One parsed row: an officer's username, 执法证号 and optional expiry date."""

    line: int
    username: str
    cert_no: str
    valid_until: dt.date | None


def parse_inspector_csv(text: str, name: str = "FILE") -> list[CertificateRow]:
    """Parse ``username,cert_no[,valid_until]`` (UTF-8, header required, BOM allowed)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS[:2] if c not in header]
    if missing:
        raise InspectorImportError(f"{name}: line 1: missing column(s) {missing}")
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise InspectorImportError(f"{name}: line 1: unknown column(s) {unknown}")
    rows: list[CertificateRow] = []
    seen_user: dict[str, int] = {}
    seen_cert: dict[str, int] = {}
    for rec in reader:
        line = reader.line_num
        username = (rec.get("username") or "").strip()
        cert = (rec.get("cert_no") or "").strip()
        until_text = (rec.get("valid_until") or "").strip()
        if not username:
            raise InspectorImportError(f"{name}: line {line}: column username: empty")
        if not CERT_NO_RE.match(cert):
            raise InspectorImportError(
                f"{name}: line {line}: column cert_no: {cert!r} is not 4-32 characters "
                "without spaces, commas or semicolons"
            )
        until = None
        if until_text:
            try:
                until = dt.date.fromisoformat(until_text)
            except ValueError as exc:
                raise InspectorImportError(
                    f"{name}: line {line}: column valid_until: {until_text!r} is not YYYY-MM-DD"
                ) from exc
        if username in seen_user:
            raise InspectorImportError(
                f"{name}: line {line}: column username: {username!r} repeats line "
                f"{seen_user[username]}"
            )
        if cert in seen_cert:
            raise InspectorImportError(
                f"{name}: line {line}: column cert_no: {cert!r} repeats line {seen_cert[cert]}"
            )
        seen_user[username], seen_cert[cert] = line, line
        rows.append(CertificateRow(line, username, cert, until))
    return rows


def import_certificates(
    session: Session, actor: ActorLike | None, rows: list[CertificateRow], name: str = "FILE"
) -> int:
    """Set each officer's 执法证号 (created or replaced), audited; all rows or none.

    Raises
    ------
    InspectorImportError
        An unknown username, a user who is not an officer, or a certificate number held
        by another officer (named by line); the caller rolls the transaction back.
    """
    users = {
        u.username: u
        for u in session.scalars(select(User).where(User.username.in_([r.username for r in rows])))
    }
    changed = 0
    for r in rows:
        user = users.get(r.username)
        if user is None:
            raise InspectorImportError(
                f"{name}: line {r.line}: column username: no user {r.username!r}"
            )
        if user.role not in INSPECTOR_ROLES:
            raise InspectorImportError(
                f"{name}: line {r.line}: column username: {r.username!r} has role "
                f"{user.role}, not an inspector role ({', '.join(INSPECTOR_ROLES)})"
            )
        holder = session.scalar(
            select(InspectorCertificate).where(InspectorCertificate.cert_no == r.cert_no)
        )
        if holder is not None and holder.user_id != user.user_id:
            raise InspectorImportError(
                f"{name}: line {r.line}: column cert_no: {r.cert_no!r} belongs to another officer"
            )
        cert = session.get(InspectorCertificate, user.user_id)
        before = snapshot(cert) if cert is not None else None
        if cert is None:
            cert = InspectorCertificate(user_id=user.user_id)
            session.add(cert)
        elif cert.cert_no == r.cert_no and cert.valid_until == r.valid_until:
            continue
        cert.cert_no = r.cert_no
        cert.valid_until = r.valid_until
        cert.updated_at = now_cst()
        session.flush()
        audit(
            session,
            actor,
            "set_inspector_certificate",
            "user",
            user.user_id,
            before=before,
            after=snapshot(cert),
            note=f"执法证号 of {user.username}",
        )
        changed += 1
    return changed
