"""隐患提示函 services: items validated (table-driven), and one stored journey on SQLite and
PostgreSQL: issue (numbered, deadline in working days), reply with a photo, overdue list,
close, escalate to a case through the workflow's case creation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.supervision.hazards.conftest import W

from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog
from lantian.supervision.hazards import services as hs
from lantian.supervision.hazards.models import HazardItem, HazardNotice, HazardReplyFile
from lantian.supervision.hazards.queries import (
    HazardFilters,
    get_hazard_notice,
    list_hazard_notices,
)
from lantian.timeutil import to_cst
from lantian.workflow.files import UploadedFile
from lantian.workflow.models import Case, CaseLead

ITEM = {"problem": "原料堆场未苫盖", "basis": "大气污染防治法第七十二条", "measure": "全面苫盖"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        ([{"problem": "", "basis": "", "measure": ""}], "items"),
        ([{**ITEM, "basis": ""}], "items[1].basis"),
        ([ITEM, {**ITEM, "measure": "  "}], "items[2].measure"),
        ([{**ITEM, "problem": "x" * 2001}], "items[1].problem"),
        ([ITEM] * (hs.MAX_ITEMS + 1), "items"),
    ],
)
def test_bad_items_name_the_field(items: list[dict[str, str]], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        hs.parse_items(items)
    assert exc.value.field == field


def test_blank_rows_are_skipped_and_the_body_numbers_the_items() -> None:
    items = hs.parse_items([ITEM, {"problem": "", "basis": "", "measure": ""}, ITEM])
    assert len(items) == 2
    body = hs.compose_body(items)
    assert "1. 原料堆场未苫盖" in body and "2. 原料堆场未苫盖" in body


def _count(s: Any, model: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(model)))


def test_issue_reply_close_and_escalate(world: Any, tmp_path: Path) -> None:
    s = world.session
    # bad input stores nothing
    with pytest.raises(ValidationError):
        hs.issue_hazard_notice(s, world.admin, "EA", title="料场", items=[{**ITEM, "basis": ""}])
    with pytest.raises(PermissionDenied):
        hs.issue_hazard_notice(s, world.ent_a, "EA", title="料场", items=[ITEM])
    with pytest.raises(NotFound):  # another city's officer does not see EA
        hs.issue_hazard_notice(s, world.city_b, "EA", title="料场", items=[ITEM])
    other_lead = W.new_lead(s, "EB")
    with pytest.raises(ValidationError) as exc:
        hs.issue_hazard_notice(
            s, world.admin, "EA", title="料场", items=[ITEM], lead_id=other_lead.lead_id
        )
    assert exc.value.field == "lead_id"
    assert _count(s, HazardNotice) == 0

    lead = W.new_lead(s, "EA")
    h = hs.issue_hazard_notice(
        s, world.district_a1, "EA", title="料场扬尘隐患", items=[ITEM, ITEM], lead_id=lead.lead_id
    )
    d = get_hazard_notice(s, world.ent_a, h.notice_id)
    assert d.number.startswith("提示〔") and d.number.endswith("号")
    assert [i.seq for i in d.items] == [1, 2]
    issued = to_cst(d.notice.issued_at)
    due = to_cst(h.reply_due)
    assert due.weekday() < 5 and (due.hour, due.minute) == (23, 59)
    assert 14 <= (due.date() - issued.date()).days <= 16  # 10 working days
    with pytest.raises(NotFound):
        get_hazard_notice(s, world.ent_b, h.notice_id)

    # overdue: no reply after the deadline
    h.reply_due = issued - timedelta(days=1)
    s.flush()
    rows = list_hazard_notices(s, world.admin, HazardFilters(overdue=True))
    assert [r.hazard.notice_id for r in rows] == [h.notice_id] and rows[0].overdue
    assert list_hazard_notices(s, world.city_b, HazardFilters(overdue=True)) == []

    # the reply: the enterprise only, files checked before anything is stored
    with pytest.raises(PermissionDenied):
        hs.reply(s, world.admin, h.notice_id, "已整改完毕", uploads_dir=tmp_path)
    with pytest.raises(ValidationError):
        hs.reply(
            s,
            world.ent_a,
            h.notice_id,
            "已整改完毕",
            [UploadedFile("a.png", b"not a png")],
            uploads_dir=tmp_path,
        )
    assert _count(s, HazardReplyFile) == 0 and h.status == "issued"
    hs.reply(
        s, world.ent_a, h.notice_id, "已全部苫盖，见照片", [UploadedFile("苫盖.png", PNG)],
        uploads_dir=tmp_path,
    )  # fmt: skip
    assert h.status == "replied" and _count(s, HazardReplyFile) == 1
    assert list_hazard_notices(s, world.admin, HazardFilters(overdue=True)) == []
    f, path = hs.reply_file(
        s, world.admin, get_hazard_notice(s, world.admin, h.notice_id).files[0].file_id,
        uploads_dir=tmp_path,
    )  # fmt: skip
    assert path.read_bytes() == PNG and f.filename == "苫盖.png"

    # escalate: a case of the notice's lead through the workflow's case creation
    with pytest.raises(ValidationError):
        hs.escalate(s, world.admin, h.notice_id, "  ")
    case = hs.escalate(s, world.district_a1, h.notice_id, "逾期未整改到位")
    assert h.status == "escalated" and h.escalated_case_id == case.case_id
    assert s.scalar(select(CaseLead.lead_id).where(CaseLead.case_id == case.case_id)) == (
        lead.lead_id
    )
    assert case.status == "new" and case.enterprise_id == "EA" and "提示〔" in case.title
    with pytest.raises(InvalidTransition):
        hs.close(s, world.admin, h.notice_id, "重复办结")
    with pytest.raises(InvalidTransition):
        hs.reply(s, world.ent_a, h.notice_id, "再次回复内容", uploads_dir=tmp_path)

    # a notice without a lead: escalation records a lead for it (family required)
    h2 = hs.issue_hazard_notice(s, world.admin, "EA", title="治污设施隐患", items=[ITEM])
    with pytest.raises(ValidationError) as exc:
        hs.escalate(s, world.admin, h2.notice_id, "隐患未消除")
    assert exc.value.field == "family"
    case2 = hs.escalate(s, world.admin, h2.notice_id, "隐患未消除", family="TREATMENT_LOW")
    lead2 = s.scalar(select(CaseLead.lead_id).where(CaseLead.case_id == case2.case_id))
    assert lead2 == f"HZD-{h2.notice_id}"
    assert s.get(Case, case2.case_id).family == "TREATMENT_LOW"  # type: ignore[union-attr]

    # close with a note
    h3 = hs.issue_hazard_notice(s, world.admin, "EA", title="台账隐患", items=[ITEM])
    with pytest.raises(ValidationError):
        hs.close(s, world.admin, h3.notice_id, "")
    hs.close(s, world.admin, h3.notice_id, "企业已提交整改照片，隐患消除")
    assert h3.status == "closed" and h3.followup_note
    assert _count(s, HazardItem) == 4
    actions = set(s.scalars(select(AuditLog.action)))
    assert {
        "issue_hazard_notice",
        "reply_hazard_notice",
        "escalate_hazard_notice",
        "close_hazard_notice",
        "record_hazard_lead",
    } <= actions
