"""Writes on key task lists and tasks (重点任务清单).

Every write runs in one transaction, validates all fields first (``InvalidInput`` names each bad
field; nothing is saved), checks the rules permission, writes an audit row and finally calls
``task_list_changed`` so the list's statuses and roll-up are recalculated by a worker once the
transaction commits. Status is never written here: it is computed (projects/services/task_status.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmflow.audit import audit_record
from pmflow.errors import Forbidden, InvalidInput, NotFound
from pmflow.parsing import date_bounds_error
from pmflow.rules import is_programme_admin
from pmflow.tasking import task_enqueue_on_commit
from projects.models import KeyTaskList, PMTeam, Project, Task, TaskCategory, TaskListDirty
from projects.rules import is_pm_team_member

_UNSET: Any = object()


def task_list_changed(*, task_list_id: int) -> None:
    """Mark the list dirty in the current transaction (a TaskListDirty outbox row) and recalculate
    it (task statuses, roll-up, project health) in a worker once the transaction commits. Called by
    every task write, including conditions created by a conditional-go decision. Never raises when
    the broker is down: the minute-level dirty sweep catches up. Precondition: inside the change's
    transaction."""
    from projects.tasks import task_list_recalculate

    TaskListDirty.objects.create(task_list_id=task_list_id)
    task_enqueue_on_commit(task_list_recalculate, task_list_id)


def _can_manage_lists(actor: Any, probe: Any) -> bool:
    return bool((is_programme_admin | is_pm_team_member).test(actor, probe))


def task_list_create(*, actor: Any, pm_team_id: int, title: str, project_id: int | None = None) -> KeyTaskList:
    """Create a key task list of a PM team, optionally for one of its projects. Admins and members
    of the team may create lists."""
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("请填写清单名称。")
    elif len(title) > 200:
        errors["title"] = _("清单名称不能超过200个字符。")
    team = PMTeam.objects.filter(pk=pm_team_id).first()
    if team is None:
        errors["pm_team"] = _("项目经理团队不存在。")
    project = None
    if project_id is not None:
        project = Project.objects.filter(pk=project_id).first()
        if project is None:
            errors["project"] = _("项目不存在。")
        elif team is not None and project.pm_team_id != team.pk:
            errors["project"] = _("项目不属于该项目经理团队。")
    if errors:
        raise InvalidInput(fields=errors)
    probe = KeyTaskList(pm_team=team, project=project, title=title)
    if not _can_manage_lists(actor, probe):
        raise Forbidden()
    with transaction.atomic():
        probe.save()
        audit_record(obj=probe, actor=actor, action="task_list_create", data={"pm_team": team.pk, "project": project_id})
    return probe


def _validated_task_fields(
    *,
    task_list: KeyTaskList,
    values: dict[str, Any],
    current: Task | None,
) -> dict[str, Any]:
    """Check and normalise task input; raise InvalidInput naming every bad field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if "title" in values:
        title = (values["title"] or "").strip()
        if not title:
            errors["title"] = _("请填写任务名称。")
        elif len(title) > 300:
            errors["title"] = _("任务名称不能超过300个字符。")
        clean["title"] = title
    if "category_id" in values:
        if not TaskCategory.objects.filter(pk=values["category_id"]).exists():
            errors["category"] = _("任务类别不存在。")
        clean["category_id"] = values["category_id"]
    for name in ("start_date", "due_date"):
        if name in values:
            if not isinstance(values[name], dt.date):
                errors[name] = _("请填写有效日期。")
            elif (message := date_bounds_error(values[name])) is not None:
                errors[name] = message
            clean[name] = values[name]
    start = clean.get("start_date", current.start_date if current else None)
    due = clean.get("due_date", current.due_date if current else None)
    if isinstance(start, dt.date) and isinstance(due, dt.date) and due < start and "due_date" not in errors:
        errors["due_date"] = _("截止日期不能早于开始日期。")
    if "weight" in values:
        try:
            weight = Decimal(str(values["weight"]))
        except (InvalidOperation, ValueError):
            errors["weight"] = _("权重必须是数字。")
        else:
            if weight < 0 or weight >= Decimal("100000"):
                errors["weight"] = _("权重必须在0到99999.99之间。")
            clean["weight"] = weight
    if "owner_id" in values and values["owner_id"] is not None:
        from pmflow.models import User

        if not User.objects.filter(pk=values["owner_id"], is_active=True).exists():
            errors["owner"] = _("负责人不存在。")
    if "owner_id" in values:
        clean["owner_id"] = values["owner_id"]
    if "milestone_id" in values and values["milestone_id"] is not None:
        from milestones.models import Milestone

        milestone = Milestone.objects.filter(pk=values["milestone_id"]).only("project_id").first()
        if milestone is None:
            errors["milestone"] = _("里程碑不存在。")
        elif task_list.project_id is not None and milestone.project_id != task_list.project_id:
            errors["milestone"] = _("里程碑不属于该清单的项目。")
    if "milestone_id" in values:
        clean["milestone_id"] = values["milestone_id"]
    if errors:
        raise InvalidInput(fields=errors)
    return clean


