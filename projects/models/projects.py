"""项目 and what belongs to one project: the cultivation plan versions and technology routes."""

from __future__ import annotations

import enum

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class ProjectState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    SCREENING = "screening", _("筛选评审中")
    NON_CONSENSUS = "non_consensus", _("非共识")
    APPROVED = "approved", _("已立项")
    ACTIVE = "active", _("实施中")
    SUSPENDED = "suspended", _("已暂停")
    CLOSING = "closing", _("验收中")
    CLOSED = "closed", _("已结题")
    REJECTED = "rejected", _("未通过")
    TERMINATED = "terminated", _("已终止")

    #: the project is over: no more reminders, funding or changes (STYLE.md rule 12: named once, here)
    FINAL_STATES = enum.nonmember(frozenset({"closed", "rejected", "terminated"}))


class Health(models.TextChoices):
    GREY = "grey", _("无数据")
    GREEN = "green", _("正常")
    AMBER = "amber", _("预警")
    RED = "red", _("风险")


class SupportMode(models.TextChoices):
    DIRECT_SUBSIDY = "direct_subsidy", _("直接补助")
    CAPITAL_INJECTION = "capital_injection", _("资本金注入")
    FUND_INVESTMENT = "fund_investment", _("基金投资")


S = ProjectState
TERMINABLE = [S.SUBMITTED, S.SCREENING, S.NON_CONSENSUS, S.APPROVED, S.ACTIVE, S.SUSPENDED, S.CLOSING]


