"""变更申请: typed change requests (动态优化调整) and the comparative down-select (技术路线收敛).

A change request moves ``draft → submitted → approved → applied`` (or ``rejected`` / ``withdrawn``),
one service per transition on ``pmflow.transitions.transition_run``. The PM team files, submits and
withdraws; the chair of a gate of the project (or a programme admin) approves, rejects and applies.

Every kind goes through one *plan* (``milestones.services.change_plans``, where the kinds and their
payloads are listed) that validates the payload against the current rows and returns the exact
writes it would make. The same plan serves three callers:

- ``change_request_create`` — refuses a bad payload (``InvalidInput`` naming the payload field,
  nothing saved) and stores the normalised payload;
- ``change_request_preview`` — returns the before/after it would produce, saving nothing;
- ``change_request_apply`` — re-plans on locked rows (the world may have moved since approval),
  writes, and stores ``before`` / ``after`` copies of exactly the fields it changed.

Suspend / resume / terminate are applied through ``project_transition`` with the request's reason;
that service also checks the project permission (``projects.suspend_project`` /
``projects.terminate_project``: programme admins in projects/rules.py), so a chair may approve these
requests but an admin applies them.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from milestones.models import (
    Assessment,
    ChangeRequest,
    ChangeState,
    GateKind,
    GateReview,
    GateState,
    Milestone,
    ReviewerAssignment,
)
from milestones.services.change_plans import (
    MOVABLE_GATE_STATES,
    PayloadErrors,
    RowWrite,
    change_kind_clean,
    change_milestone_get,
    change_plan,
    gate_label,
    parse_id,
    plan_error_lines,
    plan_transitions_run,
    project_get,
    rows_write,
)
from pmflow.audit import audit_record, audit_trail_for
from pmflow.errors import ApplicationError, Conflict, Forbidden, InvalidInput, NotFound
from pmflow.models import NotificationKind, User
from pmflow.notifications import notification_enqueue, notifications_deliver_on_commit
from pmflow.rules import is_programme_admin
from pmflow.selectors import programme_admins
from pmflow.transitions import transition_run
from projects.models import Project, TechnologyRoute
from projects.services.projects import project_transition


# --- notifications --------------------------------------------------------------------------------
def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _deciders(project: Project) -> list[User]:
    """Chairs of the project's gates; programme admins when it has none yet."""
    chairs = list(
        User.objects.filter(
            pk__in=GateReview.objects.filter(project_id=project.pk).exclude(status=GateState.CANCELLED).values("chair_id"),
            is_active=True,
        )
    )
    if chairs:
        return chairs
    return list(programme_admins())


def _notify(cr: ChangeRequest, recipients: list[Any], subject: str, actor: Any) -> None:
    """One outbox row per recipient, keyed on this change's audit row so each step notifies once."""
    entry = audit_trail_for(cr).first()
    people = [u for u in recipients if u is not None and u.pk != getattr(actor, "pk", None)]
    if entry is None or not people:
        return
    notification_enqueue(
        recipients=people,
        kind=NotificationKind.CHANGE_REQUEST,
        obj=entry,
        subject=subject,
        body=cr.reason,
        url=_url("milestones:change_request_detail", cr.pk),
    )
    notifications_deliver_on_commit()


