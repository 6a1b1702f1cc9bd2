"""The first-responder rule and response-time state, table-driven; config validation;
photo metadata stripping."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lantian.assist.questions import rules
from lantian.assist.questions.config import QuestionsConfigError, load_config, parse_config
from lantian.assist.questions.photos import strip_jpeg, strip_png
from lantian.auth.errors import ValidationError
from lantian.timeutil import CST

ME, OTHER, THIRD = 1, 2, 3

DECIDE = [
    # action, owner, answered, actor, role, target -> outcome
    ("claim", None, False, ME, "district_officer", None, "ok"),
    ("claim", ME, False, ME, "district_officer", None, "noop"),
    ("claim", OTHER, False, ME, "district_officer", None, "conflict"),
    ("claim", OTHER, False, ME, "admin", None, "conflict"),  # even a supervisor
    ("claim", None, True, ME, "district_officer", None, "closed"),
    ("answer", None, False, ME, "district_officer", None, "ok"),  # first responder
    ("answer", ME, False, ME, "district_officer", None, "ok"),
    ("answer", OTHER, False, ME, "city_officer", None, "conflict"),
    ("answer", ME, True, ME, "district_officer", None, "closed"),
    ("transfer", ME, False, ME, "district_officer", OTHER, "ok"),
    ("transfer", ME, False, ME, "district_officer", None, "invalid"),
    ("transfer", ME, False, ME, "district_officer", ME, "invalid"),
    ("transfer", None, False, ME, "city_officer", OTHER, "invalid"),
    ("transfer", OTHER, False, ME, "district_officer", THIRD, "forbidden"),
    ("transfer", OTHER, False, ME, "city_officer", THIRD, "ok"),  # supervisor
    ("transfer", OTHER, False, ME, "work_group", THIRD, "ok"),
    ("transfer", OTHER, False, ME, "admin", OTHER, "invalid"),
    ("transfer", ME, True, ME, "district_officer", OTHER, "closed"),
]


@pytest.mark.parametrize(("action", "owner", "answered", "actor", "role", "target", "want"), DECIDE)
def test_decide(
    action: rules.Action,
    owner: int | None,
    answered: bool,
    actor: int,
    role: str,
    target: int | None,
    want: str,
) -> None:
    d = rules.decide(
        action,
        owner_id=owner,
        answered=answered,
        actor_id=actor,
        actor_role=role,
        target_id=target,
    )
    assert d.outcome == want
    assert d.allowed == (want in ("ok", "noop"))


T0 = datetime(2026, 12, 1, 9, tzinfo=CST)
DUE = T0 + timedelta(hours=24)
H = timedelta(hours=1)

TIMELINESS = [
    # now, answered_at -> timeliness, reminder due (never reminded), escalation level (2nd 24 h)
    (T0, None, "on_time", False, 0),
    (DUE - 5 * H, None, "on_time", False, 0),
    (DUE - 4 * H, None, "due_soon", True, 0),
    (DUE, None, "due_soon", True, 0),
    (DUE + H, None, "overdue", True, 1),
    (DUE + 24 * H, None, "overdue", True, 1),
    (DUE + 25 * H, None, "overdue", True, 2),
    (DUE + 25 * H, DUE, "on_time", False, 0),
    (DUE + 25 * H, DUE + H, "answered_late", False, 0),
]


@pytest.mark.parametrize(("now", "answered_at", "timely", "remind", "level"), TIMELINESS)
def test_time_state(
    now: datetime, answered_at: datetime | None, timely: str, remind: bool, level: int
) -> None:
    assert rules.timeliness(now, DUE, answered_at, 4) == timely
    assert rules.reminder_due(now, DUE, answered_at, None, 4) is remind
    assert rules.reminder_due(now, DUE, answered_at, T0, 4) is False  # reminded once only
    assert rules.escalation_due(now, DUE, answered_at, 24) == level


def test_default_targets_and_province_override(tmp_path: Path) -> None:
    cfg = load_config()
    assert cfg.default.response_hours == 24 and cfg.target("13").response_hours == 24
    f = tmp_path / "q.toml"
    f.write_text('[provinces."32"]\nresponse_hours = 8\nremind_before_hours = 2\n')
    cfg = load_config(f)
    assert cfg.target("32").response_hours == 8 and cfg.target("32").remind_before_hours == 2
    assert cfg.target("11").response_hours == 24


@pytest.mark.parametrize(
    ("doc", "names"),
    [
        ({"default": {"response_hours": 0}}, "default.response_hours"),
        ({"default": {"response_hours": 4, "remind_before_hours": 4}}, "remind_before_hours"),
        ({"provinces": {"Hebei": {"response_hours": 8}}}, "provinces.Hebei"),
        ({"provinces": {"13": {"respons_hours": 8}}}, "provinces.13: unknown key"),
        ({"defaults": {}}, "unknown table"),
        ({"default": {"response_hours": "24"}}, "default.response_hours"),
    ],
)
def test_bad_config_names_the_entry(doc: dict[str, object], names: str) -> None:
    from lantian.assist.questions.config import default_config

    with pytest.raises(QuestionsConfigError, match=names.replace(".", r"\.")):
        parse_config(doc, default_config())


JPEG = (
    b"\xff\xd8"
    + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"  # APP0 kept
    + b"\xff\xe1\x00\x0dExif\x00\x00GPS!!"  # APP1 EXIF dropped
    + b"\xff\xfe\x00\x06ABCD"  # comment dropped
    + b"\xff\xdb\x00\x04\x00\x01"  # DQT kept
    + b"\xff\xda\x00\x04\x00\x00\x12\x34\x56"  # SOS + data kept
    + b"\xff\xd9"
)


def test_jpeg_metadata_is_stripped_and_the_image_kept() -> None:
    out = strip_jpeg(JPEG)
    assert b"Exif" not in out and b"GPS" not in out and b"ABCD" not in out
    assert b"JFIF" in out and out.endswith(b"\x12\x34\x56\xff\xd9")
    assert out.startswith(b"\xff\xd8\xff\xe0")
    with pytest.raises(ValidationError):
        strip_jpeg(b"\xff\xd8\xff\xe1\xff\xff")  # a segment longer than the file


def _chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_png_text_and_exif_chunks_are_stripped() -> None:
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", bytes(13))
        + _chunk(b"tEXt", b"Author\x00someone")
        + _chunk(b"eXIf", b"MM\x00*GPS")
        + _chunk(b"IDAT", b"\x00\x01")
        + _chunk(b"IEND", b"")
    )
    out = strip_png(png)
    assert b"someone" not in out and b"GPS" not in out
    assert b"IHDR" in out and b"IDAT" in out and out.endswith(_chunk(b"IEND", b""))
