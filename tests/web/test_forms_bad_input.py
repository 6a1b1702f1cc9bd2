"""Bad input on every page form: an in-place Chinese error, the input kept, nothing stored.

Each form is posted with every field replaced by an empty, an over-long (100 kB), a
wrong-type and a script value, as a plain post (no JavaScript) and as an HTMX post. A
rejected post must answer 422 with the same page, the message next to the field (or above
the form) in Chinese, the submitted text put back escaped, and leave the database and the
audit log unchanged. An accepted post (free text may hold anything) must store the text
and show it escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.web.case_driver import drive_case
from tests.web.conftest import PASSWORD, Seeded

from lantian.auth.models import AuditLog, User
from lantian.db.session import session_scope
from lantian.timeutil import now_cst
from lantian.workflow.models import Case, CheckRecord, Notice

Login = Callable[[str], tuple[TestClient, str]]

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
LONG = "长" * 100_000
BAD_VALUES: dict[str, str] = {
    "empty": "",
    "long": LONG,
    "wrong_type": "abc-不是数字",
    "script": SCRIPT,
    "img": IMG,
}
CJK = re.compile(r"[\u4e00-\u9fff]")
TEXT_FIELDS = frozenset({"finding", "reason", "comment", "note", "notes", "title", "body"})
"""Free-text fields: any text up to the length limit is legal (stored, shown escaped)."""
OPTIONAL = frozenset({"note", "inspection_at", "seed", "province", "share_percent", "display_name"})
"""Fields that may be left empty."""
CHOICES = frozenset({"confirm", "active", "kind", "mode", "role", "assignee_id", "result"})
"""Fields chosen from a list (a bad value cannot be put back as typed)."""


def snapshot(seeded: Seeded) -> tuple[int, int, int, int, tuple[Any, ...]]:
    """Row counts that a rejected form must leave unchanged, and the cases' states."""
    with session_scope(seeded.settings) as db:
        cases = tuple(db.execute(select(Case.case_id, Case.status, Case.updated_at)).all())
        return (
            db.scalar(select(func.count()).select_from(AuditLog)) or 0,
            db.scalar(select(func.count()).select_from(CheckRecord)) or 0,
            db.scalar(select(func.count()).select_from(Notice)) or 0,
            db.scalar(select(func.count()).select_from(User)) or 0,
            cases,
        )


@dataclass
class Form:
    """One page form: who posts it where, valid values, the fields to fuzz."""

    user: str
    url: str
    valid: dict[str, str]
    fuzz: tuple[str, ...]
    form_id: str
    free_text: frozenset[str] = field(default_factory=frozenset)
    """Fields where any text is legal (the post may succeed; the text is shown escaped)."""
    optional: frozenset[str] = frozenset()
    """Fields of this form that may be left empty (besides :data:`OPTIONAL`)."""