def _progress_fields(
    *, task: Task, progress: int | None, done_date: dt.date | None, blocked: bool | None, today: dt.date
) -> dict[str, Any]:
    """Progress, done date and blocked flag, kept consistent: progress 100 ⇔ a done date.
    - progress 100 without a done date sets the done date to today;
    - a done date without progress sets progress to 100;
    - progress below 100 on a done task reopens it (clears the done date)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    if progress is not None:
        if isinstance(progress, bool) or not isinstance(progress, int):
            errors["progress"] = _("进度必须是0到100之间的整数。")
        elif not 0 <= progress <= 100:
            errors["progress"] = _("进度必须是0到100之间的整数。")
    if done_date is not None:
        if not isinstance(done_date, dt.date):
            errors["done_date"] = _("请填写有效日期。")
        elif (message := date_bounds_error(done_date)) is not None:
            errors["done_date"] = message
        elif done_date > today:
            errors["done_date"] = _("完成日期不能晚于今天。")
        elif done_date < task.start_date:
            errors["done_date"] = _("完成日期不能早于开始日期。")
        elif progress is not None and "progress" not in errors and progress < 100:
            errors["done_date"] = _("填写完成日期时进度应为100%。")
    if blocked is not None and not isinstance(blocked, bool):
        errors["blocked"] = _("受阻标记必须是是或否。")
    if errors:
        raise InvalidInput(fields=errors)
    if done_date is not None:
        out["done_date"] = done_date
        out["progress"] = 100
    elif progress is not None:
        out["progress"] = progress
        if progress == 100 and task.done_date is None:
            out["done_date"] = today
        elif progress < 100 and task.done_date is not None:
            out["done_date"] = None
    if blocked is not None:
        out["blocked"] = blocked
    return out


def task_create(
    *,
    actor: Any,
    task_list_id: int,
    category_id: int,
    title: str,
    start_date: dt.date,
    due_date: dt.date,
    weight: Decimal | int | str = 1,
    owner_id: int | None = None,
    milestone_id: int | None = None,
    gate_decision_id: int | None = None,
    progress: int | None = None,
    done_date: dt.date | None = None,
    blocked: bool | None = None,
) -> Task:
    """Add a task to a list. Permission: projects.update_task on the list."""
    task_list = KeyTaskList.objects.select_related("project").filter(pk=task_list_id).first()
    if task_list is None:
        raise NotFound(_("任务清单不存在。"))
    if not actor.has_perm("projects.update_task", task_list):
        raise Forbidden()
    clean = _validated_task_fields(
        task_list=task_list,
        values={
            "title": title,
            "category_id": category_id,
            "start_date": start_date,
            "due_date": due_date,
            "weight": weight,
            "owner_id": owner_id,
            "milestone_id": milestone_id,
        },
        current=None,
    )
    task = Task(task_list=task_list, gate_decision_id=gate_decision_id, **clean)
    task.__dict__.update(
        _progress_fields(task=task, progress=progress, done_date=done_date, blocked=blocked, today=timezone.localdate())
    )
    with transaction.atomic():
        task.save()
        audit_record(obj=task, actor=actor, action="task_create", data={"task_list": task_list.pk})
        task_list_changed(task_list_id=task_list.pk)
    return task


def _locked_task_for(actor: Any, task_id: int) -> Task:
    """The task, row-locked (caller is inside transaction.atomic); NotFound / Forbidden."""
    task = Task.objects.select_for_update(of=("self",)).select_related("task_list__project").filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("任务不存在。"))
    if not actor.has_perm("projects.update_task", task.task_list):
        raise Forbidden()
    return task


def task_update(
    *,
    actor: Any,
    task_id: int,
    title: str = _UNSET,
    category_id: int = _UNSET,
    start_date: dt.date = _UNSET,
    due_date: dt.date = _UNSET,
    weight: Decimal | int | str = _UNSET,
    owner_id: int | None = _UNSET,
    milestone_id: int | None = _UNSET,
) -> Task:
    """Change a task's plan fields (only those given). Permission: projects.update_task."""
    given = {
        k: v
        for k, v in {
            "title": title,
            "category_id": category_id,
            "start_date": start_date,
            "due_date": due_date,
            "weight": weight,
            "owner_id": owner_id,
            "milestone_id": milestone_id,
        }.items()
        if v is not _UNSET
    }
    with transaction.atomic():
        task = _locked_task_for(actor, task_id)
        clean = _validated_task_fields(task_list=task.task_list, values=given, current=task)
        changed = {k: v for k, v in clean.items() if getattr(task, k) != v}
        if not changed:
            return task
        before = {k: str(getattr(task, k)) for k in changed}
        for k, v in changed.items():
            setattr(task, k, v)
        task.save(update_fields=[*changed, "updated_at"])
        audit_record(
            obj=task, actor=actor, action="task_update", data={"before": before, "after": {k: str(v) for k, v in changed.items()}}
        )
        task_list_changed(task_list_id=task.task_list_id)
    return task


def task_update_progress(
    *,
    actor: Any,
    task_id: int,
    progress: int | None = None,
    done_date: dt.date | None = None,
    blocked: bool | None = None,
) -> Task:
    """Report progress on a task (PM team or the project lead). Progress is 0–100; reaching 100 sets
    the done date to today unless one is given; a done date alone means 100 %; progress below 100
    reopens a done task. Permission: projects.update_task."""
    with transaction.atomic():
        task = _locked_task_for(actor, task_id)
        fields = _progress_fields(task=task, progress=progress, done_date=done_date, blocked=blocked, today=timezone.localdate())
        changed = {k: v for k, v in fields.items() if getattr(task, k) != v}
        if not changed:
            return task
        before = {k: str(getattr(task, k)) for k in changed}
        for k, v in changed.items():
            setattr(task, k, v)
        task.save(update_fields=[*changed, "updated_at"])
        audit_record(
            obj=task,
            actor=actor,
            action="task_progress",
            data={"before": before, "after": {k: str(v) for k, v in changed.items()}},
        )
        task_list_changed(task_list_id=task.task_list_id)
    return task
