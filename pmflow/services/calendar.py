"""Writes to the working-day calendar the programme keeps (``WorkCalendarYear`` / ``WorkCalendarDay``):
loading the years chinesecalendar knows, importing a year's arrangement from a file, admin edits.
Every write clears this process's calendar cache (others re-read within ``CALENDAR_TTL_SECONDS``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext as _

from pmflow.errors import InvalidInput
from pmflow.models import WorkCalendarDay, WorkCalendarYear
from pmflow.workdays import workday_cache_clear

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _changed() -> None:
    workday_cache_clear()
    transaction.on_commit(workday_cache_clear)


def calendar_library_years() -> list[int]:
    """The years chinesecalendar has an arrangement for."""
    return sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})


@transaction.atomic
def calendar_load_from_library(*, years: Iterable[int] | None = None, replace: bool = False) -> list[int]:
    """Enter the arrangement of each year chinesecalendar knows (all by default) that is not entered
    yet (or every one with ``replace``). Returns the years entered."""
    wanted = set(years) if years is not None else set(calendar_library_years())
    known = set(calendar_library_years())
    entered = set(WorkCalendarYear.objects.values_list("year", flat=True))
    todo = sorted(y for y in wanted & known if replace or y not in entered)
    if not todo:
        return []
    rows: list[tuple[dt.date, str, str]] = []
    for table, kind in (
        (chinese_calendar.holidays, WorkCalendarDay.Kind.OFF),
        (chinese_calendar.workdays, WorkCalendarDay.Kind.ON),
    ):
        rows += [(day, kind, HOLIDAY_NAMES_ZH.get(str(name), str(name))) for day, name in table.items() if day.year in todo]
    _year_replace(years=todo, rows=rows, source=WorkCalendarYear.Source.LIBRARY, actor=None, note="chinesecalendar")
    return todo


def _year_replace(*, years: list[int], rows: list[tuple[dt.date, str, str]], source: str, actor: Any, note: str = "") -> None:
    WorkCalendarDay.objects.filter(date__year__in=years).delete()
    WorkCalendarDay.objects.bulk_create(WorkCalendarDay(date=d, kind=k, name=n) for d, k, n in rows)
    for year in years:
        WorkCalendarYear.objects.update_or_create(year=year, defaults={"source": source, "entered_by": actor, "note": note})
    _changed()


def calendar_rows_parse(text: str) -> list[tuple[dt.date, str, str]]:
    """Parse ``date,off|on[,name]`` lines (blank lines and ``#`` comments skipped). Raises InvalidInput
    naming the line."""
    rows: list[tuple[dt.date, str, str]] = []
    errors: list[str] = []
    seen: set[dt.date] = set()
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not record or not "".join(record).strip() or record[0].strip().startswith("#"):
            continue
        try:
            day = dt.date.fromisoformat(record[0].strip())
        except ValueError:
            errors.append(_("第 %(n)d 行：日期“%(v)s”格式应为 YYYY-MM-DD。") % {"n": number, "v": record[0].strip()})
            continue
        kind = record[1].strip().lower() if len(record) > 1 else ""
        if kind not in WorkCalendarDay.Kind.values:
            errors.append(_("第 %(n)d 行：类型应为 off（休息）或 on（调休上班）。") % {"n": number})
            continue
        if day in seen:
            errors.append(_("第 %(n)d 行：日期 %(d)s 重复。") % {"n": number, "d": day.isoformat()})
            continue
        seen.add(day)
        rows.append((day, kind, record[2].strip()[:40] if len(record) > 2 else ""))
    if errors:
        raise InvalidInput(fields={"file": errors})
    if not rows:
        raise InvalidInput(fields={"file": [_("文件中没有日期。")]})
    return rows


@transaction.atomic
def calendar_import(*, text: str, actor: Any = None, note: str = "") -> list[int]:
    """Enter the arrangement of every year the file covers (its days replace that year's days).
    Returns the years entered."""
    rows = calendar_rows_parse(text)
    years = sorted({d.year for d, _k, _n in rows})
    _year_replace(years=years, rows=rows, source=WorkCalendarYear.Source.IMPORT, actor=actor, note=note)
    return years


@transaction.atomic
def calendar_day_set(*, actor: Any, day: dt.date, kind: str, name: str = "") -> WorkCalendarDay:
    """Admin edit of one day. A year entered for the first time this way starts from
    chinesecalendar's arrangement when it knows the year, so nothing else of that year is lost."""
    if kind not in WorkCalendarDay.Kind.values:
        raise InvalidInput(fields={"kind": [_("类型应为 off（休息）或 on（调休上班）。")]})
    if not WorkCalendarYear.objects.filter(year=day.year).exists():
        if day.year in calendar_library_years():
            calendar_load_from_library(years=[day.year])
        else:
            WorkCalendarYear.objects.create(year=day.year, source=WorkCalendarYear.Source.ADMIN, entered_by=actor)
    obj, _created = WorkCalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": name})
    _changed()
    return obj


@transaction.atomic
def calendar_day_delete(*, day: dt.date) -> None:
    WorkCalendarDay.objects.filter(date=day).delete()
    _changed()
