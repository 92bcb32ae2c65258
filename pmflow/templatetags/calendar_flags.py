"""Template tags for the "no calendar data" flag: a date in a year without an entered holiday
arrangement, and the years still missing one."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from pmflow.workdays import date_is_provisional, years_without_arrangement

register = template.Library()

#: how many years ahead the admin home page checks (the next year's arrangement is published in November)
YEARS_AHEAD = 1


@register.filter
def provisional(day: dt.date | None) -> bool:
    """``{% if due|provisional %}``: the date falls in a year without an arrangement."""
    return date_is_provisional(day)


@register.simple_tag
def provisional_flag(day: dt.date | None) -> str:
    """``{% provisional_flag due %}``: a small ⚠ after a computed date that falls in a year without
    an arrangement (the date may move once the year is entered); nothing otherwise. A lookup in the
    process's calendar copy, no query per date."""
    if not date_is_provisional(day):
        return ""
    title = _("该年度节假日安排尚未录入")
    return format_html(' <span class="calendar-provisional" title="{}" aria-label="{}">⚠</span>', title, title)


@register.simple_tag
def calendar_missing_years() -> list[int]:
    today = timezone.localdate()
    return years_without_arrangement(today.year, today.year + YEARS_AHEAD)
