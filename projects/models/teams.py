"""项目经理团队: PM teams and their members."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PMTeam(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_pm_teams", verbose_name=_("项目经理")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="PMTeamMembership", related_name="pm_teams", verbose_name=_("成员")
    )
    fields = models.ManyToManyField("projects.Field", related_name="pm_teams", blank=True, verbose_name=_("覆盖领域"))
    term_start = models.DateField(_("任期开始"))
    term_end = models.DateField(_("任期结束"))
    non_consensus_quota = models.PositiveSmallIntegerField(
        _("每年非共识项目额度"), default=2, help_text=_("每个自然年可按非共识路径批准的项目数。")
    )
    # DESIGN.md §1: the screening gate is scheduled by a programme admin, "or the PM-team lead where
    # the admin allows" — this is that per-team permission (pmflow's own setting, default off).
    lead_schedules_screening = models.BooleanField(
        _("项目经理可安排立项评审"),
        default=False,
        help_text=_("开启后，本团队的项目经理可为本团队已提交的项目安排立项筛选评审并分配评审专家。"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("项目经理团队")
        verbose_name_plural = _("项目经理团队")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=models.Q(term_end__gt=models.F("term_start")), name="pmteam_term_order")]

    def __str__(self) -> str:
        return self.name


class PMTeamMembership(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("项目经理")
        MEMBER = "member", _("团队成员")

    team = models.ForeignKey(PMTeam, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pm_team_memberships")
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("团队成员")
        verbose_name_plural = _("团队成员")
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="pmteam_member_unique")]

    def __str__(self) -> str:
        return f"{self.team} / {self.user}"
