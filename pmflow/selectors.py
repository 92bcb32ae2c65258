"""Reads of the shared core: the in-app notification inbox; who the programme admins are."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pmflow.models import Notification, NotificationKind, NotificationPreference, User
from pmflow.rules import PROGRAMME_ADMIN_GROUP


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


def notification_preference_for(user: Any) -> NotificationPreference:
    """The user's preferences, or the defaults (unsaved) when they never chose: reading writes nothing."""
    return NotificationPreference.objects.filter(user_id=user.pk).first() or NotificationPreference(user=user)


def programme_admins() -> QuerySet[User]:
    """Active programme admins (the group, or superusers): who is told when nobody else is responsible."""
    return User.objects.filter(Q(groups__name=PROGRAMME_ADMIN_GROUP) | Q(is_superuser=True), is_active=True).distinct()
