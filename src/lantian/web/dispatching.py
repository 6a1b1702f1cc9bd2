"""Template values of 调度督办 on the case page: the case's escalation tasks, its 约谈 /
通报, the labels of their codes and whether the user may record one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lantian.auth.models import OFFICER_ROLES, User
from lantian.vocab import cases as cases_vocab
from lantian.vocab import dispatching
from lantian.web.labels import VocabLabels
from lantian.workflow.meetings import list_meetings
from lantian.workflow.models import Case
from lantian.workflow.tasks import list_tasks

TASK_STATE_LABELS: VocabLabels = VocabLabels(dispatching.TASK_STATES)
MEETING_KIND_LABELS: VocabLabels = VocabLabels(dispatching.MEETING_KINDS)
ESCALATION_LABELS: VocabLabels = VocabLabels(cases_vocab.ESCALATION)


def labels_context() -> dict[str, Any]:
    """The label tables the task and meeting templates use."""
    return {
        "task_state_labels": TASK_STATE_LABELS,
        "meeting_kind_labels": MEETING_KIND_LABELS,
        "escalation_labels": ESCALATION_LABELS,
        "meeting_kinds": dispatching.MEETING_KINDS.codes(),
    }


def dispatching_context(session: Session, user: User, case: Case) -> dict[str, Any]:
    """Tasks and meetings of ``case`` as ``user`` sees them, and the form switch."""
    officer = user.role in OFFICER_ROLES
    return {
        **labels_context(),
        "case_tasks": list_tasks(session, user, case_id=case.case_id) if officer else [],
        "case_meetings": list_meetings(session, user, case.case_id),
        "can_record_meeting": officer and case.status not in ("false_positive",),
    }
