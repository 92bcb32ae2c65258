"""Reviewer inbox and the reviewer's page for one gate: conflict-of-interest declaration first, then
the scorecard (draft save, submit, then read-only), then — once submitted — the other reviewers'
submitted scorecards, read-only (who may read which card: ``scorecards_visible_to``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from milestones.forms import ConflictDeclarationForm, ScorecardForm
from milestones.models import CriterionScore, GateCriterion, GateKind, GateState, ReviewerAssignment, Scorecard
from milestones.selectors.gate_lists import ACTION, reviewer_assignments_by_tab, tab_of
from milestones.selectors.gates import scorecards_visible_to
from milestones.views._common import field_errors, page_of, service_call
from milestones.views.tabs import tab_links
from pmflow.workdays import workdays_between


def _assignments_of(user: Any):
    return (
        ReviewerAssignment.objects.filter(reviewer_id=user.pk)
        .select_related("gate__project", "gate__milestone", "scorecard")
        .order_by("gate__due_date", "gate_id")
    )


@login_required
def reviewer_inbox(request: HttpRequest) -> HttpResponse:
    """The reviewer's assignments by urgency: needs my action (default), in progress, done."""
    tab = tab_of(request.GET.get("tab"))
    assignments, counts = reviewer_assignments_by_tab(request.user, tab)
    page = page_of(request, assignments, count=counts[tab])  # the tab's count is read with the others
    today = timezone.localdate()
    # Only work still open for this reviewer (the action tab) can be overdue.
    rows = [
        {"a": a, "open_work": tab == ACTION, "workdays_left": workdays_between(today, a.gate.due_date)} for a in page.object_list
    ]
    return render(
        request,
        "milestones/reviewer_inbox.html",
        {"page": page, "rows": rows, "today": today, "tab": tab, "tabs": tab_links(counts), "query": f"tab={tab}"},
    )


def _assignment_for(user: Any, gate_id: int) -> ReviewerAssignment:
    """The user's own assignment to ``gate_id`` with its gate, criteria and scorecard (3 queries), or 404."""
    scores = Prefetch("scorecard__scores", queryset=CriterionScore.objects.all())
    try:
        return (
            _assignments_of(user)
            .prefetch_related(scores)
            .prefetch_related(Prefetch("gate__criteria", queryset=GateCriterion.objects.order_by("kind", "order", "id")))
            .get(gate_id=gate_id)
        )
    except ReviewerAssignment.DoesNotExist as exc:
        raise Http404(_("您未被分配评审该关口。")) from exc


def _scorecard_of(assignment: ReviewerAssignment) -> Scorecard | None:
    try:
        return assignment.scorecard
    except Scorecard.DoesNotExist:
        return None


def _scorecard_initial(card: Scorecard | None) -> dict[str, Any]:
    if card is None:
        return {}
    initial: dict[str, Any] = {"recommendation": card.recommendation, "champion": card.champion, "comments": card.comments}
    for s in card.scores.all():
        if s.passed is not None:
            initial[f"must_{s.criterion_id}"] = "pass" if s.passed else "fail"
        if s.score is not None:
            initial[f"score_{s.criterion_id}"] = s.score
    return initial


def _peer_cards(user: Any, assignment: ReviewerAssignment, criteria: list[GateCriterion]) -> list[dict[str, Any]]:
    """The other reviewers' submitted scorecards of the assignment's gate that ``user`` may read, each
    with its scores in the order of ``criteria`` (three queries at most, whatever the number of
    reviewers and criteria). The rule is ``scorecards_visible_to``; this page only leaves out the
    user's own card (shown above) and drafts (which the rule shows a chair or an admin who also
    reviews: the reviewer's page shows what the other reviewers have committed to, nothing more)."""
    cards = scorecards_visible_to(user, assignment.gate).exclude(assignment_id=assignment.pk).filter(submitted_at__isnull=False)
    rows = []
    for card in cards:
        by_criterion = {s.criterion_id: s for s in card.scores.all()}
        rows.append(
            {
                "card": card,
                "reviewer": card.assignment.reviewer,
                "recused": card.assignment.has_conflict is True,
                "cells": [{"criterion": c, "score": by_criterion.get(c.pk)} for c in criteria],
            }
        )
    return rows


