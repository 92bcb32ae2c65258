"""Change-request forms (one per kind) with an htmx preview of what they would change, the change
request page with its approve / reject / apply buttons, and the assessment form of a round."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from milestones.forms import CHANGE_FORMS, AssessmentForm, ChangeRequestBaseForm, TransitionNoteForm
from milestones.models import (
    Assessment,
    AssessmentRound,
    ChangeKind,
    ChangeRequest,
    ChangeState,
    GateReview,
    Milestone,
    MilestoneState,
)
from milestones.services.change_plans import gate_label
from milestones.views._common import field_errors, page_of, service_call
from pmflow.errors import ApplicationError
from pmflow.transitions import transitions_available
from projects.models import PMTeam, Project, TechnologyRoute

CHANGEABLE_MILESTONE_STATES = [
    MilestoneState.PLANNED,
    MilestoneState.IN_PROGRESS,
    MilestoneState.ON_HOLD,
    MilestoneState.SUBMITTED,
]


def _project_for(user: Any, project_id: Any, perm: str = "milestones.file_change") -> Project:
    try:
        project = Project.objects.select_related("pm_team", "field").get(pk=int(project_id))
    except (Project.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404(_("项目不存在。")) from exc
    if not user.has_perm("projects.view_project", project):
        raise Http404(_("项目不存在。"))
    if not user.has_perm(perm, project):
        raise PermissionDenied(_("您无权为该项目提交变更申请。"))
    return project


def _change_form(kind: str, project: Project, data: Any = None) -> ChangeRequestBaseForm:
    milestones = list(Milestone.objects.filter(project_id=project.pk).order_by("sequence"))
    if kind in (ChangeKind.RESCHEDULE, ChangeKind.RESCOPE):
        milestones = [m for m in milestones if m.status in CHANGEABLE_MILESTONE_STATES]
    elif kind == ChangeKind.REALLOCATE_BUDGET:
        milestones = [m for m in milestones if m.status not in (MilestoneState.CANCELLED,)]
    routes = (
        list(TechnologyRoute.objects.filter(project_id=project.pk, status="exploring").order_by("id"))
        if kind == ChangeKind.CONVERGE_ROUTE
        else []
    )
    teams = list(PMTeam.objects.exclude(pk=project.pm_team_id).order_by("code")) if kind == ChangeKind.CHANGE_TEAM else []
    return CHANGE_FORMS[kind](data, project=project, milestones=milestones, routes=routes, teams=teams)


def _kind_or_404(kind: str | None) -> str:
    if kind not in ChangeKind.values:
        raise Http404(_("未知的变更类型。"))
    return kind


@login_required
def change_request_new(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    project = _project_for(request.user, source.get("project"))
    kind = _kind_or_404(source.get("kind"))
    form = _change_form(kind, project, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            from milestones.services.changes import change_request_create, change_request_submit

            cr, error = service_call(
                request,
                change_request_create,
                actor=request.user,
                project_id=project.pk,
                kind=kind,
                payload=form.payload(),
                milestone_id=form.milestone_id(),
                reason=form.cleaned_data["reason"],
            )
            if error is None:
                _result, error = service_call(request, change_request_submit, actor=request.user, change_request_id=cr.pk)
                if error is None:
                    messages.success(request, _("变更申请已提交，等待审批。"))
                return redirect("milestones:change_request_detail", pk=cr.pk)
            for name, msgs in field_errors(error).items():
                for msg in msgs:
                    form.add_error(name if name in form.fields else None, msg)
            status = error.http_status
        else:
            status = 400
    return render(
        request,
        "milestones/change_request_form.html",
        {"project": project, "kind": kind, "kind_label": ChangeKind(kind).label, "form": form, "kinds": ChangeKind.choices},
        status=status,
    )


@login_required
@require_POST
def change_request_preview_view(request: HttpRequest) -> HttpResponse:
    """htmx: the before/after of what the filled-in form would change, nothing saved."""
    project = _project_for(request.user, request.POST.get("project"))
    kind = _kind_or_404(request.POST.get("kind"))
    form = _change_form(kind, project, request.POST)
    preview: Any = None
    error: ApplicationError | None = None
    # The reason is not needed to preview.
    form.fields["reason"].required = False
    if form.is_valid():
        from milestones.services.changes import change_request_preview

        try:
            preview = change_request_preview(
                project_id=project.pk, kind=kind, payload=form.payload(), milestone_id=form.milestone_id()
            )
        except ApplicationError as exc:
            error = exc
    return render(
        request,
        "milestones/partials/change_preview.html",
        {"form": form, "rows": _preview_rows(preview, project), "error": error},
    )


def _preview_rows(preview: Any, project: Project) -> list[dict[str, Any]]:
    """Flatten the before/after copies (``{"<model>:<pk>": {field: value}}``) into table rows, with
    readable object names (milestones, gate reviews, routes, the project) and field labels. Three queries."""
    if not preview:
        return []
    before, after = preview.get("before", {}) or {}, preview.get("after", {}) or {}
    names: dict[str, str] = {f"project:{project.pk}": f"{project.code}"}
    for m in Milestone.objects.filter(project_id=project.pk).only("pk", "sequence", "title"):
        names[f"milestone:{m.pk}"] = f"M{m.sequence} {m.title}"
    for r in TechnologyRoute.objects.filter(project_id=project.pk).only("pk", "name"):
        names[f"technologyroute:{r.pk}"] = r.name
    for gate in GateReview.objects.filter(project_id=project.pk).select_related("milestone"):
        names[f"gatereview:{gate.pk}"] = gate_label(gate)
    models_by_name = {"milestone": Milestone, "project": Project, "technologyroute": TechnologyRoute, "gatereview": GateReview}
    rows = []
    for key in dict.fromkeys([*before.keys(), *after.keys()]):
        b, a = before.get(key), after.get(key)
        if not (isinstance(b, dict) or isinstance(a, dict)):
            rows.append({"item": "", "field": key, "before": b, "after": a, "changed": b != a})
            continue
        b, a = b or {}, a or {}
        model = models_by_name.get(str(key).split(":")[0])
        for sub in dict.fromkeys([*b.keys(), *a.keys()]):
            label = sub
            if model is not None:
                try:
                    label = str(model._meta.get_field(sub).verbose_name)
                except FieldDoesNotExist:
                    label = sub
            rows.append(
                {
                    "item": names.get(key, key),
                    "field": label,
                    "before": b.get(sub),
                    "after": a.get(sub),
                    "changed": b.get(sub) != a.get(sub),
                }
            )
    return rows


def _change_request_for(user: Any, pk: int) -> ChangeRequest:
    try:
        cr = ChangeRequest.objects.select_related("project__pm_team", "milestone", "created_by", "decided_by").get(pk=pk)
    except ChangeRequest.DoesNotExist as exc:
        raise Http404(_("变更申请不存在。")) from exc
    if not user.has_perm("projects.view_project", cr.project):
        raise Http404(_("变更申请不存在。"))
    return cr


@login_required
def change_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cr = _change_request_for(request.user, pk)
    preview_error: ApplicationError | None = None
    if cr.status == ChangeState.APPLIED:
        rows = _preview_rows({"before": cr.before, "after": cr.after}, cr.project)
    elif cr.status in (ChangeState.DRAFT, ChangeState.SUBMITTED, ChangeState.APPROVED):
        # What applying it now would change (the world may have moved since it was filed).
        from milestones.services.changes import change_request_preview

        try:
            preview = change_request_preview(
                project_id=cr.project_id, kind=cr.kind, payload=cr.payload, milestone_id=cr.milestone_id
            )
        except ApplicationError as exc:
            preview, preview_error = None, exc
        rows = _preview_rows(preview, cr.project)
    else:
        rows = []
    return render(
        request,
        "milestones/change_request_detail.html",
        {
            "cr": cr,
            "rows": rows,
            "applied": cr.status == ChangeState.APPLIED,
            "preview_error": preview_error,
            "transitions": transitions_available(cr, request.user),
            "labels": ChangeRequest.TRANSITION_LABELS,
            "note_form": TransitionNoteForm(),
        },
    )


@login_required
def change_request_list(request: HttpRequest) -> HttpResponse:
    """Change requests of one project (``?project=``), or of every project the user may see."""
    from projects.selectors.projects import projects_visible_to

    project = None
    crs = ChangeRequest.objects.select_related("project", "milestone", "created_by")
    if request.GET.get("project"):
        project = _project_for(request.user, request.GET.get("project"), perm="projects.view_project")
        crs = crs.filter(project_id=project.pk)
    else:
        crs = crs.filter(project_id__in=projects_visible_to(request.user).values("pk"))
    status = request.GET.get("status") or ""
    if status in ChangeState.values:
        crs = crs.filter(status=status)
    query = "&".join(f"{k}={v}" for k, v in (("project", project.pk if project else ""), ("status", status)) if v)
    return render(
        request,
        "milestones/change_request_list.html",
        {
            "project": project,
            "page": page_of(request, crs),
            "kinds": ChangeKind.choices,
            "states": ChangeState.choices,
            "status": status,
            "can_file": project is not None and request.user.has_perm("milestones.file_change", project),
            "query": query,
        },
    )


@login_required
@require_POST
def change_request_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    cr = _change_request_for(request.user, pk)
    from milestones.services import changes as change_services

    fn = getattr(change_services, f"change_request_{name}", None) if name in ChangeRequest.TRANSITION_PERMISSIONS else None
    if fn is None:
        raise Http404()
    kwargs: dict[str, Any] = {"actor": request.user, "change_request_id": cr.pk}
    if name in ("approve", "reject"):
        form = TransitionNoteForm(request.POST)
        kwargs["note"] = form.data.get("note", "")
    _result, error = service_call(request, fn, **kwargs)
    if error is None:
        messages.success(request, _("操作成功：%(name)s") % {"name": ChangeRequest.TRANSITION_LABELS[name]})
    return redirect("milestones:change_request_detail", pk=cr.pk)


@login_required
def assessment_form(request: HttpRequest, round_id: int, project_id: int) -> HttpResponse:
    project = _project_for(request.user, project_id, perm="milestones.assess_project")
    try:
        rnd = AssessmentRound.objects.get(pk=round_id)
    except AssessmentRound.DoesNotExist as exc:
        raise Http404(_("评估轮次不存在。")) from exc
    existing = Assessment.objects.filter(round_id=rnd.pk, project_id=project.pk).first()
    submitted = existing is not None and existing.submitted_at is not None
    status = 200
    if request.method == "POST" and not submitted:
        form = AssessmentForm(request.POST)
        if form.is_valid():
            from milestones.services.changes import assessment_submit

            _result, error = service_call(
                request, assessment_submit, actor=request.user, round_id=rnd.pk, project_id=project.pk, **form.cleaned_data
            )
            if error is None:
                messages.success(request, _("评估已提交。"))
                return redirect("milestones:assessment_form", round_id=rnd.pk, project_id=project.pk)
            for name, msgs in field_errors(error).items():
                for msg in msgs:
                    form.add_error(name if name in form.fields else None, msg)
            status = error.http_status
        else:
            status = 400
    else:
        initial = (
            {f: getattr(existing, f) for f in AssessmentForm.base_fields if getattr(existing, f, "")}
            if existing is not None
            else {}
        )
        form = AssessmentForm(initial=initial)
    return render(
        request,
        "milestones/assessment_form.html",
        {"project": project, "round": rnd, "form": form, "assessment": existing, "submitted": submitted},
        status=status,
    )


@login_required
def assessment_list(request: HttpRequest) -> HttpResponse:
    """The user's assessments in open rounds (the projects they may see), submitted or still to do."""
    from projects.selectors.projects import projects_visible_to

    rows = (
        Assessment.objects.filter(round__is_open=True, project_id__in=projects_visible_to(request.user).values("pk"))
        .select_related("round", "project", "submitted_by")
        .order_by("round__due_date", "submitted_at", "project__code")
    )
    return render(request, "milestones/assessment_list.html", {"page": page_of(request, rows)})
