"""Writing and reading the audit trail. Rows are written by services, inside their transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from pmflow.models import AuditEntry
from pmflow.ops.models import AuditRequest
from pmflow.ops.request_id import request_id_current


def audit_record(
    *,
    obj: models.Model,
    actor: Any | None,
    action: str,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row. Precondition: called inside the transaction that made the change."""
    entry = AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        actor=actor if (actor is not None and getattr(actor, "is_authenticated", False)) else None,
        reason=reason or "",
        data=data or {},
    )
    request_id = request_id_current()
    if request_id:  # the web request, or the task it enqueued, that wrote this row (docs/operations.md)
        AuditRequest.objects.create(audit_entry=entry, request_id=request_id)
    return entry


def audit_trail_for(obj: models.Model) -> models.QuerySet[AuditEntry]:
    """The audit rows of one object, newest first, actor joined."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("actor")
