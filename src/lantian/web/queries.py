"""Query-string models of the list pages and APIs, converted to the workflow filters.

The SQL lives in ONE place, :mod:`lantian.workflow.queries`; this module only validates
what the browser or API client sends (types, ranges, vocabularies) so a bad value is a
422, and converts dates given in CST into the half-open window the query layer expects.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from lantian.registry.vocab import GRADES, STORED_LEAD_FAMILIES
from lantian.timeutil import CST
from lantian.workflow.queries import CaseFilters, LeadFilters
from lantian.workflow.states import STATE_CODES

LEAD_STATUSES: tuple[str, ...] = STATE_CODES
"""Lead status filter: the workflow status (``new`` = not in a case yet)."""
LEAD_SORT_KEYS: tuple[str, ...] = (
    "-detected_at",
    "detected_at",
    "-start",
    "start",
    "-severity",
    "severity",
    "-score",
    "score",
    "enterprise",
    "-enterprise",
    "rule",
)
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000
"""Largest paging offset (a bigger one is a 422, not a database overflow)."""
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(2200, 12, 31)
"""Range of date filters (far dates are a 422, not an overflow in date arithmetic)."""

LeadSort = Literal[LEAD_SORT_KEYS]  # type: ignore[valid-type]
Family = Literal[STORED_LEAD_FAMILIES]  # type: ignore[valid-type]
Status = Literal[LEAD_STATUSES]  # type: ignore[valid-type]
Grade = Literal[GRADES]  # type: ignore[valid-type]


class _BlankIsNone(BaseModel):
    """Query models in which an empty form field (``family=``) means "not set"."""

    @model_validator(mode="before")
    @classmethod
    def _blank_to_none(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v not in ("", None)}
        return data


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(), CST)


class LeadQuery(_BlankIsNone):
    """Filters, sorting and paging of the lead list (all optional)."""

    city: str | None = Field(None, max_length=64, description="city (region)")
    district: str | None = Field(None, max_length=64, description="district")
    family: Family | None = Field(None, description="lead family, e.g. EXCEEDANCE")
    rule: str | None = Field(None, max_length=64, description="rule code, e.g. CEMS-EXCEED")
    severity: int | None = Field(None, ge=1, le=3, description="1 (low) … 3 (high)")
    status: Status | None = Field(None, description="workflow status; new = not dispatched")
    enterprise_id: str | None = Field(None, max_length=64, description="enterprise id")
    grade: Grade | None = Field(None, description="performance grade A, B, B-, C, D, L")
    positive_list: bool | None = Field(None, description="enterprise on the positive list")
    date_from: date | None = Field(
        None, ge=MIN_DATE, le=MAX_DATE, description="episode starts on or after (CST)"
    )
    date_to: date | None = Field(
        None, ge=MIN_DATE, le=MAX_DATE, description="episode starts on or before (CST)"
    )
    q: str | None = Field(None, max_length=100, description="text in summary or enterprise name")
    sort: LeadSort = Field("-start", description="sort key; '-' = descending")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def to_filters(self) -> LeadFilters:
        """The equivalent :class:`lantian.workflow.queries.LeadFilters`."""
        return LeadFilters(
            city=self.city or None,
            district=self.district or None,
            family=self.family or None,
            severity=self.severity,
            status=self.status or None,
            enterprise_id=self.enterprise_id or None,
            grade=self.grade or None,
            positive_list=self.positive_list,
            rule=self.rule or None,
            date_from=_day_start(self.date_from) if self.date_from else None,
            date_to=_day_start(self.date_to + timedelta(days=1)) if self.date_to else None,
            q=(self.q or "").strip() or None,
            sort=self.sort,
            limit=self.limit,
            offset=self.offset,
        )

    def active_filters(self) -> dict[str, str]:
        """The filters that are set, as query-string values (for links and exports)."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            if name in ("limit", "offset"):
                continue
            v = getattr(self, name)
            if v is None or v == "" or (name == "sort" and v == "-start"):
                continue
            out[name] = str(v).lower() if isinstance(v, bool) else str(v)
        return out


CASE_SORT_KEYS: tuple[str, ...] = (
    "-updated_at",
    "updated_at",
    "-created_at",
    "deadline",
    "rectify_deadline",
    "-severity",
    "-closed_at",
    "case_id",
)


class CaseQuery(_BlankIsNone):
    """Filters, sorting and paging of the case list."""

    status: Status | None = None
    city: str | None = Field(None, max_length=64)
    district: str | None = Field(None, max_length=64)
    enterprise_id: str | None = Field(None, max_length=64)
    fix_path: Literal["immediate_fix", "supervision_order"] | None = None
    family: Family | None = None
    overdue: bool | None = None
    open_only: bool = False
    sort: Literal[CASE_SORT_KEYS] = "-updated_at"  # type: ignore[valid-type]
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def to_filters(self) -> CaseFilters:
        """The equivalent :class:`lantian.workflow.queries.CaseFilters`."""
        return CaseFilters(
            status=self.status or None,
            city=self.city or None,
            district=self.district or None,
            enterprise_id=self.enterprise_id or None,
            fix_path=self.fix_path or None,
            family=self.family or None,
            overdue=self.overdue,
            open_only=self.open_only,
            sort=self.sort,
            limit=self.limit,
            offset=self.offset,
        )

    def active_filters(self) -> dict[str, str]:
        """The filters that are set, as query-string values."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            if name in ("limit", "offset"):
                continue
            v = getattr(self, name)
            if v is None or v == "" or v is False or (name == "sort" and v == "-updated_at"):
                continue
            out[name] = str(v).lower() if isinstance(v, bool) else str(v)
        return out
