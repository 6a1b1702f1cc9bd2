"""Demo accounts beyond ``admin``/``officer``/``district``/``ent1``/``ent2``: a named
district officer for every district of the demo city, each with a 执法证号, so that the
city officer can dispatch every demo lead to an officer of its district.

The names and certificate numbers are invented (synthetic demo data). The certificate
number is the 6-digit administrative-division code of the district's enterprises
(characters 3-8 of their credit codes, GB 32100-2015 §4) followed by a 5-digit serial
number, a common shape of provincial 行政执法证 numbers (unverified: formats differ by
province).

References
----------
.. [1] GB 32100-2015, 法人和其他组织统一社会信用代码编码规则, §4.
.. [2] 国办发〔2024〕54号 关于严格规范涉企行政检查的意见 (inspections by staff holding a
       行政执法证件).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.service import create_user, set_password
from lantian.registry.models import Enterprise, Station

DISTRICT_OFFICERS: dict[str, tuple[str, str]] = {
    "城东区": ("district-chengdong", "王建国"),
    "城西区": ("district-chengxi", "李秀英"),
    "南湖区": ("district-nanhu", "张志强"),
    "北山区": ("district-beishan", "刘海燕"),
    "经开区": ("district-jingkai", "陈立新"),
    "高新区": ("district-gaoxin", "杨文博"),
    "河东区": ("district-hedong", "赵红梅"),
    "新城区": ("district-xincheng", "黄振华"),
}
"""District name of the demo city (:data:`lantian.demo.registry.DISTRICT_NAMES`) →
(user name, officer's name) of its demo district officer."""

CERTIFIED_DEMO_USERS: tuple[str, ...] = ("officer", "district")
"""Demo accounts of :func:`lantian.auth.service.seed_demo_users` that get a 执法证号 too."""


@dataclass(frozen=True)
class DemoOfficer:
    """A demo officer account: user name, name, district and 执法证号."""

    username: str
    display_name: str
    city: str
    district: str | None
    cert_no: str | None


def _districts(session: Session) -> list[tuple[str, str]]:
    """(city, district) of every enterprise and station with both set, sorted."""
    q = union(
        select(Enterprise.city, Enterprise.district).where(
            Enterprise.city.is_not(None), Enterprise.district.is_not(None)
        ),
        select(Station.city, Station.district).where(
            Station.city.is_not(None), Station.district.is_not(None)
        ),
    )
    return sorted((str(c), str(d)) for c, d in session.execute(q))


def _division_code(session: Session, city: str, district: str | None) -> str:
    """The most common 6-digit division code in the credit codes of the district's
    enterprises, else of the city's (a district with stations only), else "000000"."""
    code = func.substr(Enterprise.credit_code, 3, 6)
    for area in (district, None) if district is not None else (None,):
        q = select(code).where(Enterprise.city == city)
        if area is not None:
            q = q.where(Enterprise.district == area)
        row = session.execute(
            q.group_by(code).order_by(func.count().desc(), code).limit(1)
        ).scalar_one_or_none()
        text = str(row or "")
        if len(text) == 6 and text.isdigit():
            return text
    return "000000"


def seed_district_officers(session: Session, password: str) -> list[DemoOfficer]:
    """Create (or give ``password`` to) a district officer for every district of the demo
    city, and set 执法证号 for them and for ``officer`` and ``district`` (audited, through
    :func:`lantian.supervision.inspectors.services.import_certificates`).

    A district missing from :data:`DISTRICT_OFFICERS` gets ``district-<n>`` and a generic
    name. Returns the district officers in district order, then the certified demo
    accounts.
    """
    from lantian.supervision.inspectors.services import CertificateRow, import_certificates

    made: list[tuple[User, int]] = []
    for n, (city, district) in enumerate(_districts(session), start=1):
        username, name = DISTRICT_OFFICERS.get(district, (f"district-{n}", f"{district}执法员"))
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(
                session,
                None,
                username,
                password,
                "district_officer",
                display_name=name,
                city=city,
                district=district,
            )
        else:
            set_password(session, None, user, password)
        made.append((user, 10 + n))
    for serial, username in enumerate(CERTIFIED_DEMO_USERS, start=1):
        user = session.scalar(select(User).where(User.username == username))
        if user is not None:
            made.append((user, serial))
    rows = [
        CertificateRow(
            line=i,
            username=u.username,
            cert_no=f"{_division_code(session, u.city or '', u.district)}{serial:05d}",
            valid_until=None,
        )
        for i, (u, serial) in enumerate(made, start=2)
        if u.city
    ]
    import_certificates(session, None, rows, name="demo accounts")
    certs = {r.username: r.cert_no for r in rows}
    return [
        DemoOfficer(u.username, u.display_name, u.city or "", u.district, certs.get(u.username))
        for u, _serial in made
    ]


DEMO_EMAIL_DOMAIN = "demo.invalid"
"""Demo accounts get ``NAME@demo.invalid`` (RFC 2606: a domain that never resolves)."""


def demo_email(username: str) -> str:
    """The demo e-mail address of ``username``."""
    return f"{username}@{DEMO_EMAIL_DOMAIN}"


def seed_demo_notification_prefs(session: Session) -> int:
    """Give every account without notification preferences an e-mail address
    ``NAME@demo.invalid``, e-mail as a channel, quiet hours 22:00-07:00 CST and the daily
    digest at 07:00, so that the digest can be sent in the demo (``lantian digest --send``).
    Preferences a user already set are kept. Returns how many accounts were given them."""
    from lantian.notify.models import NotificationPreference
    from lantian.notify.preferences import set_prefs

    have = set(session.scalars(select(NotificationPreference.user_id)))
    n = 0
    for user in session.scalars(select(User).order_by(User.user_id)):
        if user.user_id in have:
            continue
        set_prefs(
            session,
            None,
            user,
            email=demo_email(user.username),
            phone=None,
            channels=["email"],
            quiet_start_h=22,
            quiet_end_h=7,
            digest=True,
            digest_hour=7,
        )
        n += 1
    return n


__all__ = [
    "CERTIFIED_DEMO_USERS",
    "DISTRICT_OFFICERS",
    "DemoOfficer",
    "demo_email",
    "seed_demo_notification_prefs",
    "seed_district_officers",
]
