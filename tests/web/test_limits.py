"""Request limits: body size, multipart parts, files per request, file size, proxies."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import PNG_BYTES, Seeded, bearer

import lantian.workflow.files as wf
from lantian.web.app import create_app
from lantian.web.limits import MAX_FILES_PER_REQUEST, _PartCounter

Login = Callable[[str], tuple[TestClient, str]]


def test_more_files_than_the_limit_are_refused_with_a_clear_error(client: TestClient) -> None:
    auth = bearer(client, "lb_district")
    files = [("files", (f"p{i}.png", PNG_BYTES, "image/png")) for i in range(21)]
    r = client.post("/api/cases/999/attachments", files=files, headers=auth)
    assert r.status_code == 422
    assert f"{MAX_FILES_PER_REQUEST}" in r.json()["detail"] and "21" in r.json()["detail"]
    # at the limit the request passes the check (and meets the missing case)
    r = client.post("/api/cases/999/attachments", files=files[:20], headers=auth)
    assert r.status_code == 404


def test_an_oversized_file_is_refused_before_it_is_read(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = bearer(client, "lb_district")
    monkeypatch.setattr(wf, "MAX_UPLOAD_BYTES", 1000)
    read_sizes: list[int] = []
    from starlette.datastructures import UploadFile

    real_read = UploadFile.read

    async def spy(self: UploadFile, size: int = -1) -> bytes:
        read_sizes.append(self.size or 0)
        return await real_read(self, size)

    monkeypatch.setattr(UploadFile, "read", spy)
    big = PNG_BYTES + bytes(5000)
    r = client.post(
        "/api/cases/999/attachments", files={"files": ("big.png", big, "image/png")}, headers=auth
    )
    assert r.status_code == 422 and "big.png" in r.json()["detail"]
    assert read_sizes == []  # never read into memory


def test_an_oversized_form_body_is_refused(client: TestClient) -> None:
    r = client.post("/login", content=b"a" * (2 * 1024 * 1024), headers={"Content-Type": "x/y"})
    assert r.status_code == 413


def test_part_counter_counts_delimiters_split_across_chunks() -> None:
    body = b"".join(b"--bnd\r\nx\r\n" for _ in range(7)) + b"--bnd--\r\n"
    for step in (1, 2, 3, 5, 64):
        c = _PartCounter(b"bnd")
        for i in range(0, len(body), step):
            c.feed(body[i : i + step])
        assert c.parts == 7, step


@pytest.mark.parametrize(
    ("trusted", "peer", "expected"),
    [
        ("", "127.0.0.1", "127.0.0.1"),  # no proxies configured: the header is ignored
        ("10.0.0.0/8", "127.0.0.1", "127.0.0.1"),  # a peer outside the list is not believed
        ("127.0.0.1", "127.0.0.1", "203.0.113.9"),  # a configured proxy is believed
        ("10.0.0.0/8,::1", "10.1.2.3", "203.0.113.9"),  # CIDRs
    ],
)
def test_x_forwarded_for_is_believed_only_from_trusted_proxies(
    seeded_sqlite: Seeded, trusted: str, peer: str, expected: str
) -> None:
    settings = seeded_sqlite.settings.model_copy(update={"trusted_proxies": trusted})
    app = create_app(settings)
    seen: list[str] = []

    from lantian.web.api import auth as api_auth

    real = api_auth.client_ip

    def spy(request: object) -> str:
        ip = real(request)  # type: ignore[arg-type]
        seen.append(ip)
        return ip

    import anyio

    async def go() -> None:
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            await c.post(
                "/api/auth/token",
                data={"username": "nobody", "password": "x"},
                headers={"X-Forwarded-For": "203.0.113.9"},
            )

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(api_auth, "client_ip", spy)
        anyio.run(go)
    assert seen == [expected]


def test_trusted_proxies_setting_is_validated() -> None:
    from pydantic import ValidationError

    from lantian.settings import Settings

    with pytest.raises(ValidationError, match="not an IP address or CIDR"):
        Settings(trusted_proxies="proxy.example")
