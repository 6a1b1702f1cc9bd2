"""Self-check interfaces on one seeded app (module-scoped): the applicable template, a
submission (201), bad input refused with nothing stored, officers' list in scope, review,
photos re-encoded without metadata, the risk input and the scoring count."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from tests.web.conftest import bearer, seed

from lantian.assist.selfchecks import queries as sq
from lantian.assist.selfchecks.models import AssistFile, SelfCheck, SelfCheckFinding
from lantian.assist.selfchecks.services import ensure_selfcheck_templates
from lantian.db.session import dispose_engines, session_scope
from lantian.registry.models import Line, Meter
from lantian.settings import get_settings
from lantian.timeutil import now_cst
from lantian.web.app import create_app
from lantian.workflow.models import ChecklistTemplate


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("selfcheck-home")
    old = os.environ.get("LANTIAN_HOME")
    os.environ["LANTIAN_HOME"] = str(home)
    get_settings.cache_clear()
    settings = get_settings()
    seeded = seed(settings)
    with session_scope(settings) as db:
        db.add(Line(line_id="E2-L1", enterprise_id="E2", name="印刷线"))
        db.flush()
        db.add(
            Meter(
                meter_id="E2-M1", enterprise_id="E2", line_id="E2-L1", role="treatment", name="RTO"
            )
        )
        ensure_selfcheck_templates(db)
    app = create_app(settings)
    with TestClient(app) as c:
        heads = {u: bearer(c, u) for u in ("ent1", "ent2", "ts_city", "sjz_city", "admin")}
        yield {"client": c, "heads": heads, "settings": settings, "seeded": seeded}
    dispose_engines()
    get_settings.cache_clear()
    if old is None:
        os.environ.pop("LANTIAN_HOME", None)
    else:
        os.environ["LANTIAN_HOME"] = old


@pytest.fixture(autouse=True)
def _keep_home(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANTIAN_HOME", str(world["settings"].home))
    get_settings.cache_clear()


def _get(w: dict[str, Any], user: str, path: str) -> Any:
    return w["client"].get(path, headers=w["heads"][user])


def _post(w: dict[str, Any], user: str, path: str, **kw: Any) -> Any:
    return w["client"].post(path, headers=w["heads"][user], **kw)


def _count(w: dict[str, Any], model: Any) -> int:
    with session_scope(w["settings"]) as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_template_has_only_the_items_that_apply(world: dict[str, Any]) -> None:
    r = _get(world, "ent1", "/api/self-checks/template")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["template_id"] == "selfcheck-steel-v1" and body["version"] == 1
    ids = {it["id"] for it in body["items"]}
    assert {"CEMS-1", "CEMS-5", "ST-3", "ER-2", "EM-1"} <= ids  # outlet with O2, grade B
    assert not ids & {"PWR-1", "PWR-2", "ER-1", "ER-3"}  # no meters, no measures, graded
    assert all(set(it) >= {"id", "text", "basis"} and it["basis"] for it in body["items"])
    r2 = _get(world, "ent2", "/api/self-checks/template").json()  # printing, treatment meter
    ids2 = {it["id"] for it in r2["items"]}
    assert {"PWR-1", "VOC-1", "ER-3"} <= ids2 and "PWR-2" not in ids2
    # officers preview an enterprise in scope; not one elsewhere; ent2 not E1's
    assert _get(world, "ts_city", "/api/self-checks/template?enterprise_id=E1").status_code == 200
    assert _get(world, "sjz_city", "/api/self-checks/template?enterprise_id=E1").status_code == 404
    assert _get(world, "ent2", "/api/self-checks/template?enterprise_id=E1").status_code == 404


def _answers(w: dict[str, Any], user: str, **special: str) -> tuple[str, list[dict[str, Any]]]:
    tpl = _get(w, user, "/api/self-checks/template").json()
    return tpl["template_id"], [
        {"item_id": it["id"], "answer": special.get(it["id"], "yes"), "note": ""}
        for it in tpl["items"]
    ]


def test_bad_input_is_refused_and_nothing_stored(world: dict[str, Any]) -> None:
    before = (_count(world, SelfCheck), _count(world, SelfCheckFinding))
    tid, answers = _answers(world, "ent1")
    # PWR-1 exists in the template but does not apply to E1 (no 分表计电)
    bad = [*answers, {"item_id": "PWR-1", "answer": "no", "note": ""}]
    r = _post(world, "ent1", "/api/self-checks", json={"template_id": tid, "answers": bad})
    assert r.status_code == 422 and "PWR-1" in r.text
    r = _post(world, "ent1", "/api/self-checks", json={"template_id": "nope", "answers": answers})
    assert r.status_code == 422 and "nope" in r.text
    r = _post(world, "ent1", "/api/self-checks", json={"template_id": tid, "answers": answers[1:]})
    assert r.status_code == 422 and answers[0]["item_id"] in r.text  # unanswered on submit
    r = _post(
        world,
        "ent1",
        "/api/self-checks",
        json={"template_id": tid, "answers": [*answers, answers[0]]},
    )
    assert r.status_code == 422 and "twice" in r.json()["detail"]
    r = _post(
        world,
        "ent1",
        "/api/self-checks",
        json={"template_id": tid, "answers": [{**answers[0], "answer": "maybe"}]},
    )
    assert r.status_code == 422
    r = _post(world, "ts_city", "/api/self-checks", json={"template_id": tid, "answers": answers})
    assert r.status_code == 403
    assert (_count(world, SelfCheck), _count(world, SelfCheckFinding)) == before


def test_submit_list_review_risk_and_score(world: dict[str, Any]) -> None:
    tid, answers = _answers(world, "ent1", **{"ST-2": "no", "CEMS-1": "na"})
    fix_by = (now_cst() + timedelta(days=20)).date().isoformat()
    for a in answers:
        if a["item_id"] == "ST-2":
            a |= {"note": "料棚东侧未封闭", "fix_by": fix_by}
    r = _post(world, "ent1", "/api/self-checks", json={"template_id": tid, "answers": answers})
    assert r.status_code == 201, r.text
    sid = r.json()["self_check_id"]
    detail = _get(world, "ent1", f"/api/self-checks/{sid}").json()
    assert detail["status"] == "submitted" and detail["origin"] == "scheduled"
    assert [(f["item_id"], f["fix_by"]) for f in detail["findings"]] == [("ST-2", fix_by)]
    judged = sum(1 for a in answers if a["answer"] in ("yes", "no"))
    assert detail["fail_share"] == pytest.approx(1 / judged)
    # officers in scope list it; another city's officer and another enterprise do not
    listed = _get(world, "ts_city", "/api/self-checks?enterprise_id=E1").json()
    assert [i["self_check_id"] for i in listed["items"]] == [sid]
    assert listed["items"][0]["findings_open"] == 1
    assert _get(world, "sjz_city", "/api/self-checks?enterprise_id=E1").json()["total"] == 0
    assert _get(world, "ent2", "/api/self-checks").json()["total"] == 0
    assert _get(world, "sjz_city", f"/api/self-checks/{sid}").status_code == 404
    # the risk input: the latest self-check's failure share
    with session_scope(world["settings"]) as db:
        from lantian.supervision.queries import load_enterprise_facts

        t = now_cst().date()
        facts = load_enterprise_facts(db, jurisdiction=None, start=t, end=t, only="E1")
        assert facts[0].self_check_fail_share == pytest.approx(1 / judged)
    # review: only officers, once; counted for the reviewing officer only
    assert _post(world, "ent1", f"/api/self-checks/{sid}/review", json={}).status_code == 403
    r = _post(world, "ts_city", f"/api/self-checks/{sid}/review", json={"note": "已阅"})
    assert r.status_code == 200 and r.json()["reviewed_at"]
    assert _post(world, "ts_city", f"/api/self-checks/{sid}/review", json={}).status_code == 409
    ts = world["seeded"].user_ids["ts_city"]
    with session_scope(world["settings"]) as db:
        now = now_cst()
        window = (now - timedelta(hours=1), now + timedelta(hours=1))
        assert sq.reviewed_count(db, frozenset({ts}), *window) == 1.0
        assert sq.reviewed_count(db, frozenset({ts + 999}), *window) == 0.0
        assert sq.reviewed_count(db, frozenset({ts}), window[1], window[1] + timedelta(1)) == 0.0


def _jpeg_with_exif() -> bytes:
    im = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (39.0, 37.0, 48.0)}  # GPS latitude
    out = io.BytesIO()
    im.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_draft_with_photo_resumes_and_strips_metadata(world: dict[str, Any]) -> None:
    tid, answers = _answers(world, "ent2")
    r = _post(
        world,
        "ent2",
        "/api/self-checks",
        json={"template_id": tid, "answers": answers[:2], "draft": True},
    )
    assert r.status_code == 201 and r.json()["status"] == "draft"
    sid = r.json()["self_check_id"]
    raw = _jpeg_with_exif()
    assert b"SecretCam" in raw
    item = answers[0]["item_id"]
    r = _post(
        world,
        "ent2",
        f"/api/self-checks/{sid}/photos",
        data={"item_id": item},
        files={"file": ("p.jpg", raw, "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    fid = r.json()["file_id"]
    stored = _get(world, "ent2", f"/api/self-check-files/{fid}")
    assert stored.status_code == 200 and stored.content[:3] == b"\xff\xd8\xff"
    assert (
        b"SecretCam" not in stored.content and not Image.open(io.BytesIO(stored.content)).getexif()
    )
    assert _get(world, "ent1", f"/api/self-check-files/{fid}").status_code == 404
    # a draft is the enterprise's work in progress: not shown to officers until submitted
    assert _get(world, "ts_city", f"/api/self-checks/{sid}").status_code == 404
    assert _get(world, "ts_city", f"/api/self-check-files/{fid}").status_code == 404
    # refused uploads: not an image, an item that does not apply; nothing stored
    n = _count(world, AssistFile)
    r = _post(
        world,
        "ent2",
        f"/api/self-checks/{sid}/photos",
        data={"item_id": item},
        files={"file": ("p.jpg", b"GIF89a-not-a-jpeg", "image/jpeg")},
    )
    assert r.status_code == 422
    r = _post(
        world,
        "ent2",
        f"/api/self-checks/{sid}/photos",
        data={"item_id": "ST-1"},
        files={"file": ("p.jpg", raw, "image/jpeg")},
    )
    assert r.status_code == 422 and "ST-1" in r.text
    assert _count(world, AssistFile) == n
    # resume: the same draft continues and is submitted
    r = _post(
        world,
        "ent2",
        "/api/self-checks",
        json={"template_id": tid, "answers": answers, "self_check_id": sid},
    )
    assert r.status_code == 201 and r.json()["self_check_id"] == sid
    detail = _get(world, "ent2", f"/api/self-checks/{sid}").json()
    assert detail["status"] == "submitted" and detail["photos"][0]["item_id"] == item
    r = _post(
        world,
        "ent2",
        f"/api/self-checks/{sid}/photos",
        data={"item_id": item},
        files={"file": ("p.jpg", raw, "image/jpeg")},
    )
    assert r.status_code == 409  # no photos after submission


def test_stale_version_is_refused_with_the_current_one_named(world: dict[str, Any]) -> None:
    tid, answers = _answers(world, "ent1")
    with session_scope(world["settings"]) as db:
        from lantian.assist.selfchecks.services import new_template_version
        from lantian.auth.models import User

        admin = db.get(User, world["seeded"].user_ids["admin"])
        assert admin is not None
        old = db.get(ChecklistTemplate, tid)
        assert old is not None
        items = [
            {"id": i["code"], "text": i["text"], "basis": i["basis"], "when": i["when"]}
            for i in old.items
        ]
        new = new_template_version(db, admin, "steel", title=old.title, items=items[:-1])
        assert (new.template_id, new.version) == ("selfcheck-steel-v2", 2)
    r = _post(world, "ent1", "/api/self-checks", json={"template_id": tid, "answers": answers})
    assert r.status_code == 422 and "selfcheck-steel-v2" in r.text
    assert _get(world, "ent1", "/api/self-checks/template").json()["version"] == 2


def test_pages_read_as_chinese_and_the_editor_publishes_versions(world: dict[str, Any]) -> None:
    from tests._zh_scan import assert_clean_zh, html_text
    from tests.web.conftest import PASSWORD, login

    client = world["client"]
    with session_scope(world["settings"]) as db:
        sid = db.scalar(select(SelfCheck.self_check_id).where(SelfCheck.enterprise_id == "E1"))
        fid = db.scalar(select(SelfCheckFinding.finding_id))
    app = client.app
    ent = TestClient(app)
    with ent:
        login(ent, "ent1", PASSWORD)
        for url in (
            "/portal/self-checks",
            f"/portal/self-checks/{sid}",
            f"/self-check-findings/{fid}/rectification",
        ):
            r = ent.get(url)
            assert r.status_code == 200, url
            assert_clean_zh(html_text(r.text), where=url)
        assert ent.get("/self-checks", follow_redirects=False).status_code == 403
    wg = TestClient(app)
    with wg:
        csrf = login(wg, "wg", PASSWORD)
        for url in ("/self-checks", f"/self-checks/{sid}", "/self-checks/templates"):
            r = wg.get(url)
            assert r.status_code == 200, url
            assert_clean_zh(html_text(r.text), allow=("ts_city",), where=url)  # a user name
        listing = wg.get("/self-checks").text
        assert "石家庄水泥厂" in listing.split("到期应开展定期自查的企业")[1]  # never self-checked
        editor = wg.get("/self-checks/templates/printing")
        assert editor.status_code == 200 and "唐山印刷厂" in editor.text  # preview: who it fits
        # a bad condition is refused naming the item, nothing published
        form = {
            "csrf_token": csrf,
            "title": "印刷自查表",
            "rows": "2",
            "id_0": "PR-9",
            "text_0": "新检查项",
            "basis_0": "GB 37822-2019",
            "when_0": "{ colour = true }",
            "id_1": "",
            "text_1": "",
            "basis_1": "",
        }
        r = wg.post("/self-checks/templates/printing", data=form)
        assert r.status_code == 422 and "PR-9" in r.text and "colour" in r.text
        r = wg.post(
            "/self-checks/templates/printing",
            data={**form, "when_0": "{ has_treatment_meter = true }"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
    tpl = _get(world, "ent2", "/api/self-checks/template").json()
    assert (tpl["template_id"], tpl["version"]) == ("selfcheck-printing-v2", 2)
    assert [it["id"] for it in tpl["items"]] == ["PR-9"]  # E2 has a treatment meter
    city = TestClient(app)
    with city:
        csrf = login(city, "ts_city", PASSWORD)
        r = city.post(
            "/self-checks/templates/printing",
            data={**form, "csrf_token": csrf, "when_0": ""},
            follow_redirects=False,
        )
        assert r.status_code == 403  # templates are published by admins and work groups


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")
def test_pre_notification_pdf_carries_the_self_check_table(
    world: dict[str, Any], tmp_path: Any
) -> None:
    body = {
        "kind": "pre_notification",
        "title": "行政检查预告知",
        "body": "请开展自查。",
        "inspection_at": (now_cst() + timedelta(days=14)).isoformat(),
        "template_id": "selfcheck-cement-v1",
    }
    r = _post(world, "sjz_city", "/api/enterprises/E3/notices", json=body)
    assert r.status_code == 200, r.text
    pdf = _get(world, "sjz_city", f"/api/notices/{r.json()['notice_id']}.pdf")
    assert pdf.status_code == 200
    path = tmp_path / "n.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "水泥企业大气污染防治自查表" in text and "GB 4915-2013" in text
    # only the items that apply to E3 (as in the portal), not the whole template
    from lantian.assist.selfchecks.queries import registry_facts
    from lantian.assist.selfchecks.services import applicable_items
    from lantian.workflow.models import ChecklistTemplate

    with session_scope(world["settings"]) as db:
        tpl = db.get(ChecklistTemplate, "selfcheck-cement-v1")
        assert tpl is not None
        shown = applicable_items(tpl, registry_facts(db, ["E3"])["E3"])
        left_out = [it for it in tpl.items if it not in shown]
    flat = "".join(text.split())
    assert shown and left_out  # the fixture exercises both
    assert all("".join(str(it["text"]).split())[:14] in flat for it in shown)
    assert not any("".join(str(it["text"]).split())[:14] in flat for it in left_out)
