"""Template tags of the web UI frame (the navigation's roles are in pmflow.portfolio.nav): safe URL
reversing for pages other helpers build, query-string helpers for filters and pagination."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

register = template.Library()


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


GENERIC_ACTIONS = {
    "create": _("创建"),
    "update": _("修改"),
    "plan_baseline": _("培育方案基线"),
    "plan_revise": _("培育方案修订"),
    "release": _("资金拨付"),
    "note": _("备注"),
}


def _model_of(entry: Any) -> Any:
    ct = getattr(entry, "content_type", None)
    return ct.model_class() if ct is not None else None


@register.filter
def audit_action(entry: Any) -> str:
    """The human label of an audit row's action: the model's transition label when it is one."""
    model = _model_of(entry)
    labels = getattr(model, "TRANSITION_LABELS", {}) if model is not None else {}
    label = labels.get(entry.action) or GENERIC_ACTIONS.get(entry.action)
    return str(label) if label else entry.action


@register.filter
def audit_state(entry: Any, which: str) -> str:
    """The label of the row's from/to state, by the audited model's state choices."""
    value = getattr(entry, f"{which}_state", "") or ""
    if not value:
        return "—"
    model = _model_of(entry)
    if model is not None:
        try:
            field = model._meta.get_field(getattr(model, "STATE_FIELD", "status"))
        except Exception:  # noqa: BLE001 - a model without a status field shows the raw value
            return value
        return str(dict(field.flatchoices).get(value, value))
    return value