class Project(ConcurrentTransitionMixin, models.Model):
    code = models.CharField(_("项目编号"), max_length=20, unique=True)
    title = models.CharField(_("项目名称"), max_length=200)
    field = models.ForeignKey("projects.Field", on_delete=models.PROTECT, related_name="projects", verbose_name=_("领域"))
    pm_team = models.ForeignKey(
        "projects.PMTeam", on_delete=models.PROTECT, related_name="projects", verbose_name=_("项目经理团队")
    )
    performer = models.ForeignKey(
        "pmflow.Organisation", on_delete=models.PROTECT, related_name="projects", verbose_name=_("承担单位")
    )
    secondary_fields = models.ManyToManyField(
        "projects.Field",
        related_name="secondary_projects",
        blank=True,
        verbose_name=_("交叉领域"),
        help_text=_("跨领域交叉融合项目涉及的其他领域；统计按主领域（领域）计。"),
    )
    programme_tags = models.ManyToManyField("projects.ProgrammeTag", related_name="projects", blank=True, verbose_name=_("专项"))
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_projects", verbose_name=_("项目负责人")
    )
    budget = models.DecimalField(_("预算（元）"), max_digits=14, decimal_places=2)
    support_mode = models.CharField(_("支持方式"), max_length=20, choices=SupportMode.choices)
    planned_start = models.DateField(_("计划开始"))
    planned_end = models.DateField(_("计划结束"))
    window_extended_to = models.DateField(
        _("政策期延展至"), null=True, blank=True, help_text=_("经批准可超出政策有效期的结束日期。")
    )
    window_extension_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("延展批准人"),
        help_text=_("超出政策有效期的延展须经项目经理团队以外的管理员批准。"),
    )
    window_extension_approved_at = models.DateTimeField(_("延展批准时间"), null=True, blank=True)
    non_consensus_track = models.BooleanField(_("非共识通道"), default=False)
    sandbox_supervision = models.BooleanField(_("沙盒监管"), default=False)
    health = models.CharField(_("健康度"), max_length=8, choices=Health.choices, default=Health.GREY, db_index=True)
    status = FSMField(_("状态"), default=S.DRAFT, choices=S.choices, protected=True, db_index=True)
    milestone_template = models.ForeignKey(
        "milestones.MilestoneTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("里程碑模板版本"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Rules permission per transition (projects/rules.py); services and UIs consult this one map.
    TRANSITION_PERMISSIONS = {
        "submit": "projects.submit_project",
        "start_screening": "projects.screen_project",
        "approve": "projects.decide_screening",
        "send_to_non_consensus": "projects.decide_screening",
        "reject": "projects.decide_screening",
        "activate": "projects.activate_project",
        "suspend": "projects.suspend_project",
        "resume": "projects.suspend_project",
        "start_closing": "projects.close_project",
        "close": "projects.decide_final",
        "reopen": "projects.decide_final",
        "terminate": "projects.terminate_project",
    }
    TRANSITION_LABELS = {
        "submit": _("提交"),
        "start_screening": _("开始筛选评审"),
        "approve": _("批准立项"),
        "send_to_non_consensus": _("转入非共识通道"),
        "reject": _("不予立项"),
        "activate": _("启动实施"),
        "suspend": _("暂停"),
        "resume": _("恢复"),
        "start_closing": _("进入验收"),
        "close": _("结题"),
        "reopen": _("验收返工"),
        "terminate": _("终止"),
    }
    REASON_REQUIRED = {"terminate", "suspend", "reject", "reopen"}
    # Transitions that happen only as the effect of another action — scheduling the screening gate,
    # a gate decision, a non-consensus approval, submitting the final milestone — never from a
    # button: approving by hand would skip the milestones the decision creates. They are hidden
    # from transitions_available and refused by project_transition_direct.
    EFFECT_ONLY_TRANSITIONS = frozenset(
        {"start_screening", "approve", "send_to_non_consensus", "reject", "start_closing", "close", "reopen"}
    )

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gt=0), name="project_budget_positive"),
            models.CheckConstraint(condition=models.Q(planned_end__gt=models.F("planned_start")), name="project_dates_order"),
        ]
        indexes = [models.Index(fields=["pm_team", "status"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    # --- transitions: pure, they change this row only ---
    @transition(field=status, source=S.DRAFT, target=S.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(field=status, source=S.SUBMITTED, target=S.SCREENING)
    def start_screening(self) -> None:
        pass

    @transition(field=status, source=[S.SCREENING, S.NON_CONSENSUS], target=S.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=status, source=S.SCREENING, target=S.NON_CONSENSUS)
    def send_to_non_consensus(self) -> None:
        self.non_consensus_track = True

    @transition(field=status, source=[S.SCREENING, S.NON_CONSENSUS], target=S.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=status, source=S.APPROVED, target=S.ACTIVE)
    def activate(self) -> None:
        pass

    @transition(field=status, source=S.ACTIVE, target=S.SUSPENDED)
    def suspend(self) -> None:
        pass

    @transition(field=status, source=S.SUSPENDED, target=S.ACTIVE)
    def resume(self) -> None:
        pass

    @transition(field=status, source=S.ACTIVE, target=S.CLOSING)
    def start_closing(self) -> None:
        pass

    @transition(field=status, source=S.CLOSING, target=S.CLOSED)
    def close(self) -> None:
        pass

    @transition(field=status, source=S.CLOSING, target=S.ACTIVE)
    def reopen(self) -> None:
        """Recycle from a failed final acceptance: back to active for rework."""

    @transition(field=status, source=TERMINABLE, target=S.TERMINATED)
    def terminate(self) -> None:
        pass


class PlanVersion(models.Model):
    """培育方案: versioned. Version 1 is the baseline; the highest version is current. A version is
    never edited once written: a revision adds a new one."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="plan_versions", verbose_name=_("项目"))
    version = models.PositiveIntegerField(_("版本"))
    is_baseline = models.BooleanField(_("基线"), default=False)
    objectives = models.TextField(_("培育目标"))
    scope = models.TextField(_("主要内容"), blank=True)
    deliverables = models.TextField(_("预期成果"), blank=True)
    budget_breakdown = models.JSONField(_("预算安排"), default=dict, blank=True)
    change_note = models.TextField(_("修订说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("培育方案版本")
        verbose_name_plural = _("培育方案版本")
        ordering = ["project", "version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="plan_version_unique"),
            models.UniqueConstraint(fields=["project"], condition=models.Q(is_baseline=True), name="plan_one_baseline"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} v{self.version}"


class TechnologyRoute(models.Model):
    """技术路线: one project may explore several; convergence selects one and drops the others."""

    class RouteState(models.TextChoices):
        EXPLORING = "exploring", _("探索中")
        SELECTED = "selected", _("已选定")
        DROPPED = "dropped", _("已放弃")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="routes", verbose_name=_("项目"))
    name = models.CharField(_("路线名称"), max_length=200)
    family = models.CharField(
        _("路线族"), max_length=100, blank=True, help_text=_("不同项目沿同一技术路线时填写相同值，用于比选评审。")
    )
    description = models.TextField(_("说明"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=RouteState.choices, default=RouteState.EXPLORING)
    lessons_learned = models.TextField(_("经验总结"), blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("技术路线")
        verbose_name_plural = _("技术路线")
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="route_name_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="dropped") | ~models.Q(lessons_learned=""), name="route_dropped_has_lessons"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.name}"


class ProgrammeTag(models.Model):
    """A programme a project belongs to, e.g. 前沿颠覆性技术专项, 市级科技重大专项 (admin-kept list)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name_zh = models.CharField(_("中文名称"), max_length=100, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("专项")
        verbose_name_plural = _("专项")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh


class ProjectParticipant(models.Model):
    """联合攻关: one of several performing organisations of a project, with its role and its share of
    the budget and of every tranche. The shares of a project add up to 1; the lead is the project's
    ``performer``. A project without participants is performed by ``performer`` alone."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头单位")
        MEMBER = "member", _("参与单位")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participants", verbose_name=_("项目"))
    organisation = models.ForeignKey(
        "pmflow.Organisation", on_delete=models.PROTECT, related_name="participations", verbose_name=_("单位")
    )
    role = models.CharField(_("角色"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    share = models.DecimalField(_("经费份额"), max_digits=5, decimal_places=4, help_text=_("0–1，各单位之和为 1。"))
    responsibility = models.CharField(_("分工"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("承担单位（联合攻关）")
        verbose_name_plural = _("承担单位（联合攻关）")
        ordering = ["project", "-role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "organisation"], name="participant_unique"),
            models.UniqueConstraint(fields=["project"], condition=models.Q(role="lead"), name="participant_one_lead"),
            models.CheckConstraint(condition=models.Q(share__gt=0, share__lte=1), name="participant_share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.organisation} · {self.share}"


class OrganisationProfile(models.Model):
    """梯度培育: an organisation's stage (初创期/成长期/成熟期)."""

    class Stage(models.TextChoices):
        STARTUP = "startup", _("初创期")
        GROWTH = "growth", _("成长期")
        MATURE = "mature", _("成熟期")

    organisation = models.OneToOneField(
        "pmflow.Organisation", on_delete=models.CASCADE, related_name="profile", verbose_name=_("单位")
    )
    stage = models.CharField(_("发展阶段"), max_length=8, choices=Stage.choices, blank=True)
    stage_since = models.DateField(_("阶段认定日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("单位画像")
        verbose_name_plural = _("单位画像")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_stage_display()}"


class OrganisationQualification(models.Model):
    """A qualification an organisation holds, with its dates (专精特新, 高新技术企业 …)."""

    class Kind(models.TextChoices):
        TECH_SME = "tech_sme", _("科技型中小企业")
        SPECIALISED = "specialised", _("专精特新中小企业")
        HIGH_GROWTH = "high_growth", _("高成长性科技企业")
        HIGH_TECH = "high_tech", _("高新技术企业")
        TALENT_KEY = "talent_key", _("人才引进重点机构")

    organisation = models.ForeignKey(
        "pmflow.Organisation", on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("单位")
    )
    kind = models.CharField(_("资质"), max_length=16, choices=Kind.choices)
    granted_on = models.DateField(_("认定日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)

    class Meta:
        verbose_name = _("单位资质")
        verbose_name_plural = _("单位资质")
        ordering = ["organisation", "kind", "-granted_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gt=models.F("granted_on")),
                name="qualification_dates_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_kind_display()}"
