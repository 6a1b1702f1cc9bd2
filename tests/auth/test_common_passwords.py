"""The policy refuses well-known passwords from a real list (issue 11, item 10: it had 10)."""

from __future__ import annotations

import pytest

from lantian.auth.errors import ValidationError
from lantian.auth.passwords import check_password_policy, common_passwords


def test_the_shipped_list_is_a_real_one() -> None:
    words = common_passwords()
    assert len(words) > 19_000
    assert {"123456", "qwerty", "password", "lantian12345"} <= words


@pytest.mark.parametrize("password", ["Passer2009", "Qwertyuiop1", "1Q2w3e4r5t"])
def test_common_passwords_that_meet_the_other_rules_are_refused(password: str) -> None:
    with pytest.raises(ValidationError, match="too common"):
        check_password_policy(password, "someone")


def test_an_uncommon_password_passes() -> None:
    check_password_policy("Lantian-Test-2024!", "someone")
