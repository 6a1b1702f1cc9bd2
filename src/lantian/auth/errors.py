"""Domain errors raised by the service layer (auth, workflow, documents).

The web layer maps them to HTTP: :class:`NotFound` → 404, :class:`PermissionDenied` → 403,
:class:`AuthenticationFailed` → 401, :class:`LockedOut` → 429, :class:`InvalidTransition`
→ 409, :class:`ValidationError` → 422. Every message is safe to show to the user.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the service layer raises on purpose."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """The object does not exist (or is outside the user's scope and must not be revealed)."""

    code = "not_found"


class PermissionDenied(DomainError):
    """The acting user's role or scope does not allow the action."""

    code = "permission_denied"


class ValidationError(DomainError):
    """Bad input: a required field is missing or a value is out of range."""

    code = "validation_error"

    def __init__(self, message: str, field: str | None = None, **details: object) -> None:
        super().__init__(message, field=field, **details)
        self.field = field


class InvalidTransition(DomainError):
    """The case is not in a state from which the action may be fired."""

    code = "invalid_transition"


class AuthenticationFailed(DomainError):
    """Wrong user name or password, or an invalid/expired token or session."""

    code = "authentication_failed"


class LockedOut(DomainError):
    """Too many failed logins for this user name and address; retry after ``retry_after``."""

    code = "locked_out"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s
