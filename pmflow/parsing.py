"""Parsing of loosely typed service input (forms, API bodies, JSON payloads), shared by every app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _


def date_parse(value: Any) -> dt.date:
    """A date from a date, a datetime (its date) or an ISO ``YYYY-MM-DD`` string; ValueError with a
    message for the user otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(_("日期格式无效，应为 YYYY-MM-DD。"))


def iso_date(value: str) -> dt.date:
    """``date_parse`` for a command-line option (``type=iso_date``): argparse turns its ValueError
    into "invalid iso_date value" naming the option."""
    return date_parse(value)
