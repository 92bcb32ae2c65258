"""Rows the operations code keeps: the beat's heartbeat and the request id of an audit row."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BeatHeartbeat(models.Model):
    """When the beat holding the beat lock last ticked (``pmflow.ops.beat``); ``/readyz`` reads it."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    beat_at = models.DateTimeField(_("最近心跳"))
    hostname = models.CharField(_("主机"), max_length=200, blank=True)
    pid = models.PositiveIntegerField(_("进程号"), default=0)

    class Meta:
        verbose_name = _("调度心跳")
        verbose_name_plural = _("调度心跳")

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class AuditRequest(models.Model):
    """The request (web request or the Celery task it enqueued) an audit row was written in: a row
    beside the append-only audit row, written in the same transaction, never changed."""

    # No database constraint: the audit table is append-only (never deleted from), and a foreign key
    # onto it would turn its own "TRUNCATE refused" trigger message into a foreign-key error.
    audit_entry = models.OneToOneField(
        "pmflow.AuditEntry", primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="request_context"
    )
    request_id = models.CharField(_("请求编号"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("审计请求上下文")
        verbose_name_plural = _("审计请求上下文")

    def __str__(self) -> str:
        return self.request_id
