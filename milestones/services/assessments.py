"""动态甄别评估: assessment rounds and the PM team's rating of each active project.

A round covers one period (default: a calendar quarter, opened by the Celery beat task
``pmflow.assessment_round_open_current_quarter``). Opening is idempotent: the round is unique per
period (``get_or_create`` on the unique constraint) and the per-project rows are inserted set-based
with ``ON CONFLICT DO NOTHING``, so a repeated beat run creates nothing new. A D overall rating or a
"terminate" recommendation opens (creates and submits) a termination change request for the chair.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from milestones.models import (
    Assessment,
    AssessmentRecommendation,
    AssessmentRound,
    ChangeKind,
    ChangeRequest,
    ChangeState,
    Rating,
)
from milestones.services.changes import change_request_create_and_submit
from pmflow.audit import audit_record
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from pmflow.models import NotificationKind, User
from pmflow.notifications import notification_enqueue, notifications_deliver_on_commit
from pmflow.workdays import add_workdays
from projects.models import Project, ProjectState

#: working days after the period's end by which the PM teams submit (default due date)
ASSESSMENT_DUE_WORKDAYS = 10
RATING_FIELDS = ("scope", "time", "cost", "risk", "transfer", "overall")
#: projects that may still be assessed when they were not in the round when it opened
ASSESSABLE_PROJECT_STATES = (ProjectState.ACTIVE, ProjectState.SUSPENDED)
OPEN_CHANGE_STATES = ChangeState.OPEN_STATES


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar quarter containing ``day``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    next_start = dt.date(day.year + 1, 1, 1) if first_month == 10 else dt.date(day.year, first_month + 3, 1)
    return start, next_start - dt.timedelta(days=1)


def _default_label(start: dt.date, end: dt.date) -> str:
    if quarter_bounds(start) == (start, end):
        return _("%(year)s年第%(q)s季度") % {"year": start.year, "q": "一二三四"[(start.month - 1) // 3]}
    return _("%(start)s至%(end)s") % {"start": start.isoformat(), "end": end.isoformat()}


def assessment_round_open(
    *,
    period_start: dt.date,
    period_end: dt.date,
    label: str | None = None,
    due_date: dt.date | None = None,
) -> AssessmentRound:
    """Open (or find) the round for ``period_start``–``period_end`` and give every ACTIVE project an
    assessment row in it; notify the PM-team leads (one outbox row per lead per round). Idempotent:
    a second call for the same period creates no round, no row and no notification."""
    errors: dict[str, list[str]] = {}
    if not isinstance(period_start, dt.date):
        errors["period_start"] = [_("日期格式无效。")]
    if not isinstance(period_end, dt.date):
        errors["period_end"] = [_("日期格式无效。")]
    elif isinstance(period_start, dt.date) and period_end < period_start:
        errors["period_end"] = [_("期间结束日不能早于开始日。")]
    if due_date is not None and isinstance(period_end, dt.date) and due_date < period_end:
        errors["due_date"] = [_("填报截止日不能早于期间结束日。")]
    label = (label or "").strip()
    if len(label) > AssessmentRound._meta.get_field("label").max_length:
        errors["label"] = [_("名称过长。")]
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        rnd, created = AssessmentRound.objects.get_or_create(
            period_start=period_start,
            period_end=period_end,
            defaults={
                "label": label or _default_label(period_start, period_end),
                "due_date": due_date or add_workdays(period_end, ASSESSMENT_DUE_WORKDAYS),
            },
        )
        if created:
            audit_record(obj=rnd, actor=None, action="open", data={"period": [period_start.isoformat(), period_end.isoformat()]})
        if not rnd.is_open:
            return rnd
        project_ids = Project.objects.filter(status=ProjectState.ACTIVE).values_list("pk", flat=True)
        Assessment.objects.bulk_create(
            [Assessment(round=rnd, project_id=pk) for pk in project_ids],
            ignore_conflicts=True,
        )
        leads = User.objects.filter(
            pk__in=Project.objects.filter(assessments__round=rnd).values("pm_team__lead_id"), is_active=True
        )
        notification_enqueue(
            recipients=list(leads),
            kind=NotificationKind.ASSESSMENT_OPEN,
            obj=rnd,
            subject=_("动态甄别评估“%(label)s”已开始，请于 %(due)s 前完成所负责项目的评估")
            % {"label": rnd.label, "due": rnd.due_date.isoformat()},
            body=_("评估期间：%(start)s 至 %(end)s。")
            % {"start": rnd.period_start.isoformat(), "end": rnd.period_end.isoformat()},
            due_date=rnd.due_date,
        )
        notifications_deliver_on_commit()
    return rnd


def _assessment_locked(*, assessment_id: Any, round_id: Any, project_id: Any) -> Assessment:
    qs = Assessment.objects.select_for_update().select_related("round", "project")
    try:
        if assessment_id not in (None, ""):
            return qs.get(pk=assessment_id)
        rnd = AssessmentRound.objects.get(pk=round_id)
        project = Project.objects.get(pk=project_id)
    except (Assessment.DoesNotExist, AssessmentRound.DoesNotExist, Project.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc
    existing = qs.filter(round=rnd, project=project).first()
    if existing is not None:
        return existing
    # A project that became active after the round opened can still be assessed in it.
    if project.status not in ASSESSABLE_PROJECT_STATES:
        raise Conflict(_("项目“%(code)s”不在本轮评估范围内。") % {"code": project.code})
    Assessment.objects.bulk_create([Assessment(round=rnd, project=project)], ignore_conflicts=True)
    return qs.get(round=rnd, project=project)


def assessment_submit(
    *,
    actor: Any,
    assessment_id: Any = None,
    round_id: Any = None,
    project_id: Any = None,
    scope: str,
    time: str,
    cost: str,
    risk: str,
    transfer: str,
    overall: str,
    recommendation: str,
    comments: str = "",
) -> Assessment:
    """The PM team of the project (or an admin) rates it A–D on scope, time, cost, risk, transfer
    prospects and overall, with a recommendation. Identified by ``assessment_id`` or by
    ``round_id`` + ``project_id``. Bad input raises InvalidInput naming every bad field (nothing
    saved); a submitted assessment or a closed round raises Conflict. A D overall or a "terminate"
    recommendation creates and submits a termination change request linked to the assessment
    (unless one is already open for the project)."""
    values = {"scope": scope, "time": time, "cost": cost, "risk": risk, "transfer": transfer, "overall": overall}
    with transaction.atomic():
        a = _assessment_locked(assessment_id=assessment_id, round_id=round_id, project_id=project_id)
        project = a.project
        if not actor.has_perm("projects.view_project", project):
            raise NotFound()
        if not actor.has_perm("milestones.assess_project", project):
            raise Forbidden(_("只有该项目的项目经理团队可以填写评估。"))
        if not a.round.is_open:
            raise Conflict(_("评估轮次“%(label)s”已关闭。") % {"label": a.round.label})
        if a.submitted_at is not None:
            raise Conflict(_("该项目本轮评估已提交，不能重复提交。"))
        errors: dict[str, list[str]] = {}
        for name, value in values.items():
            if value not in Rating.values:
                errors[name] = [_("请选择 A、B、C 或 D。")]
        if recommendation not in AssessmentRecommendation.values:
            errors["recommendation"] = [_("请选择继续支持、加大支持、调整或终止。")]
        comments = (comments or "").strip()
        needs_comment = overall in (Rating.C, Rating.D) or recommendation in (
            AssessmentRecommendation.ADJUST,
            AssessmentRecommendation.TERMINATE,
        )
        if needs_comment and not comments:
            errors["comments"] = [_("总体评级为 C/D 或建议调整、终止时，必须填写评估意见。")]
        if errors:
            raise InvalidInput(fields=errors)
        for name, value in values.items():
            setattr(a, name, value)
        a.recommendation, a.comments = recommendation, comments
        a.submitted_by, a.submitted_at = actor, timezone.now()
        a.save(update_fields=[*RATING_FIELDS, "recommendation", "comments", "submitted_by", "submitted_at"])
        audit_record(
            obj=a,
            actor=actor,
            action="submit",
            reason=comments,
            data={**values, "recommendation": recommendation},
        )
        if overall == Rating.D or recommendation == AssessmentRecommendation.TERMINATE:
            _termination_request_open(actor=actor, assessment=a)
    return a


def _termination_request_open(*, actor: Any, assessment: Assessment) -> ChangeRequest | None:
    """Create and submit a TERMINATE change request for the chair, linked to ``assessment``; none
    when the project already has an open one. Precondition: inside the submitting transaction."""
    open_request = ChangeRequest.objects.filter(
        project_id=assessment.project_id, kind=ChangeKind.TERMINATE, status__in=OPEN_CHANGE_STATES
    ).first()
    if open_request is not None:
        return None
    reason = _("动态甄别评估“%(round)s”：总体评级 %(overall)s，建议“%(rec)s”。%(comments)s") % {
        "round": assessment.round.label,
        "overall": assessment.overall,
        "rec": assessment.get_recommendation_display(),
        "comments": assessment.comments,
    }
    return change_request_create_and_submit(
        actor=actor,
        project_id=assessment.project_id,
        kind=ChangeKind.TERMINATE,
        payload={},
        reason=reason,
        assessment_id=assessment.pk,
    )


def assessment_round_close(*, actor: Any, round_id: Any) -> AssessmentRound:
    """Close a round for submissions (programme admin). Closing twice changes nothing."""
    from pmflow.rules import is_programme_admin

    if not is_programme_admin(actor):
        raise Forbidden()
    with transaction.atomic():
        try:
            rnd = AssessmentRound.objects.select_for_update().get(pk=round_id)
        except (AssessmentRound.DoesNotExist, TypeError, ValueError) as exc:
            raise NotFound() from exc
        if rnd.is_open:
            rnd.is_open = False
            rnd.save(update_fields=["is_open"])
            audit_record(obj=rnd, actor=actor, action="close")
    return rnd


def assessment_form_url(assessment: Assessment) -> str:
    try:
        return reverse("milestones:assessment_form", args=[assessment.round_id, assessment.project_id])
    except NoReverseMatch:
        return ""
