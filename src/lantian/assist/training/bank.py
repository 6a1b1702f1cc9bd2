"""Course files (TOML): a course, its materials and its question bank, validated at load.

The format is documented at the top of ``courses/air_law.toml`` (the shipped 学法减罚
course). Errors name the file, the entry (``questions[no=7]``) and the field, and nothing
of a bad file is used.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lantian.assist.training.exam import QUESTION_KINDS

COURSES_DIR = Path(__file__).parent / "courses"
TRUE_FALSE_OPTIONS: tuple[str, str] = ("正确", "错误")


class CourseFileError(ValueError):
    """A course file that does not follow the format (the message names entry and field)."""


@dataclass(frozen=True)
class MaterialSpec:
    title: str
    body: str


@dataclass(frozen=True)
class QuestionSpec:
    no: int
    kind: str
    text: str
    options: tuple[str, ...]
    answer: tuple[int, ...]
    basis: str
    verified: bool


@dataclass(frozen=True)
class CourseSpec:
    """One course as read from its file."""

    code: str
    title: str
    hours: float
    pass_mark: float
    paper_size: int
    max_attempts: int
    wait_hours: float
    law_study: bool
    materials: tuple[MaterialSpec, ...]
    questions: tuple[QuestionSpec, ...]


_COURSE_FIELDS = {
    "code",
    "title",
    "hours",
    "pass_mark",
    "paper_size",
    "max_attempts",
    "wait_hours",
    "law_study",
}
_QUESTION_FIELDS = {"no", "kind", "text", "options", "answer", "basis", "verified"}


def _get(
    src: str, where: str, table: dict[str, Any], key: str, typ: type | tuple[type, ...]
) -> Any:
    if key not in table:
        raise CourseFileError(f"{src}: {where}: field {key!r} is required")
    value = table[key]
    if (
        isinstance(value, bool)
        and typ is not bool
        and bool not in (typ if isinstance(typ, tuple) else (typ,))
    ):
        raise CourseFileError(f"{src}: {where}: field {key!r} has the wrong type")
    if not isinstance(value, typ):
        raise CourseFileError(f"{src}: {where}: field {key!r} has the wrong type")
    return value


def _unknown(src: str, where: str, table: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise CourseFileError(f"{src}: {where}: unknown field {extra[0]!r}")


def _question(src: str, raw: dict[str, Any], index: int) -> QuestionSpec:
    where = f"questions[{index}]"
    no = _get(src, where, raw, "no", int)
    where = f"questions[no={no}]"
    _unknown(src, where, raw, _QUESTION_FIELDS)
    kind = _get(src, where, raw, "kind", str)
    if kind not in QUESTION_KINDS:
        raise CourseFileError(f"{src}: {where}: field 'kind' must be one of {QUESTION_KINDS}")
    text = _get(src, where, raw, "text", str).strip()
    if not text:
        raise CourseFileError(f"{src}: {where}: field 'text' is empty")
    options = tuple(str(o) for o in _get(src, where, raw, "options", list))
    if kind == "true_false" and options != TRUE_FALSE_OPTIONS:
        raise CourseFileError(f"{src}: {where}: field 'options' must be {list(TRUE_FALSE_OPTIONS)}")
    if len(options) < 2 or len(set(options)) != len(options):
        raise CourseFileError(f"{src}: {where}: field 'options' needs 2 or more distinct options")
    answer = tuple(_get(src, where, raw, "answer", list))
    if not answer or any(not isinstance(a, int) or not 0 <= a < len(options) for a in answer):
        raise CourseFileError(f"{src}: {where}: field 'answer' must list option indexes")
    if len(set(answer)) != len(answer) or (kind != "multiple" and len(answer) != 1):
        raise CourseFileError(f"{src}: {where}: field 'answer' does not fit kind {kind!r}")
    basis = _get(src, where, raw, "basis", str).strip()
    if not basis.startswith("《"):
        raise CourseFileError(f"{src}: {where}: field 'basis' must cite the law (《…》第…条)")
    verified = _get(src, where, raw, "verified", bool)
    return QuestionSpec(no, kind, text, options, tuple(sorted(answer)), basis, verified)


def parse_course(data: bytes, source: str = "<course>") -> CourseSpec:
    """Parse a course file's bytes (:class:`CourseFileError` names what is wrong)."""
    try:
        top = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CourseFileError(f"{source}: not a TOML file: {exc}") from exc
    _unknown(source, "top level", top, {"course", "materials", "questions"})
    course = top.get("course")
    if not isinstance(course, dict):
        raise CourseFileError(f"{source}: [course]: table is required")
    _unknown(source, "[course]", course, _COURSE_FIELDS)
    w = "[course]"
    code = _get(source, w, course, "code", str)
    hours = float(_get(source, w, course, "hours", (int, float)))
    pass_mark = float(_get(source, w, course, "pass_mark", (int, float)))
    paper_size = _get(source, w, course, "paper_size", int)
    max_attempts = _get(source, w, course, "max_attempts", int)
    wait_hours = float(_get(source, w, course, "wait_hours", (int, float)))
    if not 0 < hours <= 200:
        raise CourseFileError(f"{source}: {w}: field 'hours' must be in (0, 200]")
    if not 0 < pass_mark <= 100:
        raise CourseFileError(f"{source}: {w}: field 'pass_mark' must be in (0, 100]")
    if paper_size < 1 or max_attempts < 0 or wait_hours < 0:
        raise CourseFileError(f"{source}: {w}: paper_size ≥ 1, max_attempts ≥ 0, wait_hours ≥ 0")
    materials: list[MaterialSpec] = []
    for i, m in enumerate(top.get("materials", [])):
        _unknown(source, f"materials[{i}]", m, {"title", "body"})
        materials.append(
            MaterialSpec(
                _get(source, f"materials[{i}]", m, "title", str),
                _get(source, f"materials[{i}]", m, "body", str).strip(),
            )
        )
    questions = [_question(source, q, i) for i, q in enumerate(top.get("questions", []))]
    seen: set[int] = set()
    for q in questions:
        if q.no in seen:
            raise CourseFileError(f"{source}: questions[no={q.no}]: field 'no' is not unique")
        seen.add(q.no)
    if len(questions) < paper_size:
        raise CourseFileError(
            f"{source}: [course]: field 'paper_size' ({paper_size}) exceeds the bank "
            f"({len(questions)} questions)"
        )
    return CourseSpec(
        code=code,
        title=_get(source, w, course, "title", str),
        hours=hours,
        pass_mark=pass_mark,
        paper_size=paper_size,
        max_attempts=max_attempts,
        wait_hours=wait_hours,
        law_study=_get(source, w, course, "law_study", bool),
        materials=tuple(materials),
        questions=tuple(questions),
    )


def read_course(path: Path) -> CourseSpec:
    """Read and validate one course file."""
    return parse_course(path.read_bytes(), str(path.name))


def builtin_courses() -> tuple[CourseSpec, ...]:
    """The courses shipped with Lantian (``courses/*.toml``)."""
    return tuple(read_course(p) for p in sorted(COURSES_DIR.glob("*.toml")))
