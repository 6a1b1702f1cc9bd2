"""Surveys (invitation on case close, anonymity, results) and work-group scoring (sums,
未接入 terms, scope), through the API and the pages."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from tests.assist.consultation_world import world
from tests.web.case_driver import drive_case

from lantian.assist.scoring.compute import normalise, score_period
from lantian.assist.scoring.config import ScoringConfigError, load_config, parse_config
from lantian.assist.surveys import services as ss
from lantian.assist.surveys.models import SurveyInvitation, SurveyResponse
from lantian.auth.models import AuditLog
from lantian.timeutil import now_cst

USERNAMES = ("ts_city", "ent1", "lb_district", "ln_district", "admin", "sjz_city")
ANSWERS = {"overall": 5, "attitude": 4, "timeliness": 5, "helpfulness": 4, "comment": "很好"}


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with world(tmp_path_factory.mktemp("surveys")) as ctx:
        yield ctx


@pytest.fixture(autouse=True)
def _keep_home(w: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from lantian.settings import get_settings

    monkeypatch.setenv("LANTIAN_HOME", str(w["settings"].home))
    get_settings.cache_clear()


def _invitation_of_case(w: dict[str, Any], case_id: int) -> SurveyInvitation:
    with w["session"]() as db:
        inv = db.scalar(
            select(SurveyInvitation).where(
                SurveyInvitation.kind == "case", SurveyInvitation.object_id == str(case_id)
            )
        )
        assert inv is not None, "closing the case did not invite its enterprise"
        db.expunge(inv)
        return inv


def test_closed_case_invites_and_an_anonymous_answer_keeps_no_link(w: dict[str, Any]) -> None:
    case_id = drive_case(w["seeded"], "closed")
    inv = _invitation_of_case(w, case_id)
    ids = w["seeded"].user_ids
    assert inv.enterprise_id == "E1" and ids["lb_district"] in inv.officer_ids
    ent, h = w["api"]("ent1")
    listed = ent.get("/api/surveys/invitations", headers=h).json()["items"]
    assert inv.invitation_id in [i["invitation_id"] for i in listed]
    other, h2 = w["api"]("ent2")
    url = f"/api/surveys/invitations/{inv.invitation_id}/response"
    assert other.post(url, json={"answers": ANSWERS}, headers=h2).status_code == 404
    # a required answer missing, or out of range: refused, nothing stored
    bad = {k: v for k, v in ANSWERS.items() if k != "attitude"}
    assert ent.post(url, json={"answers": bad}, headers=h).status_code == 422
    bad = {**ANSWERS, "overall": 7}
    assert ent.post(url, json={"answers": bad}, headers=h).status_code == 422
    r = ent.post(url, json={"answers": ANSWERS, "anonymous": True}, headers=h)
    assert r.status_code == 201 and "response_id" not in r.json()
    assert ent.post(url, json={"answers": ANSWERS}, headers=h).status_code == 409
    with w["session"]() as db:
        anon = db.scalars(select(SurveyResponse).where(SurveyResponse.anonymous.is_(True))).all()
        assert len(anon) == 1
        a = anon[0]
        assert a.enterprise_id is None and a.invitation_id is None and a.responded_at is None
        assert a.period == f"{now_cst():%Y-%m}" and a.overall == pytest.approx(4.5)
        # nothing else in the database names the response
        rows = db.execute(select(AuditLog.before, AuditLog.after, AuditLog.note)).all()
        assert all(a.response_id not in str(row) for row in rows)
        # the CHECK constraint refuses an anonymous row that keeps the enterprise
        sql = "UPDATE survey_responses SET enterprise_id = 'E1' WHERE response_id = :r"
        with pytest.raises(Exception), db.begin_nested():  # noqa: B017 (either backend's error)
            db.execute(text(sql), {"r": a.response_id})


def test_named_answer_is_linked_and_results_hide_small_anonymous_groups(
    w: dict[str, Any],
) -> None:
    ids = w["seeded"].user_ids
    with w["session"]() as db:
        inv = ss.invite(db, "E1", "visit", "V-1", [ids["lb_district"]])
        assert inv is not None
        again = ss.invite(db, "E1", "visit", "V-1", [ids["lb_district"]])
        assert again is not None and again.invitation_id == inv.invitation_id
        inv_id = inv.invitation_id
    ent, h = w["api"]("ent1")
    r = ent.post(
        f"/api/surveys/invitations/{inv_id}/response",
        json={"answers": {"overall": 3, "attitude": 3, "timeliness": 3, "helpfulness": 3}},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["response_id"]
    ts, th = w["api"]("ts_city")
    period = f"{now_cst():%Y-%m}"
    res = ts.get(f"/api/surveys/results?period={period}", headers=th).json()
    kinds = {g["key"]: g for g in res["kind"]}
    assert kinds["visit"]["overall"] == 3.0 and not kinds["visit"]["suppressed"]
    assert kinds["case"]["suppressed"] and kinds["case"]["overall"] is None  # 1 anonymous
    district = {g["label"]: g for g in res["district"]}["唐山市路北区"]
    assert district["responses"] == 2 and district["suppressed"]
    sjz, sh = w["api"]("sjz_city")
    assert sjz.get(f"/api/surveys/results?period={period}", headers=sh).json()["kind"] == []
    assert ent.get(f"/api/surveys/results?period={period}", headers=h).status_code == 403


def _contrib_sums(body: dict[str, Any]) -> None:
    for row in body["rows"]:
        total = sum(t["contribution"] for t in row["terms"])
        assert row["score"] == pytest.approx(total, abs=1e-9), row["team"]
        fed = [t for t in row["terms"] if t["weight"] is not None]
        if fed:
            assert sum(t["weight_share"] for t in fed) == pytest.approx(1.0, abs=1e-3)


def test_scores_explain_every_term_and_add_up(w: dict[str, Any]) -> None:
    ent, eh = w["api"]("ent1")
    q = ent.post("/api/questions", json={"text": "评分测试"}, headers=eh).json()["question_id"]
    lb, lh = w["api"]("lb_district")
    assert lb.post(f"/api/questions/{q}/answer", json={"text": "好"}, headers=lh).status_code == 200
    admin, ah = w["api"]("admin")
    period = f"{now_cst():%Y-%m}"
    body = admin.get(f"/api/scores?period={period}", headers=ah).json()
    _contrib_sums(body)
    rows = {r["team"]: r for r in body["rows"]}
    lb_team = rows["district:/唐山市/路北区"]
    terms = {t["name"]: t for t in lb_team["terms"]}
    assert terms["questions_on_time"]["value"] == 1.0
    assert terms["questions_on_time"]["label"] == "按时答复咨询"
    assert terms["survey_results"]["value"] == pytest.approx((4.5 + 3.0) / 2)
    for t in terms.values():
        assert {"name", "value", "weight", "label", "normalisation", "contribution"} <= set(t)
    # another city's officer sees only its own city's teams; enterprises none
    sjz, sh = w["api"]("sjz_city")
    theirs = sjz.get(f"/api/scores?period={period}", headers=sh).json()["rows"]
    assert [r["team"] for r in theirs] == ["city:/石家庄市/"]
    assert ent.get(f"/api/scores?period={period}", headers=eh).status_code == 403
    assert admin.get("/api/scores?period=2026-13", headers=ah).status_code == 422
    assert admin.get("/api/scores?period=26-1", headers=ah).status_code == 422


def test_a_source_that_cannot_be_imported_is_not_fed_never_zero(
    w: dict[str, Any], tmp_path: Path
) -> None:
    cfg = parse_config(
        {
            "version": "t",
            "terms": [
                {"name": "answered", "group": "assistance", "zh": "按时答复", "en": "On time",
                 "source": "lantian.assist.questions.queries:answered_on_time_count",
                 "weight": 30, "normalisation": "max"},
                {"name": "visits", "group": "assistance", "zh": "帮扶服务", "en": "Visits",
                 "source": "lantian.no_such_module_here:service_visit_count",
                 "weight": 70, "normalisation": "max"},
            ],
        }
    )  # fmt: skip
    with w["session"]() as db:
        admin = w["user"](db, "admin")
        p = score_period(db, admin, f"{now_cst():%Y-%m}", config=cfg)
    assert p.term_status == {"answered": "fed", "visits": "not_fed"}
    for r in p.rows:
        visits = next(t for t in r.terms if t.spec.name == "visits")
        assert visits.value is None and visits.weight is None and visits.contribution == 0
        answered = next(t for t in r.terms if t.spec.name == "answered")
        assert answered.weight == 30 and answered.weight_share == 1.0
        assert r.score == pytest.approx(100 * answered.normalised, abs=0.01)
    best = max(p.rows, key=lambda r: r.score)
    assert best.score == 100.0  # the team with the most on-time answers


def test_pages_and_workbooks(w: dict[str, Any]) -> None:
    from openpyxl import load_workbook
    from tests._zh_scan import assert_clean_zh, html_text
    from tests.web.conftest import login

    app = w["app"]
    from fastapi.testclient import TestClient

    period = f"{now_cst():%Y-%m}"
    with TestClient(app) as c:
        login(c, "ts_city")
        for url in ("/questions", "/questions?queue=answered", "/faq", f"/scores?period={period}",
                    f"/surveys?period={period}"):  # fmt: skip
            r = c.get(url)
            assert r.status_code == 200, url
            assert_clean_zh(html_text(r.text), allow=USERNAMES, where=url)
        r = c.get(f"/scores.xlsx?period={period}")
        assert r.status_code == 200
        wb = load_workbook(io.BytesIO(r.content))
        cells = [str(v) for row in wb.active.iter_rows(values_only=True) for v in row if v]
        assert "按时答复咨询" in cells and "唐山市路北区分局" in cells
        r = c.get(f"/surveys/results.xlsx?period={period}")
        assert r.status_code == 200 and load_workbook(io.BytesIO(r.content)).active.max_row >= 2
    with TestClient(app) as c:
        login(c, "ent1")
        for url in ("/questions", "/surveys", "/faq"):
            r = c.get(url)
            assert r.status_code == 200, url
            assert_clean_zh(html_text(r.text), allow=USERNAMES, where=url)
        assert c.get("/scores", follow_redirects=False).status_code == 403


@pytest.mark.parametrize(
    ("kind", "value", "maximum", "want"),
    [
        ("max", 3, 6, 0.5),
        ("max", 0, 0, 0.0),
        ("max", None, 6, 0.0),
        ("inverse_max", 2, 8, 0.75),
        ("inverse_max", 0, 0, 1.0),
        ("ratio", 0.8, 0, 0.8),
        ("ratio", 1.3, 0, 1.0),
        ("scale5", 4, 0, 0.8),
    ],
)
def test_normalise(kind: str, value: float | None, maximum: float, want: float) -> None:
    assert normalise(kind, value, maximum) == pytest.approx(want)


@pytest.mark.parametrize(
    ("term", "message"),
    [
        ({"weight": 0}, "weight"),
        ({"weight": "10"}, "weight"),
        ({"normalisation": "log"}, "normalisation"),
        ({"source": "not a path"}, "source"),
        ({"group": "other"}, "group"),
        ({"extra": 1}, "unknown key"),
    ],
)
def test_bad_scoring_config_names_the_entry(term: dict[str, Any], message: str) -> None:
    base = {"name": "t1", "group": "findings", "zh": "甲", "en": "A",
            "source": "a.b:c", "weight": 1, "normalisation": "max"}  # fmt: skip
    with pytest.raises(ScoringConfigError, match=message):
        parse_config({"version": "x", "terms": [{**base, **term}]})
    assert len(load_config().terms) == 9


def test_shipped_config_names_the_other_developers_sources() -> None:
    sources = {t.source for t in load_config().terms}
    assert {
        "lantian.assist.selfchecks.queries:reviewed_count",
        "lantian.supervision.visits:service_visit_count",
        "lantian.assist.training.queries:training_hours_delivered",
    } <= sources
