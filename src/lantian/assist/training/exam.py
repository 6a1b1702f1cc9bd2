"""The exam engine: a randomised paper per attempt (seeded, reproducible), scoring, the pass
mark and the retake rule. Pure functions, no database.

A paper is a list of items ``{"question_id": int, "order": [int, ...]}``: the questions drawn
for the attempt in the order shown, and for each the permutation of its options (``order[i]``
is the index in the bank of the option shown at position ``i``). Answers are given as shown
positions and mapped back through ``order`` before comparison with the bank's answer.

References
----------
.. [1] 学法减罚 practice: the party studies the law and passes a test before the reduction
       is applied (邢台市、营口市学法减罚实施办法; summary, unverified).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lantian.vocab import training as training_vocab

QUESTION_KINDS: tuple[str, ...] = training_vocab.QUESTION_KINDS.codes()
"""single choice, multiple choice (all correct options and no other), true/false."""


@dataclass(frozen=True)
class Question:
    """One question of a course's bank; ``answer`` holds option indexes of the bank."""

    question_id: int
    kind: str
    text: str
    options: tuple[str, ...]
    answer: frozenset[int]
    basis: str
    """The article the answer rests on, e.g. 《中华人民共和国大气污染防治法》第九十九条."""


@dataclass(frozen=True)
class RetakeRule:
    """How often an exam may be taken: at most ``max_attempts`` attempts (0 = unlimited),
    and at least ``wait_hours`` hours after a failed attempt before the next."""

    max_attempts: int
    wait_hours: float


@dataclass(frozen=True)
class Score:
    """Result of one paper: correct answers, questions, percent and pass."""

    correct: int
    total: int
    percent: float
    passed: bool
    wrong: tuple[int, ...]
    """Question ids answered wrongly or not at all."""


def build_paper(questions: Sequence[Question], size: int, seed: int) -> list[dict[str, Any]]:
    """Draw ``size`` questions (all if fewer) and shuffle each one's options, from ``seed``.

    The same bank, size and seed give the same paper (``random.Random(seed)``), so a stored
    seed reproduces an attempt's paper. True/false questions keep their option order.
    """
    if size <= 0:
        raise ValueError("size: must be positive")
    rng = random.Random(seed)
    bank = sorted(questions, key=lambda q: q.question_id)
    drawn = rng.sample(bank, min(size, len(bank)))
    paper: list[dict[str, Any]] = []
    for q in drawn:
        order = list(range(len(q.options)))
        if q.kind != "true_false":
            rng.shuffle(order)
        paper.append({"question_id": q.question_id, "order": order})
    return paper


def score_paper(
    paper: Sequence[Mapping[str, Any]],
    questions: Mapping[int, Question],
    answers: Mapping[int, Sequence[int]],
    pass_mark_pct: float,
) -> Score:
    """Score ``answers`` (question id → shown option positions) against ``paper``.

    A question counts as correct when the chosen options, mapped back to the bank, are
    exactly its answer (so a multiple-choice question with one option missing is wrong).
    Positions outside the options are refused.

    Raises
    ------
    ValueError
        An answer to a question not on the paper, or a position out of range.
    """
    on_paper = {int(item["question_id"]): list(item["order"]) for item in paper}
    for qid, chosen in answers.items():
        if qid not in on_paper:
            raise ValueError(f"answers: question {qid} is not on this paper")
        for pos in chosen:
            if not 0 <= pos < len(on_paper[qid]):
                raise ValueError(f"answers: option {pos} of question {qid} does not exist")
    correct = 0
    wrong: list[int] = []
    for qid, order in on_paper.items():
        q = questions[qid]
        picked = frozenset(order[p] for p in answers.get(qid, ()))
        if q.kind != "multiple" and len(picked) > 1:
            picked = frozenset()
        if picked and picked == q.answer:
            correct += 1
        else:
            wrong.append(qid)
    total = len(on_paper)
    percent = round(100.0 * correct / total, 1) if total else 0.0
    return Score(correct, total, percent, percent >= pass_mark_pct, tuple(wrong))


@dataclass(frozen=True)
class RetakeDecision:
    """Whether a new attempt may start now, why not, and from when."""

    allowed: bool
    reason: str
    not_before: dt.datetime | None = None


def retake_decision(
    previous: Sequence[tuple[dt.datetime, bool]], rule: RetakeRule, now: dt.datetime
) -> RetakeDecision:
    """May an enterprise start another attempt at ``now``?

    ``previous`` lists ``(submitted_at, passed)`` of its submitted attempts. A passed exam
    needs no retake; the attempt count is capped by ``rule.max_attempts`` (0 = no cap); a
    new attempt waits ``rule.wait_hours`` after the last failed one (the boundary instant
    itself is allowed).
    """
    if any(p for _, p in previous):
        return RetakeDecision(False, "已通过考试，无需重考")
    if rule.max_attempts and len(previous) >= rule.max_attempts:
        return RetakeDecision(False, f"已达最多考试次数（{rule.max_attempts} 次）")
    if previous and rule.wait_hours > 0:
        last = max(at for at, _ in previous)
        ready = last + dt.timedelta(hours=rule.wait_hours)
        if now < ready:
            return RetakeDecision(False, f"补考须在上次考试 {rule.wait_hours:g} 小时后", ready)
    return RetakeDecision(True, "")


__all__ = [
    "QUESTION_KINDS",
    "Question",
    "RetakeDecision",
    "RetakeRule",
    "Score",
    "build_paper",
    "retake_decision",
    "score_paper",
]
