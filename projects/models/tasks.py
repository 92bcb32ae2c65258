"""重点任务清单: key task lists and tasks. Status and roll-ups are computed (set-based SQL in
projects/services/task_status.py), never typed by a person."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.models.projects import Health


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    ON_TRACK = "on_track", _("正常")
    AT_RISK = "at_risk", _("有风险")
    OVERDUE = "overdue", _("已逾期")
    BLOCKED = "blocked", _("受阻")
    DONE = "done", _("已完成")


class KeyTaskList(models.Model):
    pm_team = models.ForeignKey(
        "projects.PMTeam", on_delete=models.CASCADE, related_name="task_lists", verbose_name=_("项目经理团队")
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="task_lists", verbose_name=_("项目")
    )
    title = models.CharField(_("清单名称"), max_length=200)
    # Roll-ups, rewritten by the recalculation only when they change.
    weighted_progress = models.DecimalField(_("加权进度"), max_digits=5, decimal_places=2, default=0)
    health = models.CharField(_("健康度"), max_length=8, choices=Health.choices, default=Health.GREY, db_index=True)
    count_not_started = models.PositiveIntegerField(default=0)
    count_on_track = models.PositiveIntegerField(default=0)
    count_at_risk = models.PositiveIntegerField(default=0)
    count_overdue = models.PositiveIntegerField(default=0)
    count_blocked = models.PositiveIntegerField(default=0)
    count_done = models.PositiveIntegerField(default=0)
    recalculated_at = models.DateTimeField(_("重算时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("重点任务清单")
        verbose_name_plural = _("重点任务清单")
        ordering = ["pm_team", "title"]

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    task_list = models.ForeignKey(KeyTaskList, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("清单"))
    category = models.ForeignKey("projects.TaskCategory", on_delete=models.PROTECT, related_name="tasks", verbose_name=_("类别"))
    title = models.CharField(_("任务"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name=_("负责人")
    )
    start_date = models.DateField(_("开始日期"))
    due_date = models.DateField(_("截止日期"))
    weight = models.DecimalField(_("权重"), max_digits=7, decimal_places=2, default=1, validators=[MinValueValidator(0)])
    progress = models.PositiveSmallIntegerField(
        _("进度（%）"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    done_date = models.DateField(_("完成日期"), null=True, blank=True)
    blocked = models.BooleanField(_("受阻"), default=False)
    status = models.CharField(
        _("状态"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED, db_index=True, editable=False
    )
    milestone = models.ForeignKey(
        "milestones.Milestone", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name=_("里程碑")
    )
    gate_decision = models.ForeignKey(
        "milestones.GateDecision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="condition_tasks",
        verbose_name=_("来源决定（有条件通过）"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["task_list", "due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__gte=0, progress__lte=100), name="task_progress_range"),
            models.CheckConstraint(condition=models.Q(due_date__gte=models.F("start_date")), name="task_dates_order"),
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="task_weight_nonneg"),
        ]
        indexes = [models.Index(fields=["task_list", "status"])]

    def __str__(self) -> str:
        return self.title


class TaskListDirty(models.Model):
    """Outbox of the recalculation: one row per change to a list's tasks, written in the change's own
    transaction; deleted (by id) by the recalculation that saw it (projects/services/task_status.py).
    A minute-level sweep recalculates the lists that still have rows, so a lost publish (broker
    down) is caught up within minutes. A row, not a flag on the list: inserting it takes no lock a
    recalculation or another writer waits on (the foreign key check is a KEY SHARE lock)."""

    task_list = models.ForeignKey(KeyTaskList, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("待重算清单")
        verbose_name_plural = _("待重算清单")

    def __str__(self) -> str:
        return f"{self.task_list_id} @ {self.created_at:%Y-%m-%d %H:%M:%S}" if self.created_at else str(self.task_list_id)
