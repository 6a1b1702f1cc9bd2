"""Course files: the format is validated at load and errors name the entry and field."""

from __future__ import annotations

import pytest

from lantian.assist.training.bank import CourseFileError, parse_course

GOOD = """
[course]
code = "x"
title = "课程"
hours = 1
pass_mark = 60
paper_size = 1
max_attempts = 2
wait_hours = 0
law_study = false

[[questions]]
no = 1
kind = "single"
text = "问题"
options = ["甲", "乙"]
answer = [0]
basis = "《中华人民共和国大气污染防治法》第十八条"
verified = false
"""


def test_good_file_parses() -> None:
    c = parse_course(GOOD.encode())
    assert c.code == "x" and c.questions[0].answer == (0,)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "single"', 'kind = "essay"', "questions[no=1]: field 'kind'"),
        ("answer = [0]", "answer = [2]", "questions[no=1]: field 'answer'"),
        ("answer = [0]", "answer = [0, 1]", "questions[no=1]: field 'answer' does not fit"),
        ('basis = "《', 'basis = "', "questions[no=1]: field 'basis'"),
        (
            "verified = false",
            "verified = false\ncolour = 1",
            "questions[no=1]: unknown field 'colour'",
        ),
        ("paper_size = 1", "paper_size = 5", "[course]: field 'paper_size'"),
        ("pass_mark = 60", "pass_mark = 160", "[course]: field 'pass_mark'"),
        ('code = "x"\n', "", "[course]: field 'code' is required"),
        ('options = ["甲", "乙"]', 'options = ["甲", "甲"]', "field 'options'"),
    ],
)
def test_bad_entries_are_named(old: str, new: str, message: str) -> None:
    with pytest.raises(CourseFileError) as exc:
        parse_course(GOOD.replace(old, new, 1).encode(), "c.toml")
    assert message in str(exc.value) and str(exc.value).startswith("c.toml: ")


def test_true_false_needs_the_standard_options() -> None:
    bad = GOOD.replace('kind = "single"', 'kind = "true_false"')
    with pytest.raises(CourseFileError, match="options"):
        parse_course(bad.encode())