def _forms(seeded: Seeded) -> dict[str, Callable[[], Form]]:
    uid = seeded.user_ids
    future = (now_cst() + timedelta(days=5)).date().isoformat()

    def action(state: str, name: str, fields: dict[str, str], fuzz: tuple[str, ...]) -> Form:
        cid = drive_case(seeded, state)
        text = frozenset(fuzz) & TEXT_FIELDS
        return Form(
            "lb_district", f"/cases/{cid}/actions/{name}", fields, fuzz, f"action-{name}", text
        )

    return {
        "start_check": lambda: action("dispatched", "start_check", {"mode": "remote"}, ("mode",)),
        "judge_confirmed": lambda: action(
            "checked", "judge_confirmed", {"finding": "属实"}, ("finding",)
        ),
        "judge_false_positive": lambda: action(
            "checked",
            "judge_false_positive",
            {"reason": "设备故障", "confirm": "yes"},
            ("reason", "confirm"),
        ),
        "issue_supervision_order": lambda: Form(
            "ts_city",
            f"/cases/{drive_case(seeded, 'confirmed')}/actions/issue_supervision_order",
            {"rectify_deadline": future, "note": "限期整改"},
            ("rectify_deadline", "note"),
            "action-issue_supervision_order",
            frozenset({"note"}),
        ),
        "review_reject": lambda: action(
            "review", "review_reject", {"comment": "材料不足", "confirm": "yes"}, ("comment",)
        ),
        "reopen": lambda: Form(
            "ts_city",
            f"/cases/{drive_case(seeded, 'closed')}/actions/reopen",
            {"reason": "问题复发", "confirm": "yes"},
            ("reason", "confirm"),
            "action-reopen",
            frozenset({"reason"}),
        ),
        "record_check": lambda: Form(
            "lb_district",
            f"/cases/{drive_case(seeded, 'checking')}/checks",
            {"kind": "remote", "notes": "调阅数据", "lon": "118.18", "lat": "39.63"},
            ("kind", "notes", "lon", "lat"),
            "check-record",
            frozenset({"notes"}),
            optional=frozenset({"notes"}),  # a remote check may record nothing yet
        ),
        "reassign": lambda: Form(
            "ts_city",
            f"/cases/{drive_case(seeded, 'dispatched')}/reassign",
            {"assignee_id": str(uid["lb_district"]), "deadline": future, "note": "改派"},
            ("assignee_id", "deadline", "note"),
            "reassign-form",
            frozenset({"note"}),
            optional=frozenset({"deadline"}),  # the new deadline is optional
        ),
        "share": lambda: Form(
            "ts_city",
            f"/cases/{drive_case(seeded, 'dispatched')}/share",
            {"confirm": "yes", "note": "请知悉"},
            ("confirm", "note"),
            "share-form",
            frozenset({"note"}),
        ),
        "notice": lambda: Form(
            "ts_city",
            "/enterprises/E1/notices",
            {"kind": "hazard", "title": "隐患提示", "body": "请排查", "inspection_at": ""},
            ("kind", "title", "body", "inspection_at"),
            "notice-form",
            free_text=frozenset({"title", "body"}),
        ),
        "add_user": lambda: Form(
            "admin",
            "/admin/users",
            {
                "username": "new_officer",
                "password": PASSWORD,
                "role": "city_officer",
                "display_name": "新同事",
                "city": "唐山市",
            },
            ("username", "password", "role", "display_name", "province"),
            "add-user",
            free_text=frozenset({"display_name", "username", "password"}),
        ),
        "disable_user": lambda: Form(
            "admin",
            f"/admin/users/{uid['ln_district']}/active",
            {"active": "false", "confirm": "yes"},
            ("active", "confirm"),
            f"active-{uid['ln_district']}",
        ),
        "account_password": lambda: Form(
            "lb_district",
            "/account/password",
            {
                "old_password": PASSWORD,
                "new_password": "Another-Pass-2026!",
                "new_password2": "Another-Pass-2026!",
            },
            ("old_password", "new_password", "new_password2"),
            "password-form",
        ),
        "spot_check_draw": lambda: Form(
            "ts_city",
            "/spot-checks/draw",
            {"share_percent": "50", "seed": "1"},
            ("share_percent", "seed"),
            "draw-form",
        ),
    }


FORM_NAMES = (
    "start_check",
    "judge_confirmed",
    "judge_false_positive",
    "issue_supervision_order",
    "review_reject",
    "reopen",
    "record_check",
    "reassign",
    "share",
    "notice",
    "add_user",
    "disable_user",
    "account_password",
    "spot_check_draw",
)


def _check_rejected(r: Any, form: Form, name: str, value: str) -> None:
    """A rejected post: the same page, 422, a Chinese message in the form, input kept."""
    assert r.status_code == 422, (name, r.status_code, r.text[:300])
    html = r.text
    assert 'lang="zh-CN"' in html
    start = html.find(f'id="{form.form_id}"')
    assert start >= 0, f"the form {form.form_id} is not on the re-rendered page"
    end = html.find("</form>", start)
    body = html[start:end]
    errors = re.findall(r'class="(?:field-error|alert error form-alert)"[^>]*>([^<]+)<', body)
    assert errors, f"no error shown in the form for {name}={value[:20]!r}"
    assert all(CJK.search(e) for e in errors), errors
    assert SCRIPT not in html and "<img src=x" not in html
    if value and "password" not in name and name not in CHOICES:
        kept = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        kept = kept.replace('"', "&#34;")
        assert kept[:200] in body, f"the submitted {name} is not kept"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("form_name", FORM_NAMES)
