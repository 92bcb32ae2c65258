"""Web UI pages for PM teams: the portfolio dashboard, the project list, the project page (with
transitions, timeline, plan diff, routes, funding, change requests and audit trail), the draft
project form and the portfolio exports.

Views are thin: a form types the input, a service validates and writes, application errors map to
the friendly 403/404 pages or to a message with status 400/409."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pmflow.errors import ApplicationError, Forbidden, NotFound
from pmflow.rules import is_programme_admin
from pmflow.transitions import transitions_available
from projects.forms import AuditFilterForm, PlanVersionForm, ProjectForm, RouteForm, TransitionForm
from projects.models import PMTeam, Project, ProjectState
from projects.selectors.dashboard import (
    portfolio_filter_apply,
    portfolio_filters,
    portfolio_summary_cached,
    project_audit,
    project_audit_actors,
    project_page,
    request_roles,
)
from projects.selectors.next_step import project_next_steps
from projects.selectors.projects import plan_baseline_and_current, plan_diff, project_get_visible, projects_visible_to

PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 20


def _raise_for(exc: ApplicationError) -> None:
    """Missing and forbidden objects answer with the friendly 404 / 403 pages."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc
    if isinstance(exc, Forbidden):
        raise PermissionDenied(exc.message) from exc


def _visible_project(request: HttpRequest, pk: Any) -> Project:
    try:
        return project_get_visible(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _editable_teams(user: Any):
    teams = PMTeam.objects.order_by("code")
    if is_programme_admin(user):
        return teams
    return teams.filter(memberships__user_id=user.pk).distinct()


# --- dashboard --------------------------------------------------------------------------------------
@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Portfolio dashboard for programme admins and PM-team leads."""
    roles = request_roles(request)
    if not roles.sees_portfolio:
        raise PermissionDenied(_("组合看板仅对项目经理和管理员开放。"))
    filters = {k: v for k, v in portfolio_filters(request.GET).items() if k in ("direction", "tier", "team")}
    projects = portfolio_filter_apply(projects_visible_to(request.user), filters)
    data = portfolio_summary_cached(request.user, projects, filters)

    def link(**more: str) -> str:
        return reverse("projects:list") + "?" + urlencode({**filters, **more})

    for group in (data.by_direction, data.by_field, data.by_tier, data.by_state, data.by_health, data.by_team):
        for item in group:
            item["url"] = link(**{item["key"]: item["code"]})
    funding_rows = []
    for row in data.funding_by_direction:
        outstanding = max(row["awarded"] - row["released"], 0)
        url = link(direction=row["code"])
        funding_rows.append(
            {
                "label": row["label"],
                "url": url,
                "segments": [
                    {
                        "label": _("已拨付"),
                        "value": row["released"],
                        "cls": "bar-released",
                        "url": link(direction=row["code"], released="1"),
                    },
                    {"label": _("已承诺未拨付"), "value": outstanding, "cls": "bar-committed", "url": url},
                ],
            }
        )
    context = {
        "p": data,
        "filters": filters,
        "links": {
            "all": link(),
            "milestone_due": link(milestone_due="30"),
            "overdue_reviews": link(overdue_reviews="1"),
            "overdue_tasks": link(overdue_tasks="1"),
            "released": link(released="1"),
            "non_consensus": link(non_consensus="1"),
        },
        "funding_rows": funding_rows,
        "funding_legend": [{"label": _("已拨付"), "cls": "bar-released"}, {"label": _("已承诺未拨付"), "cls": "bar-committed"}],
    }
    return render(request, "projects/dashboard.html", context)


# --- project list -------------------------------------------------------------------------------------
@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    from projects.models import Direction, Tier

    filters = portfolio_filters(request.GET)
    qs = portfolio_filter_apply(projects_visible_to(request.user), filters).order_by("-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    roles = request_roles(request)
    context = {
        "page": page,
        "rows": page.object_list,
        "filters": filters,
        "directions": list(Direction.objects.order_by("order", "code")),
        "tiers": list(Tier.objects.order_by("order", "code")),
        "teams": list(_editable_teams(request.user)) if roles.works_on_projects else [],
        "states": ProjectState.choices,
        "healths": Project._meta.get_field("health").choices,
        "can_create": roles.is_pm_member or roles.is_admin,
    }
    return render(request, "projects/list.html", context)


# --- project page --------------------------------------------------------------------------------------
def _detail_context(request: HttpRequest, project: Project, **extra: Any) -> dict[str, Any]:
    page = project_page(project)
    baseline, current = plan_baseline_and_current(project)
    diff = plan_diff(baseline, current) if baseline and current and baseline.pk != current.pk else {}
    actors = project_audit_actors(project, page)
    audit_form = AuditFilterForm(request.GET or None, actors=actors)
    actor_id = date_from = date_to = None
    if audit_form.is_bound and audit_form.is_valid():
        actor = audit_form.cleaned_data.get("actor")
        actor_id = actor.pk if actor else None
        date_from, date_to = audit_form.cleaned_data.get("date_from"), audit_form.cleaned_data.get("date_to")
    audit_page = Paginator(
        project_audit(project, page, actor_id=actor_id, date_from=date_from, date_to=date_to), AUDIT_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    user = request.user
    available = transitions_available(project, user)
    transitions = [
        {
            "name": name,
            "label": Project.TRANSITION_LABELS.get(name, name),
            "reason_required": name in Project.REASON_REQUIRED,
            "danger": name in ("terminate", "reject", "suspend"),
        }
        for name in available
    ]
    next_steps = project_next_steps(project, page, user, transitions=available, has_plan=current is not None)
    can_edit = user.has_perm("projects.edit_project", project)
    context = {
        "project": project,
        "pg": page,
        "next": next_steps,
        "transitions": transitions,
        "baseline": baseline,
        "current": current,
        "diff": diff,
        "diff_fields": [
            {"label": _plan_field_label(name), "before": diff[name]["before"], "after": diff[name]["after"]}
            for name in ("objectives", "scope", "deliverables")
            if name in diff
        ],
        "audit_form": audit_form,
        "audit_page": audit_page,
        "can_edit": can_edit and project.status == ProjectState.DRAFT,
        "can_plan": can_edit and project.status not in ("closed", "rejected", "terminated"),
        "can_file_change": user.has_perm("milestones.file_change", project),
        "plan_form": extra.pop("plan_form", None) or PlanVersionForm(),
        "route_form": extra.pop("route_form", None) or RouteForm(),
        "today": timezone.localdate(),
    }
    context.update(extra)
    return context


def _plan_field_label(name: str) -> str:
    from projects.models import PlanVersion

    return str(PlanVersion._meta.get_field(name).verbose_name)


@login_required
@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _visible_project(request, pk)
    if request.htmx and request.GET.get("partial") == "audit":
        return render(request, "projects/partials/audit.html", _detail_context(request, project))
    return render(request, "projects/detail.html", _detail_context(request, project))


@login_required
@require_POST
def project_transition_view(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    from projects.services.projects import project_transition_direct

    project = _visible_project(request, pk)
    form = TransitionForm(request.POST)
    form.is_valid()
    try:
        project_transition_direct(
            actor=request.user, project_id=project.pk, name=name, reason=form.cleaned_data.get("reason", "")
        )
    except ApplicationError as exc:
        _raise_for(exc)
        message = exc.message
        if "reason" in exc.fields:
            message = _("“%(name)s”必须填写理由。") % {"name": Project.TRANSITION_LABELS.get(name, name)}
        messages.error(request, message)
        project = _visible_project(request, pk)
        return render(request, "projects/detail.html", _detail_context(request, project), status=exc.http_status)
    messages.success(request, _("已执行“%(name)s”。") % {"name": Project.TRANSITION_LABELS.get(name, name)})
    return redirect("projects:detail", pk=project.pk)


def _project_section_post(
    request: HttpRequest, pk: int, *, form_class: Any, service: Any, success: str, anchor: str, context_key: str
) -> HttpResponse:
    """POST of a form on the project page: validate, call ``service(actor=, project_id=, **cleaned)``,
    redirect to ``#anchor``; or show the page again with the service's field errors on the form."""
    project = _visible_project(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(actor=request.user, project_id=project.pk, **form.cleaned_data)
        except ApplicationError as exc:
            _raise_for(exc)
            _errors_to_form(form, exc)
        else:
            messages.success(request, success)
            return redirect(reverse("projects:detail", args=[project.pk]) + f"#{anchor}")
    return render(request, "projects/detail.html", _detail_context(request, project, **{context_key: form}), status=400)


@login_required
@require_POST
def plan_add(request: HttpRequest, pk: int) -> HttpResponse:
    from projects.services.plans import plan_version_add

    return _project_section_post(
        request,
        pk,
        form_class=PlanVersionForm,
        service=plan_version_add,
        success=_("培育方案已保存。"),
        anchor="plan",
        context_key="plan_form",
    )


@login_required
@require_POST
def route_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    from projects.services.projects import route_add

    return _project_section_post(
        request,
        pk,
        form_class=RouteForm,
        service=route_add,
        success=_("技术路线已添加。"),
        anchor="routes",
        context_key="route_form",
    )


def _errors_to_form(form: Any, exc: ApplicationError) -> None:
    """Put the service's field errors on the form (unknown fields become form-wide errors)."""
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for name, msgs in exc.fields.items():
        for msg in msgs:
            form.add_error(name if name in form.fields else None, msg)


# --- create / edit ------------------------------------------------------------------------------------------
@login_required
def project_create_view(request: HttpRequest) -> HttpResponse:
    from projects.services.projects import project_create

    teams = _editable_teams(request.user)
    if not is_programme_admin(request.user) and not teams.exists():
        raise PermissionDenied(_("只有项目经理团队成员可以创建项目。"))
    if request.method == "POST":
        form = ProjectForm(request.POST, teams=teams)
        if form.is_valid():
            try:
                project = project_create(actor=request.user, data=form.service_data())
            except ApplicationError as exc:
                _raise_for(exc)
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("项目草稿“%(code)s”已创建。") % {"code": project.code})
                return redirect("projects:detail", pk=project.pk)
        status = 400
    else:
        initial = {"support_mode": "direct_subsidy"}
        if teams.count() == 1:
            initial["pm_team"] = teams.first().code
        form = ProjectForm(initial=initial, teams=teams)
        status = 200
    return render(request, "projects/form.html", {"form": form, "project": None}, status=status)


@login_required
def project_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    from projects.services.projects import project_update

    project = _visible_project(request, pk)
    if not request.user.has_perm("projects.edit_project", project):
        raise PermissionDenied(_("您无权修改此项目。"))
    teams = _editable_teams(request.user)
    if request.method == "POST":
        form = ProjectForm(request.POST, teams=teams)
        if form.is_valid():
            try:
                project_update(actor=request.user, project_id=project.pk, data=form.service_data())
            except ApplicationError as exc:
                _raise_for(exc)
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("项目已保存。"))
                return redirect("projects:detail", pk=project.pk)
        status = 400
    else:
        form = ProjectForm(initial=ProjectForm.initial_from(project), teams=teams)
        status = 200
    return render(request, "projects/form.html", {"form": form, "project": project}, status=status)


# --- exports ---------------------------------------------------------------------------------------------------
@login_required
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    from projects.selectors.exports import portfolio_csv_rows

    filters = portfolio_filters(request.GET)
    qs = portfolio_filter_apply(projects_visible_to(request.user), filters)
    response = StreamingHttpResponse(portfolio_csv_rows(qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pmflow-portfolio-{timezone.localdate():%Y%m%d}.csv"'
    return response


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    from projects.selectors.exports import portfolio_xlsx

    filters = portfolio_filters(request.GET)
    qs = portfolio_filter_apply(projects_visible_to(request.user), filters)
    response = HttpResponse(portfolio_xlsx(qs), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="pmflow-portfolio-{timezone.localdate():%Y%m%d}.xlsx"'
    return response
