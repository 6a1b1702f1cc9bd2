"""Password policy and argon2id hashing."""

from __future__ import annotations

import pytest

from lantian.auth.errors import ValidationError
from lantian.auth.passwords import check_password_policy, hash_password, verify_password


@pytest.mark.parametrize(
    "password",
    ["Short1!", "alllowercaseletters", "ALLUPPER12345", "password123", "Zhangsan-2024x"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError) as exc:
        check_password_policy(password, "zhangsan")
    assert exc.value.field == "password"


def test_strong_password_passes_and_hashes() -> None:
    check_password_policy("蓝天Blue-Sky-2024", "zhangsan")
    h = hash_password("蓝天Blue-Sky-2024")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "蓝天Blue-Sky-2024")
    assert not verify_password(h, "蓝天Blue-Sky-2025")
    assert not verify_password("not-a-hash", "x")
