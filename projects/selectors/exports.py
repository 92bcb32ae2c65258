"""Exports: the portfolio as CSV (streamed) or XLSX, and a user's due dates as iCalendar.
Each export reads with a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pmflow.portfolio_version import current_version
from projects.models import FundingAward, PMTeamMembership, Project


def _portfolio_rows(qs: models.QuerySet[Project]) -> models.QuerySet[Project]:
    """The projects with their awarded / released sums and next due milestone, in one query."""
    from milestones.models import Milestone, TrancheRelease

    awarded = (
        FundingAward.objects.filter(project_id=OuterRef("pk"), status="active")
        .order_by()
        .values("project_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    released = (
        TrancheRelease.objects.filter(milestone__project_id=OuterRef("pk"))
        .order_by()
        .values("milestone__project_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    next_due = Milestone.objects.filter(
        project_id=OuterRef("pk"), status__in=("planned", "in_progress", "submitted", "in_review", "on_hold")
    ).order_by("current_due")
    dec = models.DecimalField(max_digits=16, decimal_places=2)
    return (
        qs.select_related("field__direction", "field__tier", "pm_team", "performer", "lead")
        .annotate(
            x_awarded=Coalesce(Subquery(awarded, output_field=dec), Decimal(0), output_field=dec),
            x_released=Coalesce(Subquery(released, output_field=dec), Decimal(0), output_field=dec),
            x_next_title=Subquery(next_due.values("title")[:1]),
            x_next_due=Subquery(next_due.values("current_due")[:1]),
        )
        .order_by("code")
    )


def portfolio_headers() -> list[str]:
    return [
        _("项目编号"),
        _("项目名称"),
        _("方向"),
        _("领域"),
        _("梯次"),
        _("项目经理团队"),
        _("承担单位"),
        _("项目负责人"),
        _("状态"),
        _("健康度"),
        _("预算（元）"),
        _("已支持金额（元）"),
        _("已拨付金额（元）"),
        _("计划开始"),
        _("计划结束"),
        _("下一里程碑"),
        _("下一截止日"),
        _("非共识通道"),
    ]


def _row(p: Project) -> list[Any]:
    return [
        p.code,
        p.title,
        p.field.direction.name,
        p.field.name,
        p.field.tier.name,
        p.pm_team.name,
        p.performer.name,
        str(p.lead),
        p.get_status_display(),
        p.get_health_display(),
        p.budget,
        p.x_awarded,
        p.x_released,
        p.planned_start,
        p.planned_end,
        p.x_next_title or "",
        p.x_next_due or "",
        _("是") if p.non_consensus_track else _("否"),
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def portfolio_csv_rows(qs: models.QuerySet[Project]) -> Iterator[str]:
    """CSV lines (UTF-8 with a BOM so spreadsheet programs read the Chinese), streamed from one query."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(portfolio_headers())
    for project in _portfolio_rows(qs).iterator(chunk_size=500):
        yield writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in _row(project)])


def portfolio_xlsx(qs: models.QuerySet[Project]) -> bytes:
    """The same table as an XLSX workbook (openpyxl, write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_("项目组合")[:31])
    bold = Font(bold=True)
    header = []
    for title in portfolio_headers():
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for project in _portfolio_rows(qs).iterator(chunk_size=500):
        ws.append([float(v) if isinstance(v, Decimal) else v for v in _row(project)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- iCalendar ------------------------------------------------------------------------------------------
CALENDAR_MILESTONE_STATES = ("planned", "in_progress", "submitted", "in_review", "on_hold", "passed_with_conditions")
CALENDAR_GATE_STATES = ("scheduled", "open", "closed")
#: the feed's window around today: due dates further back or ahead are left out (calendar clients
#: poll the feed; a whole portfolio's history made it megabytes)
CALENDAR_DAYS_BACK = 90
CALENDAR_DAYS_AHEAD = 365


def calendar_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=CALENDAR_DAYS_BACK), today + dt.timedelta(days=CALENDAR_DAYS_AHEAD)


def calendar_events(user: Any, *, today: dt.date | None = None) -> tuple[list[Any], list[Any]]:
    """(milestones, gate reviews) whose due dates belong in ``user``'s calendar: milestones of the
    projects of their PM teams or that they lead; gates they chair or review (not recused); due within
    ``calendar_window``. Two queries."""
    from milestones.models import GateReview, Milestone, ReviewerAssignment

    start, end = calendar_window(today)
    member = Exists(PMTeamMembership.objects.filter(team_id=OuterRef("project__pm_team_id"), user_id=user.pk))
    milestones = list(
        Milestone.objects.filter(
            member | Q(project__lead_id=user.pk),
            status__in=CALENDAR_MILESTONE_STATES,
            current_due__gte=start,
            current_due__lte=end,
        )
        .select_related("project")
        .order_by("current_due", "id")
    )
    reviewer = Exists(ReviewerAssignment.objects.filter(gate_id=OuterRef("pk"), reviewer_id=user.pk).exclude(has_conflict=True))
    gates = list(
        GateReview.objects.filter(
            reviewer | Q(chair_id=user.pk), status__in=CALENDAR_GATE_STATES, due_date__gte=start, due_date__lte=end
        )
        .select_related("project", "milestone")
        .order_by("due_date", "id")
    )
    return milestones, gates


@dataclass(frozen=True)
class CalendarFeed:
    """A user's feed as served: the body, its entity tag and when it was built."""

    body: bytes
    etag: str
    built_at: dt.datetime


