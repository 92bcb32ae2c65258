"""``{{ n|notification_link }}``: where an in-app notification row links (see pmflow.links)."""

from __future__ import annotations

from typing import Any

from django import template

from pmflow.links import notification_path

register = template.Library()


@register.filter
def notification_link(row: Any) -> str:
    return notification_path(row)
