"""Downloads have Chinese file names (RFC 5987 ``filename*`` with an ASCII fallback) and
the enterprise workbook reads as Chinese."""

from __future__ import annotations

import io
from urllib.parse import quote, unquote

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests._zh_scan import assert_clean_zh
from tests.web.conftest import bearer

from lantian.web.api.exports import content_disposition


def test_content_disposition_follows_rfc_5987() -> None:
    value = content_disposition("问题线索清单_20250108.xlsx", "leads.xlsx")
    assert value == (
        "attachment; filename=\"leads.xlsx\"; filename*=UTF-8''"
        + quote("问题线索清单_20250108.xlsx", safe="")
    )
    assert 'filename="a_b.pdf"' in content_disposition('a"b.pdf')


def test_every_export_has_a_chinese_file_name(client: TestClient) -> None:
    h = bearer(client, "admin")
    expected = {
        "/api/exports/leads.xlsx": ("leads.xlsx", "问题线索清单_"),
        "/api/exports/cases.xlsx": ("cases.xlsx", "案件清单_"),
        "/api/exports/ledger.xlsx": ("ledger.xlsx", "督办台账_"),
        "/api/exports/ledger.xlsx?state=all": ("ledger.xlsx", "督办台账_"),
        "/api/exports/enterprises.xlsx": ("enterprises.xlsx", "企业_"),
    }
    for url, (ascii_name, prefix) in expected.items():
        r = client.get(url, headers=h)
        assert r.status_code == 200, url
        disposition = r.headers["content-disposition"]
        assert disposition.startswith(f'attachment; filename="{ascii_name}"; '), disposition
        name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
        assert name.startswith(prefix) and name.endswith(".xlsx"), (url, name)


def test_enterprise_workbook_is_chinese(client: TestClient) -> None:
    h = bearer(client, "admin")
    data = client.get("/api/exports/enterprises.xlsx", headers=h).content
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert_clean_zh(text, where="enterprises.xlsx")
    assert "钢铁" in text and "B级" in text


def test_api_vocab_lists_every_vocabulary(client: TestClient) -> None:
    assert client.get("/api/vocab").status_code == 401
    body = client.get("/api/vocab", headers=bearer(client, "ent1")).json()
    families = {t["code"]: t for t in body["vocabularies"]["lead_family"]}
    assert families["PINNED"] == {
        "code": "PINNED",
        "zh": "数据压线",
        "en": "Pinned under the limit",
        "unit": None,
    }
    pollutants = {t["code"]: t for t in body["vocabularies"]["pollutant"]}
    assert pollutants["a21002"]["zh"] == "氮氧化物" and pollutants["a21002"]["unit"] == "mg/m³"
    assert [t["zh"] for t in body["vocabularies"]["severity"]] == ["低", "中", "高"]
    rules = {r["code"]: r for r in body["rules"]}
    assert rules["CEMS-EXCEED"]["title_zh"] == "折算浓度超标"
