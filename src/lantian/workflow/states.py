"""The case lifecycle, declared as data: states, transitions, who may fire each, required fields.

闭环 (closed loop): 新线索 → 已交办 → 核查中 → 误报 | 问题属实 → 立行立改 | 督办 → 整改 →
复核 → 销号. Every service function that changes a case's status looks its transition up
here (:func:`transition_for`) and fails with
:class:`~lantian.auth.errors.InvalidTransition` or
:class:`~lantian.auth.errors.PermissionDenied` otherwise. Tests check that every state is
reachable from ``new`` and that every transition is audited.

References
----------
.. [1] 生态环境部, 重点区域大气污染防治强化监督 (2018-2019): electronic 督办单 pushed to
       cities, problems tracked until close-out (交办 → 整改 → 复核 → 销号).
.. [2] 环办执法〔2021〕10号, 监督执法正面清单 made routine: non-site (remote) checks first,
       on-site checks only when necessary (无事不扰).
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEM_ROLE = "system"
"""Pseudo-role of scheduled jobs (overdue escalation, recurrence detection)."""


@dataclass(frozen=True)
class State:
    """One case status: code, labels and a colour for badges (NetBox ``ChoiceSet`` style)."""

    code: str
    label_zh: str
    label_en: str
    color: str
    terminal: bool = False


@dataclass(frozen=True)
class Transition:
    """One allowed status change.

    ``action`` is the name used in the audit log and events; ``roles`` may fire it;
    ``required`` lists the fields the caller must supply (non-empty).
    """

    action: str
    source: str
    target: str
    roles: frozenset[str]
    required: tuple[str, ...]
    label_zh: str
    label_en: str


STATES: tuple[State, ...] = (
    State("new", "新线索", "New lead", "gray"),
    State("dispatched", "已交办", "Dispatched", "blue"),
    State("checking", "核查中", "Checking", "indigo"),
    State("false_positive", "误报", "False positive", "gray", terminal=True),
    State("confirmed", "问题属实", "Confirmed", "red"),
    State("immediate_fix", "立行立改", "Immediate fix", "orange"),
    State("supervision_order", "督办", "Supervision order", "purple"),
    State("rectification", "整改中", "Rectification", "yellow"),
    State("review", "复核中", "Review", "teal"),
    State("closed", "已销号", "Closed", "green", terminal=True),
)
STATE_CODES: tuple[str, ...] = tuple(s.code for s in STATES)
STATE_BY_CODE: dict[str, State] = {s.code: s for s in STATES}
OPEN_STATES: tuple[str, ...] = tuple(s.code for s in STATES if not s.terminal)

_ADMIN_WG = frozenset({"admin", "work_group"})
_DISPATCHERS = _ADMIN_WG | {"city_officer"}
_OFFICERS = _DISPATCHERS | {"district_officer"}
_OFFICERS_ENTERPRISE = _OFFICERS | {"enterprise"}

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "dispatch",
        "new",
        "dispatched",
        _DISPATCHERS,
        ("assignee_id", "deadline"),
        "交办",
        "Dispatch",
    ),
    Transition(
        "start_check", "dispatched", "checking", _OFFICERS, ("mode",), "开始核查", "Start check"
    ),
    Transition(
        "judge_false_positive",
        "checking",
        "false_positive",
        _OFFICERS,
        ("reason",),
        "认定误报",
        "Judge false positive",
    ),
    Transition(
        "judge_confirmed",
        "checking",
        "confirmed",
        _OFFICERS,
        ("finding",),
        "认定问题属实",
        "Judge confirmed",
    ),
    Transition(
        "choose_immediate_fix",
        "confirmed",
        "immediate_fix",
        _OFFICERS,
        (),
        "立行立改",
        "Immediate fix",
    ),
    Transition(
        "issue_supervision_order",
        "confirmed",
        "supervision_order",
        _DISPATCHERS,
        ("rectify_deadline",),
        "下达督办",
        "Issue supervision order",
    ),
    Transition(
        "start_rectification",
        "supervision_order",
        "rectification",
        _OFFICERS_ENTERPRISE,
        (),
        "签收并开始整改",
        "Start rectification",
    ),
    Transition(
        "submit_rectification",
        "rectification",
        "review",
        _OFFICERS_ENTERPRISE,
        ("text",),
        "提交整改材料",
        "Submit rectification",
    ),
    Transition(
        "submit_rectification",
        "immediate_fix",
        "review",
        _OFFICERS_ENTERPRISE,
        ("text",),
        "提交整改材料",
        "Submit rectification",
    ),
    Transition(
        "close_immediate_fix",
        "immediate_fix",
        "closed",
        _OFFICERS,
        ("comment",),
        "现场确认整改并销号",
        "Accept on-site fix and close",
    ),
    Transition(
        "review_accept",
        "review",
        "closed",
        _OFFICERS,
        ("comment",),
        "复核通过并销号",
        "Accept and close",
    ),
    Transition(
        "review_reject",
        "review",
        "rectification",
        _OFFICERS,
        ("comment",),
        "复核不通过，退回整改",
        "Reject, back to rectification",
    ),
    Transition(
        "convert_to_supervision",
        "immediate_fix",
        "supervision_order",
        _DISPATCHERS | {SYSTEM_ROLE},
        ("reason",),
        "立行立改逾期，转为督办",
        "Overdue immediate fix becomes a supervision order",
    ),
    Transition(
        "reopen",
        "closed",
        "dispatched",
        _OFFICERS | {SYSTEM_ROLE},
        ("reason",),
        "重新打开",
        "Reopen",
    ),
)

REASSIGN_STATES: tuple[str, ...] = ("dispatched", "checking")
"""States in which a case may be given to another officer (改派; status unchanged)."""
REASSIGN_ROLES: frozenset[str] = _DISPATCHERS
"""Roles that may reassign."""

ESCALATE_ACTION = "escalate"
"""Audit action of an overdue escalation (status unchanged, level raised)."""

DEADLINE_STATES: dict[str, str] = {
    "dispatched": "deadline",
    "checking": "deadline",
    "immediate_fix": "rectify_deadline",
    "supervision_order": "rectify_deadline",
    "rectification": "rectify_deadline",
}
"""Open states in which a deadline runs, and which ``Case`` column holds it (a 立行立改's
deadline, ``settings.immediate_fix_working_days`` working days, is in ``rectify_deadline``
too)."""

CONVERT_ACTION = "convert_to_supervision"
"""Action of a 立行立改 that became 督办 (overdue: a declared transition; rejected at
review: recorded on the case in 整改中, status unchanged)."""

ESCALATION_LEVELS: tuple[tuple[int, str, str], ...] = (
    (0, "逾期", "overdue"),
    (7, "逾期7日以上，提级督办", "overdue >7 days, escalated"),
    (30, "逾期30日以上，通报约谈", "overdue >30 days, public notice"),
)
"""(days overdue at least, zh label, en label) for escalation levels 1, 2, 3."""


ASSIGNEE_ACTIONS: frozenset[str] = frozenset(
    {
        "start_check",
        "judge_false_positive",
        "judge_confirmed",
        "choose_immediate_fix",
        "close_immediate_fix",
        "review_accept",
        "review_reject",
    }
)
"""The assignee's steps (核查, 认定, 现场确认/复核, 销号): fired by the case's assignee or a
supervising role only, not by any other officer who can see the case."""
SUPERVISOR_ROLES: frozenset[str] = _DISPATCHERS
"""Roles that supervise an assignee (those who dispatch and reassign: admin, work group,
city officer); they may take over any of the assignee's steps."""


