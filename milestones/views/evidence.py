"""Evidence (佐证材料) in the web UI: the upload form on the milestone page, and the one way to read a
stored file back — ``evidence_download``, which answers only to those who may see it
(``milestones.selectors.evidence``) and always as an attachment (never rendered inline)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from milestones.forms_evidence import EvidenceForm
from milestones.models import Evidence
from milestones.selectors.evidence import evidence_get_visible
from milestones.services.evidence import evidence_add
from milestones.views._common import service_call
from milestones.views.milestones import page_context


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a file to milestone ``pk``; errors are shown next to their field, nothing is saved."""
    ctx = page_context(request, pk)  # 404 unless the viewer sees the milestone
    form = EvidenceForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        evidence, error = service_call(
            request,
            evidence_add,
            actor=request.user,
            milestone_id=ctx["milestone"].pk,
            title=form.cleaned_data["title"],
            kind=form.cleaned_data["kind"],
            file=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        )
        if error is None:
            messages.success(request, _("已上传佐证材料“%(title)s”。") % {"title": evidence.title})
            return redirect(reverse("milestones:milestone_detail", args=[ctx["milestone"].pk]) + "#evidence")
        for name, msgs in error.fields.items():
            for msg in msgs:
                form.add_error(name if name in form.fields else None, msg)
        status = error.http_status
    return render(request, "milestones/milestone_detail.html", page_context(request, pk, evidence_form=form), status=status)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """The stored file, as an attachment with its original name, to whoever may see it; 404 otherwise
    (also when the stored file is gone)."""
    evidence = evidence_get_visible(request.user, pk)
    if evidence is None:
        raise Http404(_("佐证材料不存在或不可见。"))
    return evidence_file_response(evidence)


def evidence_file_response(evidence: Evidence) -> FileResponse:
    """The stored file of ``evidence`` (visibility already checked by the caller) as an attachment
    with its original name: never rendered inline, never sniffed, never cached by a shared cache.
    404 if the stored file is gone. The web download view and the API's ``file`` action use it."""
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise Http404(_("佐证材料文件不存在。")) from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name or f"evidence-{evidence.pk}",
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
