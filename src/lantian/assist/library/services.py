"""Stored, audited library writes: typical cases (entered by officers, or drafted from a
closed case through :func:`lantian.assist.library.anonymise.anonymise`) and policy
documents. Officers only; a typical case that still names anyone is refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.assist.library.anonymise import anonymise, leaks
from lantian.assist.library.models import PolicyDocument, TypicalCase
from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import InvalidTransition, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.registry.models import Enterprise
from lantian.timeutil import now_cst
from lantian.vocab import families as families_vocab
from lantian.vocab import registry as registry_vocab
from lantian.workflow.core import load_case
from lantian.workflow.models import Case, CheckRecord


def _officer(user: User) -> None:
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以执行此操作 (officers only)")


@dataclass(frozen=True)
class CaseDraft:
    """A typical case drafted from a closed case, already anonymised, for the officer to
    edit before saving; ``enterprises`` and ``people`` are what was removed."""

    source_case_id: int
    title: str
    industry: str | None
    family: str | None
    facts: str
    handling: str
    enterprises: tuple[str, ...]
    people: tuple[str, ...]


def _identifiers(session: Session, case: Case) -> tuple[list[str], list[str]]:
    ents: list[str] = []
    if case.enterprise_id:
        e = session.get(Enterprise, case.enterprise_id)
        if e is not None:
            ents.append(e.name)
    people: set[str] = set()
    for uid in (case.created_by, case.assignee_id, case.dispatched_by, case.closed_by):
        if uid is not None:
            u = session.get(User, uid)
            if u is not None:
                people.add(u.display_name)
    if case.enterprise_id:
        people |= {
            u.display_name
            for u in session.scalars(select(User).where(User.enterprise_id == case.enterprise_id))
        }
    for rec in session.scalars(select(CheckRecord).where(CheckRecord.case_id == case.case_id)):
        u = session.get(User, rec.checked_by)
        if u is not None:
            people.add(u.display_name)
        if rec.representative_name:
            people.add(rec.representative_name)
        for ins in rec.inspectors or []:
            if isinstance(ins, dict) and ins.get("name"):
                people.add(str(ins["name"]))
    return ents, sorted(people)


def draft_from_case(session: Session, user: User, case_id: int) -> CaseDraft:
    """An anonymised draft of a closed case the officer sees."""
    _officer(user)
    case = load_case(session, user, case_id)
    if case.status != "closed":
        raise InvalidTransition("只有已办结的案件可以编入典型案例 (closed cases only)")
    ents, people = _identifiers(session, case)
    e = session.get(Enterprise, case.enterprise_id) if case.enterprise_id else None
    industry = e.industry if e is not None else None
    fam = families_vocab.FAMILIES.name(case.family)
    ind = registry_vocab.INDUSTRIES.name(industry) if industry else "某行业"
    facts = anonymise(f"{case.title}。{case.finding or ''}", ents, people)
    handling = anonymise(
        "问题经核查属实，已责令整改并复核办结。"
        + (f"整改方式：{case.fix_path}。" if case.fix_path else ""),
        ents,
        people,
    )
    return CaseDraft(
        case.case_id,
        f"{ind}企业{fam}典型案例",
        industry,
        case.family,
        facts,
        handling,
        tuple(ents),
        tuple(people),
    )


def save_case(
    session: Session,
    user: User,
    *,
    title: str,
    facts: str,
    industry: str | None = None,
    family: str | None = None,
    handling: str | None = None,
    lesson: str | None = None,
    basis: str | None = None,
    source_case_id: int | None = None,
) -> TypicalCase:
    """Store a typical case (officer). The text must not name any registered enterprise
    nor contain codes, identity or phone numbers, and, from a closed case, the people
    :func:`draft_from_case` removes (else refused, nothing stored)."""
    _officer(user)
    title, facts = title.strip(), facts.strip()
    if not 2 <= len(title) <= 200:
        raise ValidationError("title: 2 to 200 characters", field="title")
    if len(facts) < 10:
        raise ValidationError("facts: at least 10 characters", field="facts")
    if industry and industry not in registry_vocab.INDUSTRIES:
        raise ValidationError(f"industry: unknown industry {industry!r}", field="industry")
    if family and family not in families_vocab.FAMILIES:
        raise ValidationError(f"family: unknown problem type {family!r}", field="family")
    texts = " ".join(x for x in (title, facts, handling, lesson, basis) if x)
    if source_case_id is not None:
        case = load_case(session, user, source_case_id)
        if case.status != "closed":
            raise InvalidTransition("只有已办结的案件可以编入典型案例 (closed cases only)")
        ents, people = _identifiers(session, case)
    else:
        ents, people = [], []
    ents += [n for n in session.scalars(select(Enterprise.name)) if n not in ents]
    found = leaks(texts, ents, people)
    if found:
        raise ValidationError(
            f"facts: 仍含可识别信息（{found[0]}），请先匿名化 (identifying text left)",
            field="facts",
        )
    row = TypicalCase(
        title=title,
        industry=industry or None,
        family=family or None,
        facts=facts,
        handling=(handling or "").strip() or None,
        lesson=(lesson or "").strip() or None,
        basis=(basis or "").strip() or None,
        source_case_id=source_case_id,
        created_by=user.user_id,
        created_at=now_cst(),
    )
    session.add(row)
    session.flush()
    audit(session, user, "save_typical_case", "typical_case", row.entry_id, after=snapshot(row))
    return row


def save_policy(
    session: Session,
    user: User,
    *,
    title: str,
    issuer: str,
    body: str,
    doc_number: str | None = None,
    tags: list[str] | None = None,
    effective_from: dt.date | None = None,
    effective_to: dt.date | None = None,
    summary: str | None = None,
) -> PolicyDocument:
    """Store a policy document of the handbook (officer)."""
    _officer(user)
    title, issuer, body = title.strip(), issuer.strip(), body.strip()
    if not 2 <= len(title) <= 300:
        raise ValidationError("title: 2 to 300 characters", field="title")
    if not issuer:
        raise ValidationError("issuer: required", field="issuer")
    if len(body) < 10:
        raise ValidationError("body: at least 10 characters", field="body")
    if effective_from and effective_to and effective_to < effective_from:
        raise ValidationError("effective_to: before effective_from", field="effective_to")
    clean = [t.strip() for t in (tags or []) if t.strip()]
    if any("," in t for t in clean):
        raise ValidationError("tags: a tag cannot contain a comma", field="tags")
    row = PolicyDocument(
        title=title,
        issuer=issuer,
        doc_number=(doc_number or "").strip() or None,
        tags=",".join(dict.fromkeys(clean)),
        effective_from=effective_from,
        effective_to=effective_to,
        summary=(summary or "").strip() or None,
        body=body,
        created_by=user.user_id,
        created_at=now_cst(),
    )
    if len(row.tags) > 400:
        raise ValidationError("tags: too long (400 characters)", field="tags")
    session.add(row)
    session.flush()
    audit(session, user, "save_policy", "policy_document", row.policy_id, after=snapshot(row))
    return row