def _render_review(request: HttpRequest, assignment: ReviewerAssignment, *, declare_form=None, score_form=None, status=200):
    gate = assignment.gate
    card = _scorecard_of(assignment)
    criteria = list(gate.criteria.all())
    screening = gate.kind == GateKind.SCREENING
    if score_form is None:
        score_form = ScorecardForm(initial=_scorecard_initial(card), criteria=criteria, screening=screening)
    submitted = card is not None and card.submitted_at is not None
    unconflicted = assignment.has_conflict is False
    # No anchoring: the others' cards are read (and the query run) only once this reviewer's card is in.
    peer_cards = _peer_cards(request.user, assignment, criteria) if unconflicted and submitted else None
    ctx = {
        "assignment": assignment,
        "gate": gate,
        "card": card,
        "submitted": submitted,
        "can_score": unconflicted and gate.status == GateState.OPEN and not submitted,
        # the states in which assignment_declare_conflict accepts a declaration
        "can_declare": gate.status in (GateState.SCHEDULED, GateState.OPEN, GateState.CLOSED),
        "peer_cards": peer_cards,
        "declare_form": declare_form or ConflictDeclarationForm(),
        "score_form": score_form,
        "screening": screening,
        "workdays_left": workdays_between(timezone.localdate(), gate.due_date),
    }
    return render(request, "milestones/review.html", ctx, status=status)


@login_required
def review_gate(request: HttpRequest, gate_id: int) -> HttpResponse:
    return _render_review(request, _assignment_for(request.user, gate_id))


@login_required
@require_POST
def review_declare(request: HttpRequest, gate_id: int) -> HttpResponse:
    from milestones.services.gates import assignment_declare_conflict

    assignment = _assignment_for(request.user, gate_id)
    form = ConflictDeclarationForm(request.POST)
    if not form.is_valid():
        return _render_review(request, assignment, declare_form=form, status=400)
    _result, error = service_call(
        request,
        assignment_declare_conflict,
        actor=request.user,
        assignment_id=assignment.pk,
        has_conflict=form.cleaned_data["has_conflict"],
        note=form.cleaned_data["note"],
    )
    if error is not None:
        return _render_review(request, assignment, declare_form=form, status=error.http_status)
    if form.cleaned_data["has_conflict"]:
        messages.info(request, _("已声明利益冲突，您将回避本次评审。"))
    else:
        messages.success(request, _("已声明无利益冲突，请填写评分表。"))
    return redirect("milestones:review_gate", gate_id=gate_id)


@login_required
@require_http_methods(["POST"])
def review_scorecard(request: HttpRequest, gate_id: int) -> HttpResponse:
    assignment = _assignment_for(request.user, gate_id)
    gate = assignment.gate
    form = ScorecardForm(request.POST, criteria=list(gate.criteria.all()), screening=gate.kind == GateKind.SCREENING)
    if not form.is_valid():
        return _render_review(request, assignment, score_form=form, status=400)
    from milestones.services.gates import scorecard_save, scorecard_submit

    _result, error = service_call(
        request,
        scorecard_save,
        actor=request.user,
        assignment_id=assignment.pk,
        scores=form.scores(),
        recommendation=form.cleaned_data["recommendation"],
        champion=form.cleaned_data.get("champion", False),
        comments=form.cleaned_data["comments"],
    )
    if error is None and request.POST.get("action") == "submit":
        _result, error = service_call(request, scorecard_submit, actor=request.user, assignment_id=assignment.pk)
        if error is None:
            messages.success(request, _("评分表已提交，不能再修改。"))
    elif error is None:
        messages.success(request, _("草稿已保存。"))
    if error is not None:
        for name, msgs in field_errors(error).items():
            target = name if name in form.fields else None
            for msg in msgs:
                form.add_error(target, msg)
        assignment = _assignment_for(request.user, gate_id)
        return _render_review(request, assignment, score_form=form, status=error.http_status)
    return redirect("milestones:review_gate", gate_id=gate_id)
