"""Reads of the shared core: the in-app notification inbox."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from pmflow.models import Notification, NotificationKind


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's in-app inbox, newest first (digest mails are not inbox items: their contents are)."""
    qs = Notification.objects.filter(recipient_id=user.pk).exclude(kind=NotificationKind.DIGEST)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    """Number of unread in-app notifications (one COUNT query; 0 for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return notifications_for(user, unread_only=True).count()
