"""The chair's gate pages: the list of gates they chair, and one gate with every scorecard, the
computed outcome, open/close buttons, the decision form and the non-consensus approval form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from milestones.forms import GateCloseForm, GateDecisionForm, NonConsensusApprovalForm
from milestones.models import (
    CriterionScore,
    GateCriterion,
    GateDecision,
    GateKind,
    GateReview,
    NonConsensusApproval,
    ReviewerAssignment,
)
from milestones.selectors.gate_lists import FINAL_GATE_STATES, chair_gates_by_tab, tab_of
from milestones.selectors.gates import decision_options, gate_computed_outcome
from milestones.services.decisions import gate_decide, non_consensus_approve
from milestones.views._common import field_errors, page_of, service_call
from milestones.views.tabs import tab_links
from pmflow.transitions import transitions_available
from pmflow.workdays import workdays_between
from projects.models import PMTeamMembership, ProjectState, Task


@login_required
def chair_gates(request: HttpRequest) -> HttpResponse:
    tab = tab_of(request.GET.get("tab"))
    gates, counts = chair_gates_by_tab(request.user, tab)
    page = page_of(request, gates, count=counts[tab])  # the tab's count is read with the others
    today = timezone.localdate()
    rows = [
        {
            "g": g,
            "open_work": g.status not in FINAL_GATE_STATES,
            "workdays_left": workdays_between(today, g.due_date),
        }
        for g in page.object_list
    ]
    return render(
        request,
        "milestones/chair_gates.html",
        {"page": page, "rows": rows, "tab": tab, "tabs": tab_links(counts), "query": f"tab={tab}"},
    )


def _gate_for_chair(user: Any, gate_id: int) -> GateReview:
    try:
        gate = GateReview.objects.select_related("project__pm_team", "milestone", "chair").get(pk=gate_id)
    except GateReview.DoesNotExist as exc:
        raise Http404(_("关口评审不存在。")) from exc
    if not user.has_perm("milestones.chair_gate", gate):
        if user.has_perm("milestones.view_gate", gate):
            raise PermissionDenied(_("只有评审委员会主任或管理员可以查看全部评分并作出决定。"))
        raise Http404(_("关口评审不存在。"))
    return gate


def computed_summary(gate: GateReview) -> dict[str, Any]:
    """The gates selector's computed outcome (3 queries)."""
    return gate_computed_outcome(gate=gate)


def decision_form_for(gate: GateReview, summary: dict[str, Any], data: Any = None) -> GateDecisionForm:
    """The decision form offering only what ``gate_decide`` accepts for this gate now."""
    return GateDecisionForm(data, options=decision_options(kind=gate.kind, summary=summary), computed=summary["outcome"])


