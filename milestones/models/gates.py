"""关口评审: committees, gate reviews, criteria, reviewer assignments, scorecards, decisions and
non-consensus approvals."""

from __future__ import annotations

import enum

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class Committee(models.Model):
    """评审委员会 / 专家组: a chair and a pool of reviewers."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chaired_committees", verbose_name=_("主任")
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="committees", blank=True, verbose_name=_("专家"))
    fields = models.ManyToManyField("projects.Field", related_name="committees", blank=True, verbose_name=_("领域"))

    class Meta:
        verbose_name = _("评审委员会")
        verbose_name_plural = _("评审委员会")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Recommendation(models.TextChoices):
    GO = "go", _("通过")
    CONDITIONAL_GO = "conditional_go", _("有条件通过")
    HOLD = "hold", _("暂缓")
    RECYCLE = "recycle", _("返工重审")
    KILL = "kill", _("终止")


class GateKind(models.TextChoices):
    SCREENING = "screening", _("立项筛选")
    MILESTONE = "milestone", _("里程碑关口")
    FINAL = "final", _("最终验收")
    COMPARATIVE = "comparative", _("比选评审")


class GateState(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    OPEN = "open", _("评审中")
    CLOSED = "closed", _("评分已截止")
    DECIDED = "decided", _("已决定")
    CANCELLED = "cancelled", _("已取消")

    # Named state sets — the one place each is written (STYLE.md rule 12).
    #: not decided or cancelled yet
    ACTIVE_STATES = enum.nonmember(frozenset({"scheduled", "open", "closed"}))
    #: still taking scorecards (reviewers' load, deadline reminders; its due date follows its milestone)
    SCORING_STATES = enum.nonmember(frozenset({"scheduled", "open"}))
    #: finished
    FINAL_STATES = enum.nonmember(frozenset({"decided", "cancelled"}))


GS = GateState


class GateReview(ConcurrentTransitionMixin, models.Model):
    kind = models.CharField(_("类型"), max_length=12, choices=GateKind.choices)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="gate_reviews", verbose_name=_("项目"))
    milestone = models.ForeignKey(
        "milestones.Milestone",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="gate_reviews",
        verbose_name=_("里程碑"),
    )
    # Comparative gates down-select between several projects on one route family.
    compared_projects = models.ManyToManyField("projects.Project", related_name="comparative_gates", blank=True)
    route_family = models.CharField(_("路线族"), max_length=100, blank=True)
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="gate_reviews", verbose_name=_("评审委员会"))
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chaired_gates", verbose_name=_("主任")
    )
    quorum = models.PositiveSmallIntegerField(_("法定人数"), default=3)
    due_date = models.DateField(_("评审截止日"))
    status = FSMField(_("状态"), default=GS.SCHEDULED, choices=GS.choices, protected=True, db_index=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    TRANSITION_PERMISSIONS = {
        "open": "milestones.chair_gate",
        "close": "milestones.chair_gate",
        "decide": "milestones.chair_gate",
        "cancel": "milestones.chair_gate",
    }
    TRANSITION_LABELS = {"open": _("开始评审"), "close": _("截止评分"), "decide": _("作出决定"), "cancel": _("取消")}

    class Meta:
        verbose_name = _("关口评审")
        verbose_name_plural = _("关口评审")
        ordering = ["due_date", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(quorum__gte=1), name="gate_quorum_positive")]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        target = f"M{self.milestone.sequence}" if self.milestone_id else self.get_kind_display()
        return f"{self.project.code} {target} #{self.pk}"

    @transition(field=status, source=GS.SCHEDULED, target=GS.OPEN)
    def open(self, at=None) -> None:
        self.opened_at = at

    @transition(field=status, source=GS.OPEN, target=GS.CLOSED)
    def close(self, at=None) -> None:
        self.closed_at = at

    @transition(field=status, source=GS.CLOSED, target=GS.DECIDED)
    def decide(self) -> None:
        pass

    @transition(field=status, source=[GS.SCHEDULED, GS.OPEN, GS.CLOSED], target=GS.CANCELLED)
    def cancel(self) -> None:
        pass


class GateCriterion(models.Model):
    class Kind(models.TextChoices):
        MUST = "must", _("否决性指标")
        SHOULD = "should", _("评分性指标")

    gate = models.ForeignKey(GateReview, on_delete=models.CASCADE, related_name="criteria")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    title = models.CharField(_("指标"), max_length=200)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=2, default=0)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("评审指标")
        verbose_name_plural = _("评审指标")
        ordering = ["gate", "kind", "order", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(weight__gte=0), name="criterion_weight_nonneg")]

    def __str__(self) -> str:
        return self.title


class ReviewerAssignment(models.Model):
    gate = models.ForeignKey(GateReview, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments", verbose_name=_("评审专家")
    )
    # None until declared; True means conflicted and therefore recused.
    has_conflict = models.BooleanField(_("存在利益冲突"), null=True, blank=True)
    conflict_note = models.TextField(_("利益冲突说明"), blank=True)
    declared_at = models.DateTimeField(_("声明时间"), null=True, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评审分配")
        verbose_name_plural = _("评审分配")
        ordering = ["gate", "id"]
        constraints = [models.UniqueConstraint(fields=["gate", "reviewer"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.gate} · {self.reviewer}"

    @property
    def recused(self) -> bool:
        return self.has_conflict is True


class Scorecard(models.Model):
    """One per assignment; editable while ``submitted_at`` is empty, immutable after."""

    assignment = models.OneToOneField(ReviewerAssignment, on_delete=models.CASCADE, related_name="scorecard")
    recommendation = models.CharField(_("建议"), max_length=16, choices=Recommendation.choices, blank=True)
    champion = models.BooleanField(_("支持专家"), default=False)
    comments = models.TextField(_("意见"), blank=True)
    weighted_score = models.DecimalField(_("加权得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    must_meet_failed = models.BooleanField(_("存在否决项"), default=False)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("评分表")
        verbose_name_plural = _("评分表")

    def __str__(self) -> str:
        return f"{self.assignment}"


class CriterionScore(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(GateCriterion, on_delete=models.CASCADE, related_name="scores")
    passed = models.BooleanField(_("是否满足"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("得分"), null=True, blank=True)

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "criterion"], name="criterion_score_unique"),
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__lte=100), name="score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score if self.score is not None else self.passed}"


class DecisionOutcome(models.TextChoices):
    GO = "go", _("通过")
    CONDITIONAL_GO = "conditional_go", _("有条件通过")
    HOLD = "hold", _("暂缓")
    RECYCLE = "recycle", _("返工重审")
    KILL = "kill", _("终止")
    NON_CONSENSUS = "non_consensus", _("转入非共识通道")


class GateDecision(models.Model):
    """The chair's decision; one per gate. Keeps the computed outcome it was made against."""

    gate = models.OneToOneField(GateReview, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(_("决定"), max_length=16, choices=DecisionOutcome.choices)
    computed_outcome = models.CharField(_("系统建议"), max_length=16, choices=DecisionOutcome.choices, blank=True)
    computed_summary = models.JSONField(_("计算结果"), default=dict)
    rationale = models.TextField(_("决定理由"), blank=True)
    new_due_date = models.DateField(_("新截止日"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("决定人"))
    decided_at = models.DateTimeField(_("决定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评审决定")
        verbose_name_plural = _("评审决定")

    def __str__(self) -> str:
        return f"{self.gate}: {self.get_outcome_display()}"


class NonConsensusApproval(models.Model):
    """A risk-controlled approval of a non-consensus project, counted against the PM team's yearly quota."""

    project = models.OneToOneField("projects.Project", on_delete=models.PROTECT, related_name="non_consensus_approval")
    pm_team = models.ForeignKey("projects.PMTeam", on_delete=models.PROTECT, related_name="non_consensus_approvals")
    year = models.PositiveSmallIntegerField(_("年度"))
    endorsed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目经理背书")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("批准人")
    )
    first_tranche_share = models.DecimalField(_("首笔资金比例上限"), max_digits=5, decimal_places=4)
    first_gate_earlier_workdays = models.PositiveSmallIntegerField(_("首个关口提前（工作日）"))
    endorsement = models.TextField(_("背书意见"))
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("非共识项目批准")
        verbose_name_plural = _("非共识项目批准")
        indexes = [models.Index(fields=["pm_team", "year"])]

    def __str__(self) -> str:
        return f"{self.project} ({self.year})"
