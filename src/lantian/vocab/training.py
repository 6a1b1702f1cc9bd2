"""Vocabularies of training and law study (培训、学法) and of the libraries.

References
----------
.. [1] Issue #15 item 4 (training, courses, exams) and item 5 (case library, policy handbook).
"""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

QUESTION_KINDS: Vocabulary[str] = Vocabulary(
    "exam_question_kind",
    [
        Term("single", "单选题", "Single choice"),
        Term("multiple", "多选题", "Multiple choice"),
        Term("true_false", "判断题", "True or false"),
    ],
)
"""Kinds of exam question (``training_questions.kind``)."""
ATTENDANCE_METHODS: Vocabulary[str] = Vocabulary(
    "attendance_method",
    [
        Term("officer", "执法人员登记", "Marked by an officer"),
        Term("code", "签到码签到", "Checked in with the code"),
    ],
)
"""How an attendance was recorded (``training_registrations.attendance_by``)."""
