"""Change-request forms (one per kind) with an htmx preview of what they would change, the change
request page with its approve / reject / apply buttons, and the assessment form of a round."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from milestones.forms import AssessmentForm, TransitionNoteForm
from milestones.forms_changes import CHANGE_FORMS, ChangeRequestBaseForm, wan
from milestones.models import (
    Assessment,
    AssessmentRound,
    ChangeKind,
    ChangeRequest,
    ChangeState,
    GateReview,
    Milestone,
    MilestoneState,
    TrancheRelease,
)
from milestones.services.assessments import assessment_submit
from milestones.services.change_plans import (
    CLOSED_MILESTONE_STATES,
    PAYLOAD_FIELD_LABELS,
    KindOption,
    change_kind_options,
    gate_label,
    plan_error_lines,
)
from milestones.views._common import field_errors, page_of, service_call
from pmflow.errors import ApplicationError, Forbidden, NotFound
from pmflow.models import User
from pmflow.transitions import transitions_available
from projects.models import PMTeam, Project, TechnologyRoute

#: the transitions the deciders take on a request that must still be applicable
NEEDS_APPLICABLE = frozenset({"approve", "apply"})


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


def _project_rows(project: Project) -> tuple[list[Milestone], list[TechnologyRoute]]:
    """The project's milestones and routes (two queries): the chooser's conditions and the forms' choices."""
    milestones = list(Milestone.objects.filter(project_id=project.pk).order_by("sequence"))
    routes = list(TechnologyRoute.objects.filter(project_id=project.pk).order_by("id"))
    return milestones, routes


def _change_form(
    kind: str, project: Project, milestones: list[Milestone], routes: list[TechnologyRoute], data: Any = None
) -> ChangeRequestBaseForm:
    """The kind's form, its choices limited to what the plan accepts: open milestones, the tranches
    of milestones not cancelled, exploring routes, teams covering the project's field, project leads."""
    kwargs: dict[str, Any] = {"project": project, "milestones": [], "routes": [], "teams": []}
    if kind in (ChangeKind.RESCHEDULE, ChangeKind.RESCOPE):
        kwargs["milestones"] = [m for m in milestones if m.status not in CLOSED_MILESTONE_STATES]
    elif kind == ChangeKind.REALLOCATE_BUDGET:
        kwargs["milestones"] = [m for m in milestones if m.status != MilestoneState.CANCELLED]
        kwargs["released"] = dict(
            TrancheRelease.objects.filter(milestone__project_id=project.pk).values_list("milestone_id", "amount")
        )
    elif kind == ChangeKind.CONVERGE_ROUTE:
        kwargs["routes"] = [r for r in routes if r.status == TechnologyRoute.RouteState.EXPLORING]
    elif kind == ChangeKind.CHANGE_TEAM:
        kwargs["teams"] = list(
            PMTeam.objects.exclude(pk=project.pm_team_id)
            .filter(Q(fields=project.field_id) | Q(fields__isnull=True))
            .distinct()
            .order_by("code")
        )
        kwargs["leads"] = list(
            User.objects.filter(is_active=True, pk__in=Project.objects.values("lead_id"))
            .exclude(pk=project.lead_id)
            .order_by("username")
        )
    return CHANGE_FORMS[kind](data, **kwargs)


def _kind_or_404(kind: str | None) -> str:
    if kind not in ChangeKind.values:
        raise Http404(_("未知的变更类型。"))
    return kind


def _chooser(request: HttpRequest, project: Project, options: list[KindOption], status: int = 200) -> HttpResponse:
    return render(
        request,
        "milestones/change_request_choose.html",
        {
            "project": project,
            "available": [o for o in options if not o.unavailable],
            "unavailable": [o for o in options if o.unavailable],
        },
        status=status,
    )


def _attach(form: ChangeRequestBaseForm, error: ApplicationError) -> None:
    """A service error next to the field it is about (payload keys mapped to form fields)."""
    if error.fields:
        form.attach_service_errors(error.fields)
    else:
        form.add_error(None, error.message)


