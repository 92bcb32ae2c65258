"""Template tags of the web UI frame: the user's roles (navigation, unread badge), safe URL
reversing for pages other helpers build, query-string helpers for filters and pagination."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from projects.selectors.dashboard import ANONYMOUS, Roles, request_roles

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_roles(context: template.Context) -> Roles:
    """``{% nav_roles as roles %}``: roles and unread count of the current user (one query per request)."""
    request = context.get("request")
    if request is None:
        return ANONYMOUS
    return request_roles(request)


@register.simple_tag
def url_or_blank(name: str, *args: Any) -> str:
    """Reverse ``name`` or return "" when the page is not (yet) there."""
    try:
        return reverse(name, args=[a for a in args if a not in (None, "")] or None)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with ``changes`` applied (a value of None or "" removes the key).
    Always drops ``page`` unless it is one of the changes."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else {}
    if hasattr(params, "pop"):
        params.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    if hasattr(params, "urlencode"):
        encoded = params.urlencode()
    else:
        encoded = urlencode(params)
    return f"?{encoded}" if encoded else "?"


@register.filter
def yuan(value: Any) -> str:
    """An amount in yuan as 万元 with two decimals (the unit PM teams read)."""
    if value in (None, ""):
        return "—"
    try:
        return f"{float(value) / 10000:,.2f}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None
