"""Template tags of the navigation frame (``{% load pmflow_nav %}``, registered in
``TEMPLATES["OPTIONS"]["libraries"]``): which menus a user sees depends on roles held in projects
*and* milestones, so the tag sits on the top floor with the rest of pmflow.portfolio."""

from __future__ import annotations

from django import template

from projects.selectors.dashboard import ANONYMOUS, Roles, request_roles

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_roles(context: template.Context) -> Roles:
    """``{% nav_roles as roles %}``: roles and unread count of the current user (one query per request)."""
    request = context.get("request")
    if request is None:
        return ANONYMOUS
    return request_roles(request)