@login_required
def change_request_new(request: HttpRequest) -> HttpResponse:
    """``?project=N``: the kind chooser (every kind, those the project cannot take now greyed with the
    reason); ``&kind=K``: the kind's form. POST ``step=preview`` shows what it would change, saving
    nothing; POST otherwise files and submits it (one service call)."""
    source = request.POST if request.method == "POST" else request.GET
    project = _project_for(request.user, source.get("project"))
    milestones, routes = _project_rows(project)
    options = change_kind_options(project, milestones=milestones, routes=routes)
    if not source.get("kind"):
        return _chooser(request, project, options)
    kind = _kind_or_404(source.get("kind"))
    option = next(o for o in options if o.kind == kind)
    if option.unavailable:
        messages.error(request, _("不能申请“%(kind)s”：%(why)s") % {"kind": option.label, "why": option.unavailable})
        return _chooser(request, project, options, status=409 if request.method == "POST" else 200)
    form = _change_form(kind, project, milestones, routes, request.POST if request.method == "POST" else None)
    status = 200
    rows: list[dict[str, Any]] = []
    previewed = False
    if request.method == "POST":
        preview_step = request.POST.get("step") == "preview"
        if preview_step:
            form.fields["reason"].required = False  # not needed to preview
        if not form.is_valid():
            status = 400
        elif preview_step:
            from milestones.services.changes import change_request_preview

            try:
                preview = change_request_preview(
                    project_id=project.pk, kind=kind, payload=form.payload(), milestone_id=form.milestone_id()
                )
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except ApplicationError as exc:
                _attach(form, exc)
                status = exc.http_status
            else:
                rows, previewed = _preview_rows(preview, project), True
        else:
            from milestones.services.changes import change_request_create_and_submit

            try:
                cr = change_request_create_and_submit(
                    actor=request.user,
                    project_id=project.pk,
                    kind=kind,
                    payload=form.payload(),
                    milestone_id=form.milestone_id(),
                    reason=form.cleaned_data["reason"],
                )
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except Forbidden as exc:
                raise PermissionDenied(exc.message) from exc
            except ApplicationError as exc:
                _attach(form, exc)
                status = exc.http_status
            else:
                messages.success(request, _("变更申请已提交，等待审批。"))
                return redirect("milestones:change_request_detail", pk=cr.pk)
    return render(
        request,
        "milestones/change_request_form.html",
        {
            "project": project,
            "kind": kind,
            "option": option,
            "form": form,
            "rows": rows,
            "previewed": previewed,
        },
        status=status,
    )


@login_required
@require_POST
def change_request_preview_view(request: HttpRequest) -> HttpResponse:
    """htmx: the before/after of what the filled-in form would change, nothing saved."""
    project = _project_for(request.user, request.POST.get("project"))
    kind = _kind_or_404(request.POST.get("kind"))
    milestones, routes = _project_rows(project)
    form = _change_form(kind, project, milestones, routes, request.POST)
    preview: Any = None
    # The reason is not needed to preview.
    form.fields["reason"].required = False
    if form.is_valid():
        from milestones.services.changes import change_request_preview

        try:
            preview = change_request_preview(
                project_id=project.pk, kind=kind, payload=form.payload(), milestone_id=form.milestone_id()
            )
        except ApplicationError as exc:
            _attach(form, exc)
    return render(
        request,
        "milestones/partials/change_preview.html",
        {"form": form, "rows": _preview_rows(preview, project)},
    )


def _display(model: Any, field: str, value: Any, names: dict[str, dict[Any, str]]) -> Any:
    """A value of a before/after copy as people read it: amounts in 万元, states by their label,
    teams and people by name, timestamps to the minute."""
    if value is None or value == "":
        return None
    if field == "tranche_amount":
        try:
            return f"{wan(Decimal(str(value))):,f} {_('万元')}"
        except (InvalidOperation, ValueError):
            return value
    if field in names:
        return names[field].get(value, value)
    if model is not None and field == "status":
        return dict(model._meta.get_field("status").flatchoices).get(value, value)
    if field == "decided_at" and isinstance(value, str):
        return value[:16].replace("T", " ")
    return value


def _preview_rows(preview: Any, project: Project) -> list[dict[str, Any]]:
    """Flatten the before/after copies (``{"<model>:<pk>": {field: value}}``) into table rows, with
    readable object names (milestones, gate reviews, routes, the project), field labels and values.
    A fixed number of queries (up to five)."""
    if not preview:
        return []
    before, after = preview.get("before", {}) or {}, preview.get("after", {}) or {}
    names: dict[str, str] = {f"project:{project.pk}": f"{project.code}"}
    for m in Milestone.objects.filter(project_id=project.pk).only("pk", "sequence", "title"):
        names[f"milestone:{m.pk}"] = f"M{m.sequence} {m.title}"
    for r in TechnologyRoute.objects.filter(project_id=project.pk).only("pk", "name"):
        names[f"technologyroute:{r.pk}"] = r.name
    if any(str(k).startswith("gatereview:") for k in [*before, *after]):
        for gate in GateReview.objects.filter(project_id=project.pk).select_related("milestone"):
            names[f"gatereview:{gate.pk}"] = gate_label(gate)
    values: dict[str, dict[Any, str]] = {}
    copies = [*before.values(), *after.values()]
    team_ids = {c.get("pm_team") for c in copies if isinstance(c, dict) and c.get("pm_team")}
    lead_ids = {c.get("lead") for c in copies if isinstance(c, dict) and c.get("lead")}
    if team_ids:
        values["pm_team"] = {t.pk: t.name for t in PMTeam.objects.filter(pk__in=team_ids)}
    if lead_ids:
        values["lead"] = {u.pk: (u.get_full_name() or u.username) for u in User.objects.filter(pk__in=lead_ids)}
    models_by_name = {"milestone": Milestone, "project": Project, "technologyroute": TechnologyRoute, "gatereview": GateReview}
    rows = []
    for key in dict.fromkeys([*before.keys(), *after.keys()]):
        b, a = before.get(key), after.get(key)
        if not (isinstance(b, dict) or isinstance(a, dict)):
            label = PAYLOAD_FIELD_LABELS.get(key, key)
            rows.append({"item": "", "field": label, "before": b, "after": a, "changed": b != a})
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
                    "before": _display(model, sub, b.get(sub), values),
                    "after": _display(model, sub, a.get(sub), values),
                    "changed": b.get(sub) != a.get(sub),
                }
            )
    return rows