def _notify_gate_moves(cr: ChangeRequest, project: Project, writes: list[RowWrite], actor: Any) -> None:
    """One outbox row per person affected by each gate review whose due date the applied request
    moved: the gate's chair and every assigned reviewer who has not declared a conflict (not the
    actor, who applied it). Keyed (recipient, CHANGE_REQUEST, the gate, the new due date), so a
    retry never writes a row twice (one limit of that key: a gate moved back onto a date that an
    earlier request once moved it to is not announced again to the same person). Precondition:
    inside the apply's transaction, after the writes."""
    moves = {w.pk: (w.before["due_date"], w.after["due_date"]) for w in writes if w.model is GateReview and "due_date" in w.after}
    if not moves:
        return
    reviewers: dict[int, list[User]] = {}
    for a in (
        ReviewerAssignment.objects.filter(gate_id__in=list(moves), reviewer__is_active=True)
        .exclude(has_conflict=True)
        .select_related("reviewer")
        .order_by("pk")
    ):
        reviewers.setdefault(a.gate_id, []).append(a.reviewer)
    actor_pk = getattr(actor, "pk", None)
    for gate in GateReview.objects.filter(pk__in=list(moves)).select_related("chair", "milestone").order_by("pk"):
        old, new = moves[gate.pk]
        people = [u for u in (gate.chair, *reviewers.get(gate.pk, [])) if u is not None and u.is_active and u.pk != actor_pk]
        if not people:
            continue
        values = {
            "project": str(project),
            "gate": gate_label(gate),
            "old": old.isoformat(),
            "new": new.isoformat(),
            "cr": cr,
        }
        notification_enqueue(
            recipients=people,
            kind=NotificationKind.CHANGE_REQUEST,
            obj=gate,
            subject=_("关口评审截止日调整：%(project)s %(gate)s，%(old)s → %(new)s") % values,
            body=_("变更申请%(cr)s已执行：项目“%(project)s”的%(gate)s截止日由 %(old)s 调整为 %(new)s。") % values,
            url=_url("milestones:gate_detail", gate.pk),
            due_date=new,
        )
    notifications_deliver_on_commit()


# --- services -------------------------------------------------------------------------------------
def change_request_create(
    *,
    actor: Any,
    project_id: Any,
    kind: str,
    payload: dict[str, Any] | None,
    reason: str,
    milestone_id: Any = None,
    assessment_id: Any = None,
) -> ChangeRequest:
    """File a draft change request (PM team of the project, or admin). The payload is validated for
    its kind against the current rows; bad input raises InvalidInput naming the payload field and
    saves nothing. The stored payload is the normalised one."""
    with transaction.atomic():
        project = project_get(project_id)
        if not actor.has_perm("projects.view_project", project):
            raise NotFound()
        if not actor.has_perm("milestones.file_change", project):
            raise Forbidden(_("只有该项目的项目经理团队可以提出变更申请。"))
        kind = change_kind_clean(kind)
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput(fields={"reason": [_("请填写变更理由。")]})
        milestone = change_milestone_get(project, kind, milestone_id)
        if assessment_id not in (None, ""):
            try:
                linked = Assessment.objects.filter(pk=parse_id(assessment_id), project_id=project.pk).exists()
            except (TypeError, ValueError):
                linked = False
            if not linked:
                raise InvalidInput(fields={"assessment_id": [_("该项目没有这条评估记录。")]})
        else:
            assessment_id = None
        plan = change_plan(kind=kind, project=project, milestone=milestone, payload=payload)
        cr = ChangeRequest.objects.create(
            project=project,
            kind=kind,
            milestone=milestone,
            payload=plan.payload,
            reason=reason,
            created_by=actor,
            assessment_id=assessment_id,
        )
        audit_record(
            obj=cr, actor=actor, action="create", to_state=cr.status, reason=reason, data={"kind": kind, "payload": plan.payload}
        )
    return cr


def change_request_preview(
    *, project_id: Any, kind: str, payload: dict[str, Any] | None, milestone_id: Any = None
) -> dict[str, Any]:
    """What the request would change now: ``{"payload", "before", "after", "labels"}`` — copies keyed
    ``"<model>:<pk>"`` and a readable name per key. Saves nothing. The caller has checked that the
    user may file changes for the project."""
    project = project_get(project_id)
    kind = change_kind_clean(kind)
    milestone = change_milestone_get(project, kind, milestone_id)
    plan = change_plan(kind=kind, project=project, milestone=milestone, payload=payload)
    before, after = plan.copies()
    return {"payload": plan.payload, "before": before, "after": after, "labels": plan.labels()}


def change_request_submit(*, actor: Any, change_request_id: Any, reason: str = "") -> ChangeRequest:
    """draft → submitted (PM team). Notifies the deciders (the project's gate chairs, else admins)."""

    def effects(cr: ChangeRequest, from_state: str) -> None:
        _notify(
            cr,
            _deciders(cr.project),
            _("待审批变更申请：%(cr)s") % {"cr": cr},
            actor,
        )

    return transition_run(
        model=ChangeRequest,
        pk=change_request_id,
        name="submit",
        actor=actor,
        reason=reason,
        view_permission="projects.view_project",
        kwargs={"at": timezone.now()},
        extra_update_fields=["submitted_at"],
        effects=effects,
    )


