"""里程碑: milestone templates per tier (versioned), milestones, evidence and tranche releases."""

from __future__ import annotations

import enum
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class MilestoneTemplate(models.Model):
    """A version of a tier's template. Editing means adding a new version and making it current;
    projects keep pointing at the version they were created from."""

    tier = models.ForeignKey(
        "projects.Tier", on_delete=models.PROTECT, related_name="milestone_templates", verbose_name=_("梯次")
    )
    version = models.PositiveIntegerField(_("版本"))
    is_current = models.BooleanField(_("当前版本"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("里程碑模板")
        verbose_name_plural = _("里程碑模板")
        ordering = ["tier", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "version"], name="template_version_unique"),
            models.UniqueConstraint(fields=["tier"], condition=models.Q(is_current=True), name="template_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.tier} v{self.version}"


class MilestoneTemplateStep(models.Model):
    template = models.ForeignKey(MilestoneTemplate, on_delete=models.CASCADE, related_name="steps")
    sequence = models.PositiveSmallIntegerField(_("序号"))
    title_zh = models.CharField(_("名称"), max_length=100)
    title_en = models.CharField(_("英文名称"), max_length=100)
    span_share = models.DecimalField(_("时间占比"), max_digits=5, decimal_places=4, help_text=_("占项目周期的比例。"))
    tranche_share = models.DecimalField(_("资金占比"), max_digits=5, decimal_places=4)
    acceptance_hint = models.TextField(_("验收要点"), blank=True)

    class Meta:
        verbose_name = _("模板步骤")
        verbose_name_plural = _("模板步骤")
        ordering = ["template", "sequence"]
        constraints = [models.UniqueConstraint(fields=["template", "sequence"], name="template_step_unique")]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.title_zh}"


class MilestoneState(models.TextChoices):
    PLANNED = "planned", _("计划中")
    IN_PROGRESS = "in_progress", _("进行中")
    SUBMITTED = "submitted", _("已提交")
    IN_REVIEW = "in_review", _("评审中")
    PASSED = "passed", _("已通过")
    PASSED_WITH_CONDITIONS = "passed_with_conditions", _("有条件通过")
    ON_HOLD = "on_hold", _("暂缓")
    FAILED = "failed", _("未通过（终止）")
    CANCELLED = "cancelled", _("已取消")

    # Named state sets — the one place each is written (STYLE.md rule 12).
    #: the outcome is recorded: the milestone no longer moves or changes
    CLOSED_STATES = enum.nonmember(frozenset({"passed", "passed_with_conditions", "failed", "cancelled"}))
    #: not closed yet
    OPEN_STATES = enum.nonmember(frozenset({"planned", "in_progress", "submitted", "in_review", "on_hold"}))
    #: work not yet handed in for review
    NOT_SUBMITTED_STATES = enum.nonmember(frozenset({"planned", "in_progress"}))
    #: the PM team is answerable for the due date (deadline reminders)
    DUE_REMINDER_STATES = enum.nonmember(frozenset({"in_progress", "submitted"}))


MS = MilestoneState


class Milestone(ConcurrentTransitionMixin, models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="milestones", verbose_name=_("项目"))
    sequence = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("名称"), max_length=200)
    deliverables = models.TextField(_("交付物"), blank=True)
    acceptance_criteria = models.TextField(_("验收标准"), blank=True)
    baseline_due = models.DateField(_("基线截止日"))
    current_due = models.DateField(_("当前截止日"))
    tranche_amount = models.DecimalField(_("资金拨付额（元）"), max_digits=14, decimal_places=2, default=0)
    is_final = models.BooleanField(_("最终验收"), default=False)
    template_step = models.ForeignKey(MilestoneTemplateStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = FSMField(_("状态"), default=MS.PLANNED, choices=MS.choices, protected=True, db_index=True)
    passed_at = models.DateTimeField(_("通过时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    TRANSITION_PERMISSIONS = {
        "start": "milestones.work_on_milestone",
        "submit": "milestones.work_on_milestone",
        "open_review": "milestones.decide_gate",
        "pass_gate": "milestones.decide_gate",
        "pass_with_conditions": "milestones.decide_gate",
        "conditions_met": "milestones.decide_gate",
        "hold": "milestones.decide_gate",
        "resume": "milestones.work_on_milestone",
        "recycle": "milestones.decide_gate",
        "fail": "milestones.decide_gate",
        "cancel": "milestones.apply_change",
    }
    TRANSITION_LABELS = {
        "start": _("开始"),
        "submit": _("提交评审"),
        "open_review": _("开始评审"),
        "pass_gate": _("通过"),
        "pass_with_conditions": _("有条件通过"),
        "conditions_met": _("条件已满足"),
        "hold": _("暂缓"),
        "resume": _("恢复"),
        "recycle": _("返工重审"),
        "fail": _("终止"),
        "cancel": _("取消"),
    }

    class Meta:
        verbose_name = _("里程碑")
        verbose_name_plural = _("里程碑")
        ordering = ["project", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sequence"], name="milestone_sequence_unique"),
            models.CheckConstraint(condition=models.Q(tranche_amount__gte=0), name="milestone_tranche_nonneg"),
        ]
        indexes = [models.Index(fields=["status", "current_due"])]

    def __str__(self) -> str:
        return f"{self.project.code} M{self.sequence} {self.title}"

    @transition(field=status, source=MS.PLANNED, target=MS.IN_PROGRESS)
    def start(self) -> None:
        pass

    @transition(field=status, source=MS.IN_PROGRESS, target=MS.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(field=status, source=MS.SUBMITTED, target=MS.IN_REVIEW)
    def open_review(self) -> None:
        pass

    @transition(field=status, source=[MS.IN_REVIEW, MS.PASSED_WITH_CONDITIONS], target=MS.PASSED)
    def pass_gate(self) -> None:
        pass

    @transition(field=status, source=MS.IN_REVIEW, target=MS.PASSED_WITH_CONDITIONS)
    def pass_with_conditions(self) -> None:
        pass

    @transition(field=status, source=MS.PASSED_WITH_CONDITIONS, target=MS.PASSED)
    def conditions_met(self) -> None:
        pass

    @transition(field=status, source=MS.IN_REVIEW, target=MS.ON_HOLD)
    def hold(self) -> None:
        pass

    @transition(field=status, source=MS.ON_HOLD, target=MS.IN_PROGRESS)
    def resume(self) -> None:
        pass

    @transition(field=status, source=MS.IN_REVIEW, target=MS.IN_PROGRESS)
    def recycle(self, new_due=None) -> None:
        if new_due is not None:
            self.current_due = new_due

    @transition(field=status, source=MS.IN_REVIEW, target=MS.FAILED)
    def fail(self) -> None:
        pass

    @transition(field=status, source=[MS.PLANNED, MS.IN_PROGRESS, MS.ON_HOLD], target=MS.CANCELLED)
    def cancel(self) -> None:
        pass


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    """An unguessable storage name that tells nothing about the project, the milestone or the file
    (the original name is kept in ``original_name`` and given back only on download). Evidence is
    never served from a public URL: only ``milestones:evidence_download`` reads it."""
    return f"evidence/{secrets.token_hex(2)}/{secrets.token_urlsafe(32)}"


class EvidenceKind(models.TextChoices):
    REPORT = "report", _("报告")
    TEST_RESULT = "test_result", _("测试结果")
    PHOTO = "photo", _("照片")
    DATA = "data", _("数据")
    OTHER = "other", _("其他")


class Evidence(models.Model):
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("里程碑"))
    title = models.CharField(_("标题"), max_length=200, default="")
    kind = models.CharField(_("类别"), max_length=16, choices=EvidenceKind.choices, default=EvidenceKind.REPORT)
    file = models.FileField(_("附件"), upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=255, default="")
    content_type = models.CharField(_("文件类型"), max_length=100, default="application/octet-stream")
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["milestone", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title or self.original_name or self.description or str(self.pk)


class TrancheRelease(models.Model):
    """One release of a milestone's funding tranche. One per milestone, ever (unique)."""

    milestone = models.OneToOneField(Milestone, on_delete=models.PROTECT, related_name="release", verbose_name=_("里程碑"))
    amount = models.DecimalField(_("拨付金额（元）"), max_digits=14, decimal_places=2)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    released_at = models.DateTimeField(_("拨付时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资金拨付")
        verbose_name_plural = _("资金拨付")
        ordering = ["-released_at"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="release_amount_positive")]

    def __str__(self) -> str:
        return f"{self.milestone} · {self.amount}"