def test_bad_input_on_every_form(
    seeded_sqlite: Seeded, login_as: Login, form_name: str, htmx: bool
) -> None:
    make = _forms(seeded_sqlite)[form_name]
    form = make()
    client, csrf = login_as(form.user)
    headers = {"HX-Request": "true"} if htmx else {}
    values = BAD_VALUES if not htmx else {k: BAD_VALUES[k] for k in ("empty", "script")}
    for name in form.fuzz:
        for kind, value in values.items():
            if kind == "empty" and name in OPTIONAL | form.optional:
                continue  # optional fields: empty is valid
            before = snapshot(seeded_sqlite)
            data = form.valid | {name: value, "csrf_token": csrf}
            r = client.post(form.url, data=data, headers=headers, follow_redirects=False)
            if r.status_code in (303, 204):
                assert name in form.free_text and kind in ("wrong_type", "script", "img"), (
                    f"{form_name}: {name}={kind} accepted"
                )
                # accepted free text: shown escaped where it appears
                target = r.headers.get("location") or r.headers.get("hx-redirect") or "/"
                page = client.get(target).text
                assert SCRIPT not in page and "<img src=x" not in page
                form = make()  # the object changed: a fresh one for the next value
                continue
            _check_rejected(r, form, name, value)
            assert snapshot(seeded_sqlite) == before, f"{form_name}: {name}={kind} stored"


def test_reason_is_kept_when_the_step_fails(seeded_sqlite: Seeded, login_as: Login) -> None:
    """认定误报 without ticking the confirmation box: the reason stays in the form."""
    cid = drive_case(seeded_sqlite, "checked")
    client, csrf = login_as("lb_district")
    reason = "在线监测仪表故障，数据无效"
    r = client.post(
        f"/cases/{cid}/actions/judge_false_positive",
        data={"reason": reason, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert f">{reason}</textarea>" in r.text and "请勾选确认" in r.text
    assert 'id="case-status">核查中' in r.text


def test_confirmation_is_asked_before_negative_steps(
    seeded_sqlite: Seeded, login_as: Login
) -> None:
    cid = drive_case(seeded_sqlite, "checked")
    client, _csrf = login_as("lb_district")
    page = client.get(f"/cases/{cid}").text
    form = page[page.index('id="action-judge_false_positive"') - 300 :]
    form = form[: form.index("</form>")]
    assert 'hx-confirm="此操作不可撤销' in form and 'name="confirm" value="yes" required' in form
    confirmed = page[page.index('id="action-judge_confirmed"') :]
    assert 'name="confirm"' not in confirmed[: confirmed.index("</form>")]
    admin, _c = login_as("admin")
    users = admin.get("/admin/users").text
    assert "确定停用该账号" in users


def test_html_errors_are_in_the_users_language(login_as: Login) -> None:
    client, _csrf = login_as("ts_city")
    client.headers["Accept"] = "text/html"
    r = client.get("/cases/999999")
    assert r.status_code == 404 and "未找到" in r.text and 'href="/"' in r.text
    assert "Not found" not in r.text and "case 999999" not in r.text
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "未找到" in r.text and "Not Found" not in r.text
    r = client.get("/admin/users")
    assert r.status_code == 403 and "无权" in r.text
    r = client.get("/cases/999999?lang=en")
    assert r.status_code == 404 and "Not found" in r.text and "未找到" not in r.text


def test_api_errors_have_a_code_and_a_localized_message(login_as: Login) -> None:
    client, csrf = login_as("ts_city")
    h = {"X-CSRF-Token": csrf}
    r = client.get("/api/cases/999999")
    assert r.status_code == 404
    body = r.json()
    assert body["code"] == "not_found" and CJK.search(body["message"])
    r = client.get("/api/leads?limit=abc")
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_error" and CJK.search(body["message"])
    assert body["errors"] == {"limit": "请输入数字"}
    r = client.get("/api/no-such-thing")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = client.post("/api/users/1/active", json={"active": False}, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = client.get("/api/cases/999999?lang=en")  # (sets the language cookie)
    assert r.json()["code"] == "not_found" and not CJK.search(r.json()["message"])
