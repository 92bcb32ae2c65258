"""Models every app shares: users and organisations, the append-only audit trail and the
notification outbox."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """A legal entity: performer organisation (承担单位), university, company, agency."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class User(AbstractUser):
    """A person. Roles come from memberships (PM team, committee) and the programme-admin group."""

    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("所在机构"), null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    calendar_token = models.CharField(_("日历订阅令牌"), max_length=64, unique=True, default=_new_calendar_token)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.get_username()


class AuditEntry(models.Model):
    """One state change (or other audited action) of any object. Append-only: written by services
    in the same transaction as the change; never updated or deleted (a PostgreSQL trigger refuses)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("对象类型"))
    object_id = models.CharField(_("对象编号"), max_length=64, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=300)
    action = models.CharField(_("动作"), max_length=64)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("理由"), blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.object_repr}: {self.from_state} → {self.to_state}"


class NotificationKind(models.TextChoices):
    REVIEW_DUE = "review_due", _("评审即将到期")
    REVIEW_OVERDUE = "review_overdue", _("评审已逾期")
    REVIEW_ESCALATION = "review_escalation", _("评审逾期升级")
    MILESTONE_DUE = "milestone_due", _("里程碑即将到期")
    MILESTONE_OVERDUE = "milestone_overdue", _("里程碑已逾期")
    MILESTONE_ESCALATION = "milestone_escalation", _("里程碑逾期升级")
    REVIEW_ASSIGNED = "review_assigned", _("评审任务分配")
    GATE_DECIDED = "gate_decided", _("关口评审决定")
    STATE_CHANGED = "state_changed", _("状态变更")
    CHANGE_REQUEST = "change_request", _("变更申请")
    ASSESSMENT_OPEN = "assessment_open", _("评估开始")
    TASK_CONDITION = "task_condition", _("整改条件任务")
    DIGEST = "digest", _("每日摘要")
    DELIVERY_DELAYED = "delivery_delayed", _("邮件发送受阻")
    TASK_DUE = "task_due", _("任务即将到期")
    TASK_OVERDUE = "task_overdue", _("任务已逾期")
    TASK_OVERDUE_WEEKLY = "task_overdue_weekly", _("逾期任务周报")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    DIGESTED = "digested", _("已并入摘要")
    SKIPPED = "skipped", _("无需发送")


class Notification(models.Model):
    """Outbox row. Written in the same transaction as the change that causes it; the unique key
    (recipient, kind, object, due date) makes every writer idempotent, so a repeated sweep or a
    retried task can never duplicate a reminder."""

    # No single-column indexes on recipient, content type or status: the unique key starts with the
    # recipient and (status, next_attempt_at) serves delivery; every index costs each outbox write
    # (a reminder sweep writes one row per task and recipient).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(_("类型"), max_length=32, choices=NotificationKind.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False)
    object_id = models.CharField(max_length=64)
    due_date = models.DateField(_("到期日"), null=True, blank=True)
    subject = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    send_email = models.BooleanField(_("发送邮件"), default=True)
    status = models.CharField(_("状态"), max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    # Delivery bookkeeping (pmflow/services/delivery.py): when a worker claimed the row for its SMTP
    # call (a ``sending`` row older than the timeout is retried), and when sending first failed
    # (transient failures are retried for a window counted from here).
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    first_failed_at = models.DateTimeField(_("首次失败时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "content_type", "object_id", "due_date"],
                name="notification_unique_key",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["recipient", "read_at"]),
        ]

    def __str__(self) -> str:
        return self.subject


class NotificationPreference(models.Model):
    """How a user wants to be told: e-mail or in-app only, and a daily digest instead of single mails."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference")
    email_enabled = models.BooleanField(_("接收邮件"), default=True)
    daily_digest = models.BooleanField(_("每日摘要代替单封邮件"), default=False)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return str(self.user)


class WorkCalendarYear(models.Model):
    """A year whose holiday arrangement (放假调休安排) has been entered. Working days in a year with a
    row come from ``WorkCalendarDay`` only; a year without one falls back to chinesecalendar, or to
    weekends only (flagged) when the library does not know it either."""

    class Source(models.TextChoices):
        LIBRARY = "library", _("chinesecalendar")
        IMPORT = "import", _("文件导入")
        ADMIN = "admin", _("管理员录入")

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.ADMIN)
    note = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("如：国务院办公厅通知文号。"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkCalendarDay(models.Model):
    """An exception to "Monday–Friday work": a non-working weekday (法定节假日) or a make-up working
    weekend day (调休上班)."""

    class Kind(models.TextChoices):
        OFF = "off", _("休息")
        ON = "on", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=3, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=40, blank=True, help_text=_("如：元旦、国庆节。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作日历日期")
        verbose_name_plural = _("工作日历日期")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()}"
