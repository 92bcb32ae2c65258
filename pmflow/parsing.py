"""Parsing of loosely typed service input (forms, API bodies, JSON payloads), shared by every app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

#: pmflow's sane range for any date written (settings PMFLOW_DATE_MIN / PMFLOW_DATE_MAX override it):
#: nothing this programme records happens before 2000 or after 2100, and year 1 or 9999 only breaks
#: working-day arithmetic, calendars and exports further down.
DEFAULT_DATE_MIN = dt.date(2000, 1, 1)
DEFAULT_DATE_MAX = dt.date(2100, 12, 31)


def _setting_date(name: str, default: dt.date) -> dt.date:
    value = getattr(settings, name, None)
    if value in (None, ""):
        return default
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def date_bounds() -> tuple[dt.date, dt.date]:
    """The earliest and latest date any write accepts."""
    return _setting_date("PMFLOW_DATE_MIN", DEFAULT_DATE_MIN), _setting_date("PMFLOW_DATE_MAX", DEFAULT_DATE_MAX)


def date_bounds_error(day: dt.date) -> str | None:
    """The user's message if ``day`` is outside ``date_bounds()``, else None: the one check every
    service, serializer and form uses for dates it writes."""
    low, high = date_bounds()
    if low <= day <= high:
        return None
    return _("日期必须在 %(min)s 至 %(max)s 之间。") % {"min": low.isoformat(), "max": high.isoformat()}


MAX_ID = 2**63 - 1
MAX_ID_DIGITS = len(str(MAX_ID)) + 8  # leading zeros are harmless; a 5,000-digit string is not


def id_parse(value: Any) -> int | None:
    """``value`` as a row id if it is one — an int (not a bool) or a string of ASCII digits, from 1
    to 2⁶³−1 — else None. ``int()`` is too generous for ids: it reads ``"１"`` (full-width) as 1,
    truncates 7.5 to 7 and takes ``True`` for 1."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def date_parse(value: Any) -> dt.date:
    """A date from a date, a datetime (its date) or an ISO ``YYYY-MM-DD`` string, within
    ``date_bounds()``; ValueError with a message for the user otherwise."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(value.strip()) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError(_("日期格式无效，应为 YYYY-MM-DD。"))
    if (message := date_bounds_error(day)) is not None:
        raise ValueError(message)
    return day


def iso_date(value: str) -> dt.date:
    """``date_parse`` for a command-line option (``type=iso_date``): argparse turns its ValueError
    into "invalid iso_date value" naming the option."""
    return date_parse(value)
