"""The exam engine: seeded papers, scoring, pass mark and retake rule (pure, table-driven)."""

from __future__ import annotations

import datetime as dt

import pytest

from lantian.assist.training.bank import builtin_courses
from lantian.assist.training.exam import (
    Question,
    RetakeRule,
    build_paper,
    retake_decision,
    score_paper,
)
from lantian.timeutil import CST

BANK = [
    Question(1, "single", "q1", ("a", "b", "c", "d"), frozenset({2}), "《法》第一条"),
    Question(2, "multiple", "q2", ("a", "b", "c", "d"), frozenset({0, 3}), "《法》第二条"),
    Question(3, "true_false", "q3", ("正确", "错误"), frozenset({1}), "《法》第三条"),
    Question(4, "single", "q4", ("a", "b", "c"), frozenset({0}), "《法》第四条"),
    Question(5, "single", "q5", ("a", "b"), frozenset({1}), "《法》第五条"),
]
BY_ID = {q.question_id: q for q in BANK}


def _right(paper: list[dict[str, object]]) -> dict[int, list[int]]:
    """The correct shown positions of every question of ``paper``."""
    out: dict[int, list[int]] = {}
    for item in paper:
        qid = int(item["question_id"])  # type: ignore[call-overload]
        order = list(item["order"])  # type: ignore[call-overload]
        out[qid] = [order.index(i) for i in sorted(BY_ID[qid].answer)]
    return out


def test_same_seed_same_paper_other_seed_other_paper() -> None:
    a = build_paper(BANK, 4, seed=42)
    assert a == build_paper(list(reversed(BANK)), 4, seed=42)  # bank order does not matter
    assert len(a) == 4 and len({i["question_id"] for i in a}) == 4
    papers = {repr(build_paper(BANK, 4, seed=s)) for s in range(20)}
    assert len(papers) > 10


def test_true_false_options_keep_their_order_and_others_are_permutations() -> None:
    for seed in range(30):
        for item in build_paper(BANK, 5, seed):
            q = BY_ID[item["question_id"]]
            assert sorted(item["order"]) == list(range(len(q.options)))
            if q.kind == "true_false":
                assert item["order"] == [0, 1]


def test_paper_size_larger_than_bank_takes_the_whole_bank() -> None:
    assert len(build_paper(BANK, 50, seed=1)) == len(BANK)
    with pytest.raises(ValueError):
        build_paper(BANK, 0, seed=1)


@pytest.mark.parametrize(
    ("wrong", "pass_mark", "percent", "passed"),
    [
        (0, 80, 100.0, True),
        (1, 80, 80.0, True),  # exactly the pass mark passes
        (2, 80, 60.0, False),
        (5, 80, 0.0, False),
        (1, 80.1, 80.0, False),
    ],
)
def test_scoring_against_the_pass_mark(
    wrong: int, pass_mark: float, percent: float, passed: bool
) -> None:
    paper = build_paper(BANK, 5, seed=7)
    answers = _right(paper)
    for item in paper[:wrong]:
        qid = item["question_id"]
        answers[qid] = [p for p in range(len(item["order"])) if p not in answers[qid]][:1]
    s = score_paper(paper, BY_ID, answers, pass_mark)
    assert (s.correct, s.total, s.percent, s.passed) == (5 - wrong, 5, percent, passed)
    assert len(s.wrong) == wrong


def test_multiple_choice_needs_exactly_the_answer_and_positions_are_mapped() -> None:
    paper = [{"question_id": 2, "order": [3, 2, 1, 0]}]  # shown: d c b a
    assert score_paper(paper, BY_ID, {2: [0, 3]}, 100).passed  # d and a
    assert not score_paper(paper, BY_ID, {2: [0]}, 100).passed  # one missing
    assert not score_paper(paper, BY_ID, {2: [0, 1, 3]}, 100).passed  # one too many
    assert not score_paper(paper, BY_ID, {2: [1, 2]}, 100).passed  # unmapped positions
    single = [{"question_id": 1, "order": [2, 0, 1, 3]}]
    assert score_paper(single, BY_ID, {1: [0]}, 100).passed
    assert not score_paper(single, BY_ID, {1: [0, 1]}, 100).passed  # two ticks on a single
    assert not score_paper(single, BY_ID, {}, 100).passed  # unanswered


@pytest.mark.parametrize("answers", [{9: [0]}, {1: [4]}, {1: [-1]}])
def test_answers_off_the_paper_are_refused(answers: dict[int, list[int]]) -> None:
    with pytest.raises(ValueError, match="answers"):
        score_paper([{"question_id": 1, "order": [0, 1, 2, 3]}], BY_ID, answers, 60)


T = dt.datetime(2026, 3, 1, 10, 0, tzinfo=CST)
H = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("previous", "rule", "now", "allowed", "reason"),
    [
        ([], RetakeRule(3, 24), T, True, ""),
        ([(T, False)], RetakeRule(3, 24), T + 23 * H, False, "24 小时"),
        ([(T, False)], RetakeRule(3, 24), T + 24 * H, True, ""),  # boundary instant allowed
        ([(T, False), (T + 30 * H, False)], RetakeRule(3, 24), T + 53 * H, False, "24 小时"),
        ([(T, False)] * 3, RetakeRule(3, 0), T + 100 * H, False, "最多考试次数"),
        ([(T, False)] * 2, RetakeRule(3, 0), T, True, ""),
        ([(T, False)] * 9, RetakeRule(0, 0), T, True, ""),  # 0 = no cap
        ([(T, True)], RetakeRule(3, 0), T + 100 * H, False, "已通过"),
    ],
)
def test_retake_rule(
    previous: list[tuple[dt.datetime, bool]],
    rule: RetakeRule,
    now: dt.datetime,
    allowed: bool,
    reason: str,
) -> None:
    d = retake_decision(previous, rule, now)
    assert d.allowed is allowed
    assert reason in d.reason


def test_shipped_law_course_has_at_least_20_cited_questions() -> None:
    (course,) = [c for c in builtin_courses() if c.law_study]
    assert len(course.questions) >= 20
    assert all("第" in q.basis and "条" in q.basis for q in course.questions)
    assert all(q.basis.startswith("《中华人民共和国") for q in course.questions)
    assert {q.kind for q in course.questions} == {"single", "multiple", "true_false"}
    assert course.paper_size <= len(course.questions) and 0 < course.pass_mark <= 100
