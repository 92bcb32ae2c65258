"""Task boards: one page per key task list, grouped by category, with filters, the list's health
and roll-up at the top, and an inline (htmx) progress update that answers with the updated row and an
out-of-band swap of the roll-up header."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pmflow.errors import ApplicationError, Forbidden, NotFound
from projects.forms_tasks import TaskFilterForm, TaskProgressForm
from projects.models import KeyTaskList, Task, TaskCategory, TaskStatus

TASKS_PER_PAGE = 100


def _can_view(user: Any, task_list: KeyTaskList) -> bool:
    if user.has_perm("projects.update_task", task_list):
        return True
    return task_list.project is not None and user.has_perm("projects.view_project", task_list.project)


def _task_list_for(user: Any, list_id: int) -> KeyTaskList:
    try:
        task_list = KeyTaskList.objects.select_related("pm_team", "project").get(pk=list_id)
    except KeyTaskList.DoesNotExist as exc:
        raise Http404(_("任务清单不存在。")) from exc
    if not _can_view(user, task_list):
        raise Http404(_("任务清单不存在。"))
    return task_list


def _rollup(task_list: KeyTaskList) -> dict[str, Any]:
    counts = [{"status": s, "label": label, "count": getattr(task_list, f"count_{s}", 0)} for s, label in TaskStatus.choices]
    return {"list": task_list, "counts": counts, "total": sum(c["count"] for c in counts)}


@login_required
def task_board(request: HttpRequest, list_id: int) -> HttpResponse:
    task_list = _task_list_for(request.user, list_id)
    categories = list(TaskCategory.objects.all())
    owner_ids = Task.objects.filter(task_list_id=task_list.pk, owner__isnull=False).values("owner_id")
    owners = list(get_user_model().objects.filter(pk__in=owner_ids).order_by("display_name", "username"))
    filters = TaskFilterForm(request.GET or None, owners=owners, categories=categories)
    tasks = Task.objects.filter(task_list_id=task_list.pk).select_related("owner", "category", "milestone")
    if filters.is_valid():
        if filters.cleaned_data.get("status"):
            tasks = tasks.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data.get("owner"):
            tasks = tasks.filter(owner_id=filters.cleaned_data["owner"])
        if filters.cleaned_data.get("category"):
            tasks = tasks.filter(category_id=filters.cleaned_data["category"])
    page = Paginator(tasks.order_by("category__order", "category_id", "due_date", "id"), TASKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/tasks/board.html",
        {
            "task_list": task_list,
            "rollup": _rollup(task_list),
            "page": page,
            "filters": filters,
            "can_edit": request.user.has_perm("projects.update_task", task_list),
            "query": query.urlencode(),
        },
    )


def _recalculate_now(task_list_id: int) -> None:
    """Recompute this one list synchronously so the inline update shows the new status and health at
    once (the on-commit Celery recalculation still runs and then changes nothing)."""
    try:
        from projects.services import task_status
    except ImportError:
        return
    fn = getattr(task_status, "task_statuses_recalculate", None)
    if fn is not None:
        fn(task_list_ids=[task_list_id])


@login_required
@require_POST
def task_progress(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        task = Task.objects.select_related("task_list__project").get(pk=task_id)
    except Task.DoesNotExist as exc:
        raise Http404(_("任务不存在。")) from exc
    if not _can_view(request.user, task.task_list):
        raise Http404(_("任务不存在。"))
    form = TaskProgressForm(request.POST)
    error_message = ""
    if form.is_valid():
        done = request.POST.get("done") == "1"
        kwargs: dict[str, Any] = {
            "actor": request.user,
            "task_id": task.pk,
            "progress": 100 if done else form.cleaned_data["progress"],
            "blocked": form.cleaned_data["blocked"],
        }
        if form.cleaned_data.get("done_date"):
            kwargs["done_date"] = form.cleaned_data["done_date"]
        elif done:
            from django.utils import timezone

            kwargs["done_date"] = timezone.localdate()
        from projects.services.tasks import task_update_progress

        try:
            task_update_progress(**kwargs)
            _recalculate_now(task.task_list_id)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except ApplicationError as exc:
            error_message = exc.message
    else:
        error_message = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    if not request.htmx:
        if error_message:
            messages.error(request, error_message)
        return redirect("tasks:board", list_id=task.task_list_id)
    task = Task.objects.select_related("owner", "category", "milestone").get(pk=task.pk)
    task_list = KeyTaskList.objects.select_related("pm_team", "project").get(pk=task.task_list_id)
    return render(
        request,
        "projects/tasks/partials/task_row_update.html",
        # htmx swaps only 2xx answers: the error is shown inside the row and the status stays 200.
        {"t": task, "rollup": _rollup(task_list), "task_list": task_list, "can_edit": True, "error": error_message},
    )
