"""Writing a user's notification preferences (e-mail on/off, daily digest)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from pmflow.audit import audit_record
from pmflow.models import NotificationPreference


def notification_preference_set(*, actor: Any, email_enabled: bool, daily_digest: bool) -> NotificationPreference:
    """Set the acting user's own preferences; writes (and audits) only when something changes.
    Rows already in the outbox keep the channel chosen when they were written."""
    with transaction.atomic():
        pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=actor)
        values = {"email_enabled": bool(email_enabled), "daily_digest": bool(daily_digest)}
        changed = [k for k, v in values.items() if getattr(pref, k) != v]
        if changed:
            before = {k: getattr(pref, k) for k in changed}
            for k in changed:
                setattr(pref, k, values[k])
            pref.save(update_fields=changed)
            audit_record(
                obj=pref,
                actor=actor,
                action="update_preferences",
                data={"before": before, "after": {k: values[k] for k in changed}},
            )
    return pref
