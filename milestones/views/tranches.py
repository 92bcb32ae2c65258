"""拨付资金 (release a passed milestone's tranche) from the milestone page: the programme admin or the
chair of the milestone's gate presses it once the gate has passed the milestone (DESIGN.md §4: "a
passed gate releases the milestone's funding tranche"). Thin: one call to ``tranche_release``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from milestones.services.tranches import tranche_release
from milestones.views._common import service_call
from milestones.views.milestones import page_context
from pmflow.templatetags.pmflow_ui import yuan


@login_required
@require_POST
def milestone_release_view(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = page_context(request, pk)
    release, error = service_call(request, tranche_release, actor=request.user, milestone_id=ctx["milestone"].pk)
    if error is not None:
        return render(request, "milestones/milestone_detail.html", page_context(request, pk), status=error.http_status)
    messages.success(request, _("已拨付 %(amount)s 万元。") % {"amount": yuan(release.amount)})
    return redirect(reverse("milestones:milestone_detail", args=[ctx["milestone"].pk]))