def change_request_withdraw(*, actor: Any, change_request_id: Any, reason: str = "") -> ChangeRequest:
    """draft / submitted → withdrawn (PM team)."""
    return transition_run(
        model=ChangeRequest,
        pk=change_request_id,
        name="withdraw",
        actor=actor,
        reason=reason,
        view_permission="projects.view_project",
    )


def change_request_applicability(cr: ChangeRequest) -> ApplicationError | None:
    """Why ``cr`` could not be applied now (the error of the same plan ``change_request_apply`` runs),
    or None when it could. Reads only."""
    milestone = cr.milestone if cr.milestone_id else None
    try:
        change_plan(kind=cr.kind, project=cr.project, milestone=milestone, payload=cr.payload)
    except (InvalidInput, Conflict) as exc:
        return exc
    return None


def _applicable_or_conflict(cr: ChangeRequest) -> None:
    error = change_request_applicability(cr)
    if error is not None:
        raise Conflict(
            _("变更申请%(cr)s按当前数据已无法执行，不能批准：%(why)s")
            % {"cr": cr, "why": "；".join(str(line) for line in plan_error_lines(error))},
            fields=error.fields,
        )


def _decide(*, actor: Any, change_request_id: Any, name: str, note: str, note_required: bool) -> ChangeRequest:
    note = (note or "").strip()

    def effects(cr: ChangeRequest, from_state: str) -> None:
        if name == "approve":
            # Never approve what cannot be applied: the same plan the apply runs (on the locked request).
            _applicable_or_conflict(cr)
        _notify(
            cr,
            [cr.created_by],
            _("变更申请%(cr)s：%(state)s") % {"cr": cr, "state": cr.get_status_display()},
            actor,
        )

    return transition_run(
        model=ChangeRequest,
        pk=change_request_id,
        name=name,
        actor=actor,
        reason=note,
        reason_required=note_required,
        view_permission="projects.view_project",
        kwargs={"by": actor, "at": timezone.now(), "note": note},
        extra_update_fields=["decided_by", "decided_at", "decision_note"],
        effects=effects,
    )


def change_request_approve(*, actor: Any, change_request_id: Any, note: str = "") -> ChangeRequest:
    """submitted → approved (chair of a gate of the project, or admin)."""
    return _decide(actor=actor, change_request_id=change_request_id, name="approve", note=note, note_required=False)


def change_request_reject(*, actor: Any, change_request_id: Any, note: str = "") -> ChangeRequest:
    """submitted / approved → rejected (chair or admin); the reason is required and kept in the audit
    trail. An approved request the world has overtaken (its apply now fails) is closed this way."""
    return _decide(actor=actor, change_request_id=change_request_id, name="reject", note=note, note_required=True)


