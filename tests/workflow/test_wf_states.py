"""The declared state machine: reachable, closed under its own rules, labelled."""

from __future__ import annotations

from lantian.workflow.states import (
    DEADLINE_STATES,
    STATE_BY_CODE,
    STATE_CODES,
    STATES,
    TRANSITIONS,
    actions_from,
    reachable_states,
    transition_for,
)


def test_every_state_is_reachable_from_new() -> None:
    assert reachable_states("new") == set(STATE_CODES)


def test_every_non_terminal_state_has_a_way_out_and_terminals_are_final_or_reopenable() -> None:
    for state in STATES:
        outs = actions_from(state.code)
        if state.terminal and state.code != "closed":
            assert outs == [], state.code
        if not state.terminal:
            assert outs, f"{state.code} is a dead end"
    # closed can only be reopened
    assert [t.action for t in actions_from("closed")] == ["reopen"]


def test_transitions_reference_declared_states_and_are_unambiguous() -> None:
    seen = set()
    for t in TRANSITIONS:
        assert t.source in STATE_BY_CODE and t.target in STATE_BY_CODE
        assert (t.source, t.action) not in seen, "one action fires one transition per state"
        seen.add((t.source, t.action))
        assert t.roles, t.action
        assert transition_for(t.source, t.action) is t
    assert set(DEADLINE_STATES) <= set(STATE_CODES)


def test_enterprise_may_only_rectify() -> None:
    allowed = {t.action for t in TRANSITIONS if "enterprise" in t.roles}
    assert allowed == {"start_rectification", "submit_rectification"}


def test_closed_loop_path_exists() -> None:
    path = [
        "dispatch",
        "start_check",
        "judge_confirmed",
        "issue_supervision_order",
        "start_rectification",
        "submit_rectification",
        "review_accept",
    ]
    state = "new"
    for action in path:
        t = transition_for(state, action)
        assert t is not None, (state, action)
        state = t.target
    assert state == "closed"
