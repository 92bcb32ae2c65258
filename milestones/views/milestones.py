"""The milestone page (reached from the project page's milestone table): status, baseline vs
current due date, its tasks' roll-up, its gate reviews, its evidence, and the buttons the viewer may
press now — 开始 (start), 提交关口评审 (submit for its gate, through a confirmation page that shows
the evidence going with it), 恢复 (resume after a hold), 条件已满足 (conditions met).
Thin: each POST calls one service from ``milestones.services.milestones``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from milestones.forms_evidence import EvidenceForm
from milestones.models import Milestone
from milestones.selectors.milestone_page import milestone_page
from milestones.services import milestones as milestone_services
from milestones.services.milestones import _screening_committee
from milestones.views._common import service_call
from pmflow.errors import NotFound


class MilestoneReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


def page_context(request: HttpRequest, pk: Any, **extra: Any) -> dict[str, Any]:
    """The milestone page's context, or 404 if the viewer may not see the milestone's project."""
    try:
        ctx = milestone_page(user=request.user, milestone_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if "evidence_form" not in extra:
        extra["evidence_form"] = EvidenceForm()
    return ctx | extra


def _page_url(milestone_id: int, anchor: str = "") -> str:
    return reverse("milestones:milestone_detail", args=[milestone_id]) + (f"#{anchor}" if anchor else "")


@login_required
def milestone_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "milestones/milestone_detail.html", page_context(request, pk))


def _transition_post(request: HttpRequest, pk: int, name: str, call: Any) -> HttpResponse:
    ctx = page_context(request, pk)
    form = MilestoneReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _result, error = service_call(request, call, actor=request.user, milestone_id=ctx["milestone"].pk, reason=reason)
    if error is not None:
        return render(request, "milestones/milestone_detail.html", page_context(request, pk), status=error.http_status)
    messages.success(request, _("已执行“%(name)s”。") % {"name": Milestone.TRANSITION_LABELS[name]})
    return redirect(_page_url(ctx["milestone"].pk))


@login_required
@require_POST
def milestone_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_post(request, pk, "start", milestone_services.milestone_start)


@login_required
@require_POST
def milestone_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_post(request, pk, "resume", milestone_services.milestone_resume)


@login_required
@require_POST
def milestone_conditions_met_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition_post(request, pk, "conditions_met", milestone_services.milestone_conditions_met)


@login_required
@require_http_methods(["GET", "POST"])
def milestone_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page (the evidence that goes with the submission, the committee that will
    review it). POST: submit — the milestone moves to 已提交 and its gate review is scheduled."""
    ctx = page_context(request, pk)
    milestone = ctx["milestone"]
    form = MilestoneReasonForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result, error = service_call(
            request,
            milestone_services.milestone_submit,
            actor=request.user,
            milestone_id=milestone.pk,
            reason=form.cleaned_data["reason"],
        )
        if error is None:
            _milestone, gate = result
            messages.success(
                request,
                _("已提交关口评审：已安排“%(gate)s”，评审截止日 %(due)s。") % {"gate": gate, "due": gate.due_date.isoformat()},
            )
            return redirect(_page_url(milestone.pk, "gates"))
        for name, msgs in error.fields.items():
            for msg in msgs:
                form.add_error(name if name in form.fields else None, msg)
        ctx = page_context(request, pk)
        status = error.http_status
    elif request.method == "POST":
        status = 400
    ctx.update({"form": form, "committee": _screening_committee(milestone.project)})
    return render(request, "milestones/milestone_submit.html", ctx, status=status)