def outstanding_reviewers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reviewers not in yet (undeclared, or unconflicted without a submitted card), with what is missing."""
    out = []
    for row in rows:
        a, card = row["a"], row["card"]
        if a.has_conflict is None:
            out.append({"reviewer": a.reviewer, "missing": _("未声明利益冲突")})
        elif a.has_conflict is False and (card is None or card.submitted_at is None):
            out.append({"reviewer": a.reviewer, "missing": _("评分表草稿未提交") if card else _("尚未评分")})
    return out


def _gate_context(request: HttpRequest, gate: GateReview) -> dict[str, Any]:
    assignments = list(
        ReviewerAssignment.objects.filter(gate_id=gate.pk)
        .select_related("reviewer", "scorecard")
        .prefetch_related(Prefetch("scorecard__scores", queryset=CriterionScore.objects.select_related("criterion")))
        .order_by("id")
    )
    criteria = list(GateCriterion.objects.filter(gate_id=gate.pk).order_by("kind", "order", "id"))
    summary = computed_summary(gate)
    decision = GateDecision.objects.filter(gate_id=gate.pk).select_related("decided_by").first()
    conditions = (
        list(Task.objects.filter(gate_decision_id=decision.pk).select_related("owner").order_by("due_date", "id"))
        if decision is not None
        else []
    )
    project = gate.project
    rows = []
    for a in assignments:
        card = getattr(a, "scorecard", None) if _has_card(a) else None
        by_criterion = {s.criterion_id: s for s in card.scores.all()} if card else {}
        rows.append({"a": a, "card": card, "cells": [by_criterion.get(c.pk) for c in criteria]})
    allow_nc = bool(summary.get("non_consensus_allowed")) and gate.kind == GateKind.SCREENING
    nc_form = None
    nc_approval = None
    endorsers: list[Any] = []
    if gate.kind == GateKind.SCREENING and project.status == ProjectState.NON_CONSENSUS:
        endorsers = [
            m.user
            for m in PMTeamMembership.objects.filter(team_id=project.pm_team_id, role=PMTeamMembership.Role.LEAD).select_related(
                "user"
            )
        ]
        nc_form = NonConsensusApprovalForm(endorsers=endorsers, initial={"endorsement_by": project.pm_team.lead_id})
    elif project.non_consensus_track:
        nc_approval = NonConsensusApproval.objects.filter(project_id=project.pk).select_related("endorsed_by").first()
    return {
        "gate": gate,
        "project": project,
        "criteria": criteria,
        "rows": rows,
        "summary": summary,
        "decision": decision,
        "conditions": conditions,
        "transitions": [t for t in transitions_available(gate, request.user) if t in ("open", "close")],
        "close_form": GateCloseForm(outstanding=outstanding_reviewers(rows)),
        "decision_form": decision_form_for(gate, summary),
        "allow_non_consensus": allow_nc,
        "nc_form": nc_form,
        "endorsers": endorsers,
        "nc_approval": nc_approval,
        "workdays_left": workdays_between(timezone.localdate(), gate.due_date),
        "spread": _spread_points(rows),
    }


def _has_card(a: ReviewerAssignment) -> bool:
    try:
        return a.scorecard is not None
    except ReviewerAssignment.scorecard.RelatedObjectDoesNotExist:
        return False


def _spread_points(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """x positions (0–100 → SVG pixels) of each submitted weighted score, plus min, max and mean."""
    values = [
        float(r["card"].weighted_score)
        for r in rows
        if r["card"] is not None and r["card"].submitted_at and r["card"].weighted_score is not None
    ]
    if not values:
        return {"points": [], "empty": True}
    scale = lambda v: round(20 + v * 4.4, 1)  # noqa: E731 — 0..100 → 20..460 px
    mean = sum(values) / len(values)
    return {
        "empty": False,
        "points": [{"x": scale(v), "v": round(v, 1)} for v in values],
        "min_x": scale(min(values)),
        "max_x": scale(max(values)),
        "mean_x": scale(mean),
        "mean": round(mean, 1),
    }


@login_required
def gate_detail(request: HttpRequest, gate_id: int) -> HttpResponse:
    gate = _gate_for_chair(request.user, gate_id)
    return render(request, "milestones/gate_detail.html", _gate_context(request, gate))


@login_required
@require_POST
def gate_transition(request: HttpRequest, gate_id: int, name: str) -> HttpResponse:
    from milestones.services import gates as gate_services

    gate = _gate_for_chair(request.user, gate_id)
    fn = {"open": gate_services.gate_open, "close": gate_services.gate_close}.get(name)
    if fn is None:
        raise Http404()
    if name == "close":
        ctx = _gate_context(request, gate)
        form = GateCloseForm(request.POST, outstanding=ctx["close_form"].outstanding)
        if not form.is_valid():
            ctx["close_form"] = form
            return render(request, "milestones/gate_detail.html", ctx, status=400)
    _result, error = service_call(request, fn, actor=request.user, gate_id=gate.pk)
    if error is None:
        messages.success(request, _("操作成功：%(name)s") % {"name": GateReview.TRANSITION_LABELS[name]})
    return redirect("milestones:gate_detail", gate_id=gate.pk)


@login_required
@require_POST
def gate_decide_view(request: HttpRequest, gate_id: int) -> HttpResponse:
    gate = _gate_for_chair(request.user, gate_id)
    ctx = _gate_context(request, gate)
    form = decision_form_for(gate, ctx["summary"], request.POST)
    if form.is_valid():
        _result, error = service_call(
            request,
            gate_decide,
            actor=request.user,
            gate_id=gate.pk,
            outcome=form.cleaned_data["outcome"],
            rationale=form.cleaned_data["rationale"],
            conditions=form.conditions(),
            new_due_date=form.cleaned_data.get("new_due_date"),
        )
        if error is None:
            messages.success(request, _("决定已记录。"))
            return redirect("milestones:gate_detail", gate_id=gate.pk)
        for name, msgs in field_errors(error).items():
            if name == "conditions" and form.has_conditions():
                form.condition_errors.extend(msgs)  # shown inside the condition rows' fieldset
                continue
            for msg in msgs:
                form.add_error(name if name in form.fields else None, msg)
        status = error.http_status
    else:
        status = 400
    ctx["decision_form"] = form
    return render(request, "milestones/gate_detail.html", ctx, status=status)


@login_required
@require_POST
def non_consensus_approve_view(request: HttpRequest, gate_id: int) -> HttpResponse:
    gate = _gate_for_chair(request.user, gate_id)
    ctx = _gate_context(request, gate)
    if ctx["nc_form"] is None:
        messages.error(request, _("该项目不在非共识通道中。"))
        return redirect("milestones:gate_detail", gate_id=gate.pk)
    form = NonConsensusApprovalForm(request.POST, endorsers=ctx["endorsers"])
    if form.is_valid():
        _result, error = service_call(
            request,
            non_consensus_approve,
            actor=request.user,
            project_id=gate.project_id,
            endorsement_by=form.cleaned_data["endorsement_by"],
            endorsement=form.cleaned_data["endorsement"],
        )
        if error is None:
            messages.success(request, _("已按非共识通道批准立项（风险可控方案）。"))
            return redirect(reverse("milestones:gate_detail", kwargs={"gate_id": gate.pk}))
        for name, msgs in field_errors(error).items():
            for msg in msgs:
                form.add_error(name if name in form.fields else None, msg)
        status = error.http_status
    else:
        status = 400
    ctx["nc_form"] = form
    return render(request, "milestones/gate_detail.html", ctx, status=status)
