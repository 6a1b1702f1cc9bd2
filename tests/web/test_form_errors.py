"""The form-error mechanism: localized service messages, FormErrors per form."""

from __future__ import annotations

import pytest

from lantian.auth.errors import InvalidTransition, PermissionDenied, ValidationError
from lantian.web.forms import (
    FormErrors,
    check_max_lengths,
    check_required,
    errors_from,
    localized_message,
)


@pytest.mark.parametrize(
    ("message", "zh", "en"),
    [
        ("请先填写核查记录 (record a check first)", "请先填写核查记录", "record a check first"),
        ("deadline is required to dispatch (必填)", "必填", "deadline is required to dispatch"),
        ("give both lon and lat, or neither", "经度和纬度须同时填写或同时留空", None),
        ("user 'x' already exists", "该用户名已被使用", None),
        ("something nobody mapped", "取值无效", "something nobody mapped"),
    ],
)
def test_validation_messages_in_the_users_language(message: str, zh: str, en: str | None) -> None:
    exc = ValidationError(message, field="f")
    assert localized_message(exc, "zh_CN") == zh
    assert localized_message(exc, "en") == (en or message)


def test_other_errors_fall_back_to_their_kind() -> None:
    exc = InvalidTransition("case 3 is 'new': cannot judge")
    assert localized_message(exc, "zh_CN") == "案件当前状态下不能办理此步骤"
    assert localized_message(PermissionDenied("only officers"), "zh_CN") == "您无权进行此操作"


def test_errors_belong_to_one_form() -> None:
    fe = errors_from(ValidationError("x is required (必填)", field="reason"), "a", {"reason": "r"})
    assert fe.error("a", "reason") == "必填" and fe.error("b", "reason") is None
    assert fe.value("a", "reason") == "r" and fe.value("b", "reason", "d") == "d"
    unknown = errors_from(ValidationError("bad", field="check"), "a", {}, field_names=("reason",))
    assert unknown.general("a") and not unknown.fields
    assert not FormErrors("a")


def test_required_and_length_checks() -> None:
    with pytest.raises(ValidationError) as exc:
        check_required({"a": "  "}, "a")
    assert exc.value.field == "a"
    with pytest.raises(ValidationError) as exc:
        check_max_lengths({"t": "x" * 11}, {"t": 10})
    assert exc.value.field == "t"
    check_max_lengths({"t": "x" * 10}, {"t": 10})