def calendar_etag(user: Any, *, site_url: str = "", today: dt.date | None = None) -> str | None:
    """The entity tag of ``user``'s feed now, or None where there is no data version (not PostgreSQL,
    or inside a transaction). It names everything the body depends on: the portfolio data version
    (every table the feed reads moves it, ``milestones/migrations/0102_pagespeed_calendar_version.py``),
    the user, the day (the window and the statuses move with it), the site URL and the language.
    One query (the version)."""
    version = current_version()
    if version is None:
        return None
    today = today or timezone.localdate()
    key = f"{version}|{user.pk}|{user}|{today.isoformat()}|{site_url}|{get_language()}"
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def calendar_feed(user: Any, *, site_url: str = "", etag: str | None = None) -> CalendarFeed:
    """``user``'s feed: from the shared cache when a body was built under the same entity tag, else
    built (two queries) and stored. ``etag`` is ``calendar_etag``'s answer (None: build, never cache)."""
    if etag is None:
        return CalendarFeed(body=calendar_build(user, site_url=site_url), etag="", built_at=timezone.now())
    key = f"pmflow:ical:{user.pk}:{etag.strip(chr(34))}"
    found = cache.get(key)
    if found is not None:
        return CalendarFeed(body=found[1], etag=etag, built_at=found[0])
    built_at = timezone.now().replace(microsecond=0)
    body = calendar_build(user, site_url=site_url)
    cache.set(key, (built_at, body), CALENDAR_CACHE_SECONDS)
    return CalendarFeed(body=body, etag=etag, built_at=built_at)


#: a cached body lives at most this long (its tag changes with the data or the day anyway)
CALENDAR_CACHE_SECONDS = 24 * 3600


def calendar_build(user: Any, *, site_url: str = "") -> bytes:
    """The iCalendar document (all-day events on each due date) for ``user``'s private feed."""
    from django.urls import reverse
    from icalendar import Calendar, Event

    milestones, gates = calendar_events(user)
    cal = Calendar()
    cal.add("prodid", "-//pmflow//milestones and gate reviews//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("pmflow 截止日期 · %(user)s") % {"user": user})
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = timezone.now()
    for m in milestones:
        event = Event()
        event.add("uid", f"milestone-{m.pk}@pmflow")
        event.add("dtstamp", stamp)
        event.add("dtstart", m.current_due)
        event.add("dtend", m.current_due + dt.timedelta(days=1))
        event.add(
            "summary",
            _("里程碑截止：%(code)s M%(seq)s %(title)s") % {"code": m.project.code, "seq": m.sequence, "title": m.title},
        )
        event.add(
            "description", _("项目：%(project)s；状态：%(state)s") % {"project": m.project, "state": m.get_status_display()}
        )
        event.add("url", site_url + reverse("projects:detail", args=[m.project_id]))
        event.add("categories", ["milestone"])
        cal.add_component(event)
    for g in gates:
        event = Event()
        event.add("uid", f"gate-{g.pk}@pmflow")
        event.add("dtstamp", stamp)
        event.add("dtstart", g.due_date)
        event.add("dtend", g.due_date + dt.timedelta(days=1))
        event.add("summary", _("评审截止：%(gate)s") % {"gate": g})
        event.add("description", _("%(kind)s；状态：%(state)s") % {"kind": g.get_kind_display(), "state": g.get_status_display()})
        event.add("categories", ["review"])
        cal.add_component(event)
    return cal.to_ical()
