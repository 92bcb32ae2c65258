"""变更申请 (typed change requests) and 动态甄别评估 (assessment rounds)."""

from __future__ import annotations

import enum

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class ChangeKind(models.TextChoices):
    RESCHEDULE = "reschedule", _("调整进度")
    RESCOPE = "rescope", _("调整内容")
    REALLOCATE_BUDGET = "reallocate_budget", _("调整资金安排")
    CONVERGE_ROUTE = "converge_route", _("技术路线收敛")
    SUSPEND = "suspend", _("暂停项目")
    RESUME = "resume", _("恢复项目")
    TERMINATE = "terminate", _("终止项目")
    CHANGE_TEAM = "change_team", _("变更团队")


class ChangeState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    APPROVED = "approved", _("已批准")
    APPLIED = "applied", _("已执行")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")

    #: not yet applied, rejected or withdrawn (STYLE.md rule 12: named once, here)
    OPEN_STATES = enum.nonmember(frozenset({"draft", "submitted", "approved"}))


CS = ChangeState


class ChangeRequest(ConcurrentTransitionMixin, models.Model):
    """``payload`` is what was asked for (validated per kind by the service); ``before``/``after`` are
    copies of exactly the fields the application changed, written when it is applied."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="change_requests", verbose_name=_("项目")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=ChangeKind.choices)
    milestone = models.ForeignKey(
        "milestones.Milestone",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="change_requests",
        verbose_name=_("里程碑"),
    )
    payload = models.JSONField(_("申请内容"), default=dict)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    reason = models.TextField(_("理由"))
    status = FSMField(_("状态"), default=CS.DRAFT, choices=CS.choices, protected=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_note = models.TextField(_("审批意见"), blank=True)
    assessment = models.ForeignKey(
        "milestones.Assessment", on_delete=models.SET_NULL, null=True, blank=True, related_name="change_requests"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    TRANSITION_PERMISSIONS = {
        "submit": "milestones.file_change",
        "withdraw": "milestones.file_change",
        "approve": "milestones.decide_change",
        "reject": "milestones.decide_change",
        "apply": "milestones.apply_change_request",
    }
    TRANSITION_LABELS = {
        "submit": _("提交"),
        "withdraw": _("撤回"),
        "approve": _("批准"),
        "reject": _("驳回"),
        "apply": _("执行"),
    }

    class Meta:
        verbose_name = _("变更申请")
        verbose_name_plural = _("变更申请")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "status"])]

    def __str__(self) -> str:
        return f"{self.project.code} {self.get_kind_display()} #{self.pk}"

    @transition(field=status, source=CS.DRAFT, target=CS.SUBMITTED)
    def submit(self, at=None) -> None:
        self.submitted_at = at

    @transition(field=status, source=[CS.DRAFT, CS.SUBMITTED], target=CS.WITHDRAWN)
    def withdraw(self) -> None:
        pass

    @transition(field=status, source=CS.SUBMITTED, target=CS.APPROVED)
    def approve(self, by=None, at=None, note: str = "") -> None:
        self.decided_by, self.decided_at, self.decision_note = by, at, note

    # From approved too: a request the world has overtaken since approval (its apply fails) is closed
    # with the reason rather than left approved for ever.
    @transition(field=status, source=[CS.SUBMITTED, CS.APPROVED], target=CS.REJECTED)
    def reject(self, by=None, at=None, note: str = "") -> None:
        self.decided_by, self.decided_at, self.decision_note = by, at, note

    @transition(field=status, source=CS.APPROVED, target=CS.APPLIED)
    def apply(self, at=None, before=None, after=None) -> None:
        self.applied_at = at
        self.before = before or {}
        self.after = after or {}


class Rating(models.TextChoices):
    A = "A", _("A 优秀")
    B = "B", _("B 良好")
    C = "C", _("C 一般")
    D = "D", _("D 较差")


class AssessmentRecommendation(models.TextChoices):
    CONTINUE = "continue", _("继续支持")
    ACCELERATE = "accelerate", _("加大支持")
    ADJUST = "adjust", _("调整")
    TERMINATE = "terminate", _("终止")


class AssessmentRound(models.Model):
    label = models.CharField(_("名称"), max_length=40)
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    due_date = models.DateField(_("填报截止"))
    is_open = models.BooleanField(_("开放"), default=True)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评估轮次")
        verbose_name_plural = _("评估轮次")
        ordering = ["-period_start"]
        constraints = [models.UniqueConstraint(fields=["period_start", "period_end"], name="assessment_round_period_unique")]

    def __str__(self) -> str:
        return self.label


class Assessment(models.Model):
    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("轮次"))
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="assessments", verbose_name=_("项目"))
    scope = models.CharField(_("内容"), max_length=1, choices=Rating.choices, blank=True)
    time = models.CharField(_("进度"), max_length=1, choices=Rating.choices, blank=True)
    cost = models.CharField(_("成本"), max_length=1, choices=Rating.choices, blank=True)
    risk = models.CharField(_("风险"), max_length=1, choices=Rating.choices, blank=True)
    transfer = models.CharField(_("转化前景"), max_length=1, choices=Rating.choices, blank=True)
    overall = models.CharField(_("总体评级"), max_length=1, choices=Rating.choices, blank=True)
    recommendation = models.CharField(_("建议"), max_length=12, choices=AssessmentRecommendation.choices, blank=True)
    comments = models.TextField(_("评估意见"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("项目评估")
        verbose_name_plural = _("项目评估")
        ordering = ["round", "project"]
        constraints = [models.UniqueConstraint(fields=["round", "project"], name="assessment_unique")]

    def __str__(self) -> str:
        return f"{self.round} · {self.project.code}"