def _payload_rows(cr: ChangeRequest) -> list[tuple[str, str]]:
    """What was asked for, as (label, readable value) pairs: never the payload's keys or raw ids."""
    p = cr.payload or {}
    out: list[tuple[str, str]] = []
    if p.get("new_due"):
        out.append((str(PAYLOAD_FIELD_LABELS["new_due"]), p["new_due"]))
    if p.get("extend_end_to"):
        out.append((str(PAYLOAD_FIELD_LABELS["extend_end_to"]), p["extend_end_to"]))
    for key in ("deliverables", "acceptance_criteria"):
        if p.get(key):
            out.append((str(PAYLOAD_FIELD_LABELS[key]), p[key]))
    if p.get("cancel_milestone"):
        out.append((str(PAYLOAD_FIELD_LABELS["cancel_milestone"]), _("是")))
    if isinstance(p.get("tranches"), dict):
        titles = {
            str(m.pk): f"M{m.sequence} {m.title}"
            for m in Milestone.objects.filter(project_id=cr.project_id).only("pk", "sequence", "title")
        }
        for pk, amount in p["tranches"].items():
            try:
                shown = f"{wan(Decimal(str(amount))):,f} {_('万元')}"
            except (InvalidOperation, ValueError):
                shown = str(amount)
            out.append((titles.get(str(pk), f"#{pk}"), shown))
    if p.get("selected_route_id") is not None or isinstance(p.get("dropped"), dict):
        routes = {str(r.pk): r.name for r in TechnologyRoute.objects.filter(project_id=cr.project_id).only("pk", "name")}
        if p.get("selected_route_id") is not None:
            out.append((str(PAYLOAD_FIELD_LABELS["selected_route_id"]), routes.get(str(p["selected_route_id"]), "—")))
        for pk, lessons in (p.get("dropped") or {}).items():
            out.append((_("放弃“%(name)s”") % {"name": routes.get(str(pk), f"#{pk}")}, str(lessons)))
    if p.get("pm_team_id"):
        team = PMTeam.objects.filter(pk=p["pm_team_id"]).first()
        out.append((str(PAYLOAD_FIELD_LABELS["pm_team_id"]), team.name if team else "—"))
    if p.get("lead_id"):
        lead = User.objects.filter(pk=p["lead_id"]).first()
        out.append((str(PAYLOAD_FIELD_LABELS["lead_id"]), (lead.get_full_name() or lead.username) if lead else "—"))
    return out


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
    blocked: list[str] = []
    transitions = transitions_available(cr, request.user)
    if cr.status == ChangeState.APPLIED:
        rows = _preview_rows({"before": cr.before, "after": cr.after}, cr.project)
    elif cr.status in (ChangeState.DRAFT, ChangeState.SUBMITTED, ChangeState.APPROVED):
        # What applying it now would change, by the same plan the apply runs (the world may have moved
        # since it was filed). If it could not be applied, say why and offer neither approve nor apply.
        from milestones.services.changes import change_request_preview

        try:
            preview = change_request_preview(
                project_id=cr.project_id, kind=cr.kind, payload=cr.payload, milestone_id=cr.milestone_id
            )
        except ApplicationError as exc:
            preview, blocked = None, [str(line) for line in plan_error_lines(exc)]
            transitions = [t for t in transitions if t not in NEEDS_APPLICABLE]
        rows = _preview_rows(preview, cr.project)
    else:
        rows = []
    admin_applies = (
        cr.status == ChangeState.APPROVED
        and not blocked
        and "apply" not in transitions
        and request.user.has_perm("milestones.decide_change", cr.project)
    )
    return render(
        request,
        "milestones/change_request_detail.html",
        {
            "cr": cr,
            "rows": rows,
            "payload_rows": _payload_rows(cr),
            "applied": cr.status == ChangeState.APPLIED,
            "blocked": blocked,
            "admin_applies": admin_applies,
            "transitions": transitions,
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
    try:
        fn(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except ApplicationError as exc:
        label = ChangeRequest.TRANSITION_LABELS[name]
        if name == "reject" and "reason" in exc.fields:
            messages.error(request, _("驳回必须填写审批意见。"))
        elif exc.fields:
            for line in plan_error_lines(exc):
                messages.error(request, _("%(name)s失败：%(why)s") % {"name": label, "why": line})
        else:
            messages.error(request, _("%(name)s失败：%(why)s") % {"name": label, "why": exc.message})
    else:
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
