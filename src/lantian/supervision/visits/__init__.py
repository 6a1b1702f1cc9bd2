"""The visit register (行政检查): every on-site visit, its approval, check-in and record.

The functions other packages read (work-group scoring, the plan's caps) are re-exported
here: ``lantian.supervision.visits:service_visit_count`` and
``lantian.supervision.visits:count_onsite_visits`` (see :mod:`.services`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lantian.supervision.config import SupervisionConfig
    from lantian.supervision.visits.services import VisitCount


def count_onsite_visits(
    session: Session,
    enterprise_id: str,
    year: int,
    config: SupervisionConfig | None = None,
) -> VisitCount:
    """The enterprise's on-site visits of ``year`` (:func:`.services.count_onsite_visits`)."""
    from lantian.supervision.visits import services

    return services.count_onsite_visits(session, enterprise_id, year, config)


def service_visit_count(
    session: Session, officer_ids: frozenset[int], start: dt.datetime, end: dt.datetime
) -> float:
    """帮扶 service visits of the officers in ``[start, end)`` (see :mod:`.services`)."""
    from lantian.supervision.visits import services

    return services.service_visit_count(session, officer_ids, start, end)


__all__ = ["count_onsite_visits", "service_visit_count"]