def may_fire(t: Transition, role: str, user_id: int | None, assignee_id: int | None) -> bool:
    """Whether a user (``role``, ``user_id``) may fire ``t`` on a case assigned to
    ``assignee_id``: the role must be allowed, and the assignee's steps
    (:data:`ASSIGNEE_ACTIONS`) need the assignee or a :data:`SUPERVISOR_ROLES` role."""
    if role not in t.roles:
        return False
    if t.action in ASSIGNEE_ACTIONS and role not in SUPERVISOR_ROLES:
        return user_id is not None and user_id == assignee_id
    return True


def transition_for(source: str, action: str) -> Transition | None:
    """The declared transition fired by ``action`` from status ``source``, if any."""
    for t in TRANSITIONS:
        if t.source == source and t.action == action:
            return t
    return None


def actions_from(source: str, role: str | None = None) -> list[Transition]:
    """Transitions that may be fired from ``source`` (by ``role`` when given)."""
    return [t for t in TRANSITIONS if t.source == source and (role is None or role in t.roles)]


def reachable_states(start: str = "new") -> set[str]:
    """Every state reachable from ``start`` through the declared transitions."""
    seen = {start}
    frontier = [start]
    while frontier:
        cur = frontier.pop()
        for t in TRANSITIONS:
            if t.source == cur and t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    return seen


def state_label(code: str, language: str = "zh_CN") -> str:
    """Label of a status in Chinese (default) or English."""
    state = STATE_BY_CODE[code]
    return state.label_en if language.startswith("en") else state.label_zh
