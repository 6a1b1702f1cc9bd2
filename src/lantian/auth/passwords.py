"""Password hashing (argon2id) and the password policy.

References
----------
.. [1] GB/T 22239-2019, 网络安全等级保护基本要求, 8.1.4.1 身份鉴别 a): identification
       information must have complexity requirements; b): login-failure handling.
.. [2] RFC 9106, Argon2 Memory-Hard Function (argon2id, the recommended variant).
.. [3] NIST SP 800-63B (2017), 5.1.1.2: compare new passwords against a list of values
       known to be commonly used or compromised. The list shipped here is Django's
       ``common-passwords.txt.gz`` (lantian/auth/data/README.md).
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lantian.auth.errors import ValidationError

_HASHER = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)

MIN_LENGTH = 10
"""Minimum password length [characters]."""
MIN_CLASSES = 3
"""Minimum number of character classes (lower, upper, digit, other)."""
_EXTRA_COMMON = frozenset(
    {
        "password123",
        "password1234",
        "qwerty123456",
        "1234567890",
        "12345678910",
        "admin123456",
        "p@ssw0rd123",
        "passw0rd123",
        "lantian12345",
        "abc123456789",
    }
)
"""Passwords refused in addition to the shipped list (this project's own names)."""
COMMON_PASSWORDS_FILE = "common-passwords.txt.gz"
"""19,640 common passwords shipped in ``lantian/auth/data`` (from Django 5.2; see the
README.md beside it for the source and licence)."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The lower-cased common passwords: the shipped list and :data:`_EXTRA_COMMON`."""
    raw = resources.files("lantian.auth").joinpath("data", COMMON_PASSWORDS_FILE).read_bytes()
    words = gzip.decompress(raw).decode("utf-8").split()
    return frozenset(w.strip().lower() for w in words if w.strip()) | _EXTRA_COMMON


def check_password_policy(password: str, username: str | None = None) -> None:
    """Raise :class:`ValidationError` (field ``password``) unless the password is strong enough.

    Rules: at least :data:`MIN_LENGTH` characters, at least :data:`MIN_CLASSES` of
    lower-case, upper-case, digits and other characters, must not contain the user name,
    must not be a well-known password.
    """
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"密码至少 {MIN_LENGTH} 位 (password too short)", field="password")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < MIN_CLASSES:
        raise ValidationError(
            "密码须包含大写字母、小写字母、数字、符号中的至少三类 "
            "(use at least 3 of: upper, lower, digit, symbol)",
            field="password",
        )
    if username and len(username) >= 3 and username.lower() in password.lower():
        raise ValidationError("密码不能包含用户名 (password contains user name)", field="password")
    if password.lower() in common_passwords():
        raise ValidationError("密码过于常见 (password is too common)", field="password")


def hash_password(password: str) -> str:
    """argon2id hash (PHC string) of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches ``password_hash``; never raises on a mismatch."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with parameters weaker than the current ones."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


DUMMY_HASH = _HASHER.hash("lantian-dummy-password-for-timing")
"""Verified against when the user does not exist, so timing does not reveal user names."""
