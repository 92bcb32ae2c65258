"""Scheduling the screening gate of a submitted project, and assigning a gate's reviewers in bulk
(DESIGN.md §1: programme admin, or the PM-team lead where the admin allows; a gate's chair assigns
its reviewers too). Thin: the form types the input, one service writes, errors land on the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from milestones.forms_scheduling import CriterionFormSet, ReviewerAssignForm, ScreeningScheduleForm, criteria_of
from milestones.models import GateKind, GateReview, GateState
from milestones.selectors.scheduling import committees_for_project, gate_for_assignment, reviewer_candidates
from milestones.services.gates import DEFAULT_CRITERIA, gate_review_workdays
from milestones.services.scheduling import gate_reviewers_assign, gate_schedule_screening
from milestones.views._common import field_errors, service_call
from pmflow.parsing import date_parse
from pmflow.workdays import add_workdays, calendar_known, is_workday, workdays_between
from projects.models import Project, ProjectState

SCHEDULABLE_STATES = (ProjectState.SUBMITTED,)


def _project_for_scheduling(user: Any, project_id: int) -> Project:
    project = (
        Project.objects.select_related("field__tier", "field__direction", "pm_team", "performer").filter(pk=project_id).first()
    )
    if project is None or not user.has_perm("projects.view_project", project):
        raise Http404(_("项目不存在。"))
    if not user.has_perm("milestones.schedule_screening", project):
        raise PermissionDenied(_("只有管理员（或经管理员授权的本团队项目经理）可以安排立项筛选评审。"))
    return project


def _due_context(day: dt.date | None) -> dict[str, Any]:
    today = timezone.localdate()
    if day is None:
        return {"due": None}
    return {
        "due": day,
        "due_workdays": workdays_between(today, day),
        "due_is_workday": is_workday(day),
        "due_calendar_known": calendar_known(day.year),
    }


@login_required
@require_http_methods(["GET", "POST"])
def gate_schedule_view(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _project_for_scheduling(request.user, project_id)
    committees = committees_for_project(project)
    workdays_url = reverse("milestones:gate_schedule_workdays")
    status = 200
    if project.status not in SCHEDULABLE_STATES:
        messages.error(
            request,
            _("项目当前状态为“%(s)s”，只有已提交的项目可以安排立项筛选评审。") % {"s": project.get_status_display()},
        )
        return redirect("projects:detail", pk=project.pk)
    if request.method == "POST":
        form = ScreeningScheduleForm(request.POST, committees=committees, workdays_url=workdays_url)
        formset = CriterionFormSet(request.POST, prefix="criteria")
        if form.is_valid() & formset.is_valid():
            committee = form.cleaned_data["committee"]
            gate, error = service_call(
                request,
                gate_schedule_screening,
                actor=request.user,
                project_id=project.pk,
                committee_id=committee.pk if committee else None,
                due_date=form.cleaned_data["due_date"],
                criteria=criteria_of(formset),
                quorum=form.cleaned_data["quorum"],
            )
            if error is None:
                messages.success(request, _("立项筛选评审已安排，项目进入筛选评审。请分配评审专家。"))
                return redirect("milestones:gate_assign_reviewers", gate_id=gate.pk)
            for name, msgs in field_errors(error).items():
                for msg in msgs:
                    if name == "criteria":
                        continue  # shown beside the criteria table
                    form.add_error(name if name in form.fields else None, msg)
            criteria_errors = field_errors(error).get("criteria", [])
            status = error.http_status
        else:
            criteria_errors = []
            status = 400
    else:
        due = add_workdays(timezone.localdate(), gate_review_workdays())
        form = ScreeningScheduleForm(
            committees=committees,
            workdays_url=workdays_url,
            initial={"due_date": due, "quorum": 3, "committee": committees[0] if len(committees) == 1 else None},
        )
        formset = CriterionFormSet(prefix="criteria", initial=[dict(c) for c in DEFAULT_CRITERIA[GateKind.SCREENING]])
        criteria_errors = []
    due_value = (
        form.cleaned_data.get("due_date") if form.is_bound and hasattr(form, "cleaned_data") else form.initial.get("due_date")
    )
    context = {
        "project": project,
        "form": form,
        "formset": formset,
        "criteria_errors": criteria_errors,
        "tier": project.field.tier,
        "tier_focus": project.field.tier.focus_en if (get_language() or "").startswith("en") else project.field.tier.focus_zh,
        "committees_empty": not committees,
        **_due_context(due_value),
    }
    return render(request, "milestones/gate_schedule.html", context, status=status)


@login_required
@require_GET
def gate_schedule_workdays(request: HttpRequest) -> HttpResponse:
    """htmx fragment: working days from today to ``due_date`` and whether that day is a working day."""
    try:
        day = date_parse(request.GET.get("due_date") or "")
    except ValueError:
        day = None
    return render(request, "milestones/gate_schedule_workdays.html", _due_context(day))


def _gate_for_assigning(user: Any, gate_id: int) -> GateReview:
    gate = gate_for_assignment(gate_id)
    if gate is None:
        raise Http404(_("关口评审不存在。"))
    if not user.has_perm("milestones.assign_reviewers", gate):
        if user.has_perm("milestones.view_gate", gate):
            raise PermissionDenied(_("只有评审委员会主任或管理员可以分配评审专家。"))
        raise Http404(_("关口评审不存在。"))
    return gate


@login_required
@require_http_methods(["GET", "POST"])
def gate_assign_reviewers_view(request: HttpRequest, gate_id: int) -> HttpResponse:
    gate = _gate_for_assigning(request.user, gate_id)
    candidates = reviewer_candidates(gate)
    member_ids = [c.user.pk for c in candidates]
    can_assign = gate.status in (GateState.SCHEDULED, GateState.OPEN)
    status = 200
    if request.method == "POST":
        form = ReviewerAssignForm(request.POST, member_ids=member_ids)
        if not can_assign:
            messages.error(request, _("评分已截止或评审已结束，不能再分配专家。"))
            status = 409
        elif form.is_valid():
            _result, error = service_call(
                request, gate_reviewers_assign, actor=request.user, gate_id=gate.pk, reviewer_ids=form.cleaned_data["reviewers"]
            )
            if error is None:
                messages.success(request, _("已分配 %(n)d 位评审专家。") % {"n": len(form.cleaned_data["reviewers"])})
                if request.user.has_perm("milestones.chair_gate", gate):
                    return redirect("milestones:gate_detail", gate_id=gate.pk)
                return redirect("projects:detail", pk=gate.project_id)
            for name, msgs in field_errors(error).items():
                for msg in msgs:
                    form.add_error(name if name in form.fields else None, msg)
            status = error.http_status
        else:
            status = 400
        checked = {str(v) for v in request.POST.getlist("reviewers")}
    else:
        form = ReviewerAssignForm(member_ids=member_ids)
        checked = {str(c.user.pk) for c in candidates if c.suggested}
    assigned = [c for c in candidates if c.assigned]
    context = {
        "gate": gate,
        "project": gate.project,
        "form": form,
        "candidates": candidates,
        "checked": checked,
        "assigned": assigned,
        "can_assign": can_assign,
        "can_chair": request.user.has_perm("milestones.chair_gate", gate),
        "workdays_left": workdays_between(timezone.localdate(), gate.due_date),
    }
    return render(request, "milestones/gate_schedule_assign.html", context, status=status)