def change_request_apply(*, actor: Any, change_request_id: Any) -> ChangeRequest:
    """approved → applied (chair or admin), atomically: lock the project, its milestones, its open gate
    reviews, its routes and the request (the lock order below); re-plan on the locked rows; write;
    store ``before``/``after`` copies of exactly the fields changed; tell the chair and reviewers of
    every gate review whose due date moved; audit. Applying twice, or applying a request that is not
    approved, raises Conflict and changes nothing. A plan the world has overtaken raises
    InvalidInput/Conflict."""
    try:
        ref = ChangeRequest.objects.only("pk", "project_id").get(pk=change_request_id)
    except (ChangeRequest.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc
    with transaction.atomic():
        # Lock order, shared by every service that locks rows of one project (gate_decide, gate_open,
        # tranche_release, ...): project → milestones (by id) → gate reviews (by id) → anything else
        # (routes, this request). Everyone queues on the project row first, so two of them on one
        # project cannot deadlock. A gate being decided meanwhile is seen decided by the plan and keeps
        # its due date.
        project = project_get(ref.project_id, lock=True)
        if not actor.has_perm("projects.view_project", project):
            raise NotFound()
        list(Milestone.objects.select_for_update().filter(project_id=project.pk).order_by("pk").values_list("pk", flat=True))
        list(
            GateReview.objects.select_for_update()
            .filter(project_id=project.pk, milestone__isnull=False, status__in=MOVABLE_GATE_STATES)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        list(
            TechnologyRoute.objects.select_for_update().filter(project_id=project.pk).order_by("pk").values_list("pk", flat=True)
        )
        cr = ChangeRequest.objects.select_for_update().get(pk=ref.pk)
        if not actor.has_perm(ChangeRequest.TRANSITION_PERMISSIONS["apply"], cr):
            raise Forbidden(_("只有评审委员会主任或管理员可以执行变更申请。"))
        if cr.status != ChangeState.APPROVED:
            raise Conflict(
                _("变更申请%(cr)s当前状态为“%(state)s”，不能执行。") % {"cr": cr, "state": cr.get_status_display()},
                extra={"state": cr.status},
            )
        milestone = Milestone.objects.get(pk=cr.milestone_id) if cr.milestone_id else None
        now = timezone.now()
        plan = change_plan(kind=cr.kind, project=project, milestone=milestone, payload=cr.payload, at=now)
        before, after = plan.copies()

        def effects(applied: ChangeRequest, from_state: str) -> None:
            rows_write(plan.writes)
            plan_transitions_run(plan, actor=actor, reason=applied.reason)
            _notify(applied, [applied.created_by], _("变更申请%(cr)s已执行") % {"cr": applied}, actor)
            _notify_gate_moves(applied, project, plan.writes, actor)

        return transition_run(
            model=ChangeRequest,
            pk=cr.pk,
            name="apply",
            actor=actor,
            view_permission="projects.view_project",
            kwargs={"at": now, "before": before, "after": after},
            extra_update_fields=["applied_at", "before", "after"],
            effects=effects,
            audit_data={"before": before, "after": after},
        )


def change_request_create_and_submit(**kwargs: Any) -> ChangeRequest:
    """Create and submit in one transaction (the assessment's termination request, the web form)."""
    with transaction.atomic():
        cr = change_request_create(**kwargs)
        return change_request_submit(actor=kwargs["actor"], change_request_id=cr.pk)


# --- comparative down-select ----------------------------------------------------------------------
def comparative_downselect(
    *,
    actor: Any,
    route_family: str,
    winners: list[Any],
    losers: dict[Any, str],
    gate_id: Any = None,
) -> dict[str, list[int]]:
    """比选: several projects pursue routes of one ``route_family``; the winners continue, each loser
    is terminated (``project_transition`` "terminate" with its lessons as the reason) and its routes of
    that family are dropped with the lessons kept. All or nothing, in one transaction.

    Allowed for programme admins, or for the chair of the comparative gate ``gate_id`` (kind
    comparative, same route family, comparing every project named). The termination itself still
    needs the project permission ``projects.terminate_project`` (admins, see projects/rules.py).
    Winners' routes are left as they are: they carry on exploring until their own convergence.
    """
    errors = PayloadErrors()
    family = (route_family or "").strip()
    if not family:
        errors.add("route_family", _("此字段为必填项。"))
    winner_ids: list[int] = []
    loser_lessons: dict[int, str] = {}
    try:
        winner_ids = sorted({parse_id(w) for w in (winners or [])})
    except (TypeError, ValueError):
        errors.add("winners", _("项目编号无效。"))
    if not winner_ids and "winners" not in errors:
        errors.add("winners", _("至少保留一个项目。"))
    if not isinstance(losers, dict) or not losers:
        errors.add("losers", _("至少淘汰一个项目。"))
    else:
        for key, text in losers.items():
            try:
                pk = parse_id(key)
            except (TypeError, ValueError):
                errors.add("losers", _("项目编号无效：%(id)s。") % {"id": key})
                continue
            if not isinstance(text, str) or not text.strip():
                errors.add("losers", _("被淘汰项目 #%(id)s 必须写明经验总结。") % {"id": key})
            else:
                loser_lessons[pk] = text.strip()
    if set(winner_ids) & set(loser_lessons):
        errors.add("losers", _("同一项目不能既保留又淘汰。"))
    errors.raise_if_any()
    ids = sorted({*winner_ids, *loser_lessons})
    with transaction.atomic():
        gate = None
        if gate_id not in (None, ""):
            try:
                gate = (
                    GateReview.objects.filter(pk=gate_id, kind=GateKind.COMPARATIVE).exclude(status=GateState.CANCELLED).first()
                )
            except (TypeError, ValueError):
                gate = None
            if gate is None or gate.route_family != family:
                raise InvalidInput(fields={"gate_id": [_("没有该路线族的比选评审。")]})
        if not is_programme_admin(actor) and (gate is None or gate.chair_id != actor.pk):
            raise Forbidden(_("只有管理员或比选评审的主任可以作出比选决定。"))
        gate_chair = gate is not None and gate.chair_id == actor.pk
        projects = {p.pk: p for p in Project.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        for name, group in (("winners", winner_ids), ("losers", sorted(loser_lessons))):
            for pk in group:
                # the comparative gate's chair sees the compared projects through the gate (checked below)
                if pk not in projects or not (gate_chair or actor.has_perm("projects.view_project", projects[pk])):
                    errors.add(name, _("项目 #%(id)s 不存在。") % {"id": pk})
        errors.raise_if_any()
        if gate is not None:
            compared = set(gate.compared_projects.values_list("pk", flat=True)) | {gate.project_id}
            missing = [projects[pk].code for pk in ids if pk not in compared]
            if missing:
                raise InvalidInput(fields={"gate_id": [_("比选评审未包含项目：%(codes)s。") % {"codes": "、".join(missing)}]})
        routes = list(
            TechnologyRoute.objects.select_for_update()
            .filter(project_id__in=ids, family=family)
            .exclude(status=TechnologyRoute.RouteState.DROPPED)
            .order_by("pk")
        )
        with_routes = {r.project_id for r in routes}
        for name, group in (("winners", winner_ids), ("losers", sorted(loser_lessons))):
            for pk in group:
                if pk not in with_routes:
                    errors.add(
                        name,
                        _("项目“%(code)s”没有路线族“%(family)s”的技术路线。") % {"code": projects[pk].code, "family": family},
                    )
        errors.raise_if_any()
        now = timezone.now()
        dropped = [r for r in routes if r.project_id in loser_lessons]
        rows_write(
            [
                RowWrite(
                    TechnologyRoute,
                    r.pk,
                    {},
                    {
                        "status": TechnologyRoute.RouteState.DROPPED,
                        "lessons_learned": loser_lessons[r.project_id],
                        "decided_at": now,
                    },
                )
                for r in dropped
            ]
        )
        for r in dropped:
            audit_record(
                obj=r,
                actor=actor,
                action="downselect_drop",
                from_state=r.status,
                to_state=TechnologyRoute.RouteState.DROPPED,
                reason=loser_lessons[r.project_id],
                data={"route_family": family, "gate": gate.pk if gate else None},
            )
        for pk in winner_ids:
            audit_record(
                obj=projects[pk],
                actor=actor,
                action="downselect_continue",
                from_state=projects[pk].status,
                to_state=projects[pk].status,
                data={"route_family": family, "gate": gate.pk if gate else None, "losers": sorted(loser_lessons)},
            )
        for pk, lessons in sorted(loser_lessons.items()):
            project_transition(actor=actor, project_id=pk, name="terminate", reason=lessons)
    return {"winners": winner_ids, "losers": sorted(loser_lessons)}


#: the change-request transitions a person takes (admin buttons, the API): name → fn(actor, pk, reason);
#: the reason is the decider's note for approve / reject
CHANGE_REQUEST_TRANSITIONS = {
    "submit": lambda actor, pk, reason: change_request_submit(actor=actor, change_request_id=pk, reason=reason),
    "withdraw": lambda actor, pk, reason: change_request_withdraw(actor=actor, change_request_id=pk, reason=reason),
    "approve": lambda actor, pk, reason: change_request_approve(actor=actor, change_request_id=pk, note=reason),
    "reject": lambda actor, pk, reason: change_request_reject(actor=actor, change_request_id=pk, note=reason),
    "apply": lambda actor, pk, reason: change_request_apply(actor=actor, change_request_id=pk),
}
