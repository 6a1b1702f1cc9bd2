"""User roles (``users.role``) and token kinds."""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

ROLES: Vocabulary[str] = Vocabulary(
    "role",
    [
        Term("admin", "系统管理员", "Administrator"),
        Term("work_group", "监督帮扶工作组", "Work group"),
        Term("city_officer", "市级执法人员", "City officer"),
        Term("district_officer", "区县执法人员", "District officer"),
        Term("enterprise", "企业用户", "Enterprise"),
    ],
)
TOKEN_KINDS: Vocabulary[str] = Vocabulary(
    "token_kind", [Term("api", "API 令牌", "API token"), Term("session", "登录会话", "Session")]
)
