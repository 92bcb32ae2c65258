"""The chair's gate decision and the non-consensus path.

``gate_decide`` is ONE atomic change: the decision row, the gate → decided, the milestone move, the
project move (screening and final gates), condition tasks, the audit row and the notification all
commit together or not at all. Choices made here (documented for reviewers of the design):

- An ``open`` gate is closed implicitly by the decision (scoring ends when the chair decides); a
  ``scheduled`` gate cannot be decided.
- Without a quorum only ``hold`` may be decided (or the gate cancelled); any other outcome is
  refused on ``outcome``.
- Departing from the computed outcome needs a written rationale (InvalidInput on ``rationale``);
  the rationale and the computed outcome are kept on the decision row and in the audit log.
- Screening: go / conditional go → project approved and its milestones created from the tier's
  current template; kill → rejected; non_consensus (only when eligible) → non_consensus;
  hold → the project stays in screening (a new screening gate can be scheduled); recycle is refused.
- Milestone / final: go → passed (its tranche becomes releasable: ``tranche_release``);
  conditional go → passed_with_conditions plus one task per condition; hold → on_hold; recycle →
  in_progress with ``new_due_date`` (required); kill → failed and termination opened.
  Final gate: go → project closed (it is ``closing`` since the final milestone was submitted);
  recycle → project reopened (closing → active); conditional go → the project closes when the
  conditions are met (``milestone_conditions_met``).
- Kill "opens termination": a programme admin deciding terminates the project in the same
  transaction; a chair who may not terminate projects opens a termination change request
  (submitted) for the programme admins instead.
- Condition tasks go into the project's first key task list, or a new one titled “关口整改条件”,
  category 改革举措 (the closest of the policy's six; falls back to the first category), owned by
  the project lead, starting today.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from milestones.models import (
    ChangeKind,
    ChangeRequest,
    ChangeState,
    DecisionOutcome,
    GateDecision,
    GateKind,
    GateReview,
    GateState,
    Milestone,
    NonConsensusApproval,
)
from milestones.selectors.gates import decision_refusal, gate_computed_outcome, summary_jsonable
from milestones.services.gates import gate_close, gate_lock_in_order
from milestones.services.templates import milestones_create_from_template
from pmflow.audit import audit_record
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from pmflow.models import NotificationKind, User
from pmflow.notifications import notification_enqueue, notifications_deliver_on_commit
from pmflow.parsing import date_parse
from pmflow.selectors import programme_admins
from pmflow.transitions import transition_run
from projects.models import KeyTaskList, PMTeam, Project, ProjectState, Task, TaskCategory
from projects.services.projects import project_transition
from projects.services.tasks import task_list_changed

Out = DecisionOutcome
CONDITION_LIST_TITLE = "关口整改条件"
CONDITION_CATEGORY_CODE = "reform"


def _date(value: Any, name: str) -> dt.date:
    try:
        return date_parse(value)
    except ValueError as exc:
        raise InvalidInput(fields={name: [str(exc)]}) from exc


def _conditions_clean(conditions: Any) -> list[dict[str, Any]]:
    if conditions is None:
        return []
    if not isinstance(conditions, (list, tuple)):
        raise InvalidInput(fields={"conditions": [_("条件格式无效。")]})
    today = timezone.localdate()
    errors: list[str] = []
    cleaned = []
    for i, raw in enumerate(conditions, start=1):
        title = str((raw or {}).get("title") or "").strip() if isinstance(raw, dict) else ""
        due = raw.get("due_date") if isinstance(raw, dict) else None
        if not title or len(title) > 300:
            errors.append(_("第 %(n)d 项条件必须填写且不超过 300 个字符。") % {"n": i})
            continue
        if due in (None, ""):
            errors.append(_("第 %(n)d 项条件必须有完成期限。") % {"n": i})
            continue
        try:
            due = _date(due, "conditions")
        except InvalidInput:
            errors.append(_("第 %(n)d 项条件的期限格式无效。") % {"n": i})
            continue
        if due < today:
            errors.append(_("第 %(n)d 项条件的期限不能早于今天。") % {"n": i})
            continue
        cleaned.append({"title": title, "due_date": due})
    if errors:
        raise InvalidInput(fields={"conditions": errors})
    return cleaned


def _gate_locked(gate_id: Any) -> GateReview:
    """The gate, locked in the lock order shared with ``change_request_apply`` and the other services
    of a project: project → milestone → gate review → anything else. The gate is first read without a
    lock only to learn its project and milestone (neither ever changes)."""
    return gate_lock_in_order(gate_id)


def gate_decide(
    *,
    actor: Any,
    gate_id: Any,
    outcome: str,
    rationale: str = "",
    conditions: list[dict[str, Any]] | None = None,
    new_due_date: dt.date | str | None = None,
) -> GateDecision:
    """Record the chair's decision on a gate and apply it (see the module docstring for the rules).

    Chair of the gate or a programme admin. Locks in the shared lock order — project, milestone, gate
    review, then anything else (``gate_lock_in_order``) — so a decision and a change-request apply on
    one project queue on the project row instead of deadlocking. Concurrent deciders queue likewise;
    the first wins, the others get Conflict. Raises InvalidInput / Forbidden / NotFound / Conflict.
    """
    rationale = str(rationale or "").strip()
    with transaction.atomic():
        gate = _gate_locked(gate_id)
        if not actor.has_perm("milestones.chair_gate", gate):
            if actor.has_perm("milestones.view_gate", gate):
                raise Forbidden(_("只有评审委员会主任或管理员可以作出决定。"))
            raise NotFound()
        if gate.status == GateState.OPEN:
            gate_close(actor=actor, gate_id=gate.pk, reason=_("作出决定时截止评分。"))
            gate = GateReview.objects.select_related("project", "milestone").get(pk=gate.pk)
        if gate.status != GateState.CLOSED:
            raise Conflict(
                _("关口评审当前状态为“%(state)s”，不能作出决定。") % {"state": gate.get_status_display()},
                extra={"state": gate.status},
            )
        summary = gate_computed_outcome(gate=gate)
        computed = summary["outcome"]
        errors: dict[str, list[str]] = {}
        if outcome not in Out.values:
            raise InvalidInput(fields={"outcome": [_("未知的决定。")]})
        refusal = decision_refusal(kind=gate.kind, outcome=outcome, summary=summary)
        if refusal is not None:
            errors["outcome"] = [refusal]
        if outcome != computed and not rationale:
            errors["rationale"] = [_("决定与系统建议（%(computed)s）不一致，必须填写理由。") % {"computed": Out(computed).label}]
        try:
            cleaned_conditions = _conditions_clean(conditions)
        except InvalidInput as exc:
            errors.update(exc.fields)
            cleaned_conditions = []
        if outcome == Out.CONDITIONAL_GO and not cleaned_conditions and "conditions" not in errors:
            errors["conditions"] = [_("有条件通过必须列出至少一项条件。")]
        elif outcome != Out.CONDITIONAL_GO and conditions:
            errors["conditions"] = [_("只有有条件通过可以附加条件。")]
        due: dt.date | None = None
        if outcome == Out.RECYCLE:
            if new_due_date in (None, ""):
                errors["new_due_date"] = [_("返工重审必须给出新的截止日。")]
            else:
                try:
                    due = _date(new_due_date, "new_due_date")
                except InvalidInput as exc:
                    errors.update(exc.fields)
                else:
                    if due <= timezone.localdate():
                        errors["new_due_date"] = [_("新的截止日必须晚于今天。")]
        elif new_due_date not in (None, ""):
            errors["new_due_date"] = [_("只有返工重审需要新的截止日。")]
        if errors:
            raise InvalidInput(fields=errors)

        record = summary_jsonable(summary)
        holder: dict[str, GateDecision] = {}

        def effects(decided: GateReview, from_state: str) -> None:
            decision = GateDecision.objects.create(
                gate=decided,
                outcome=outcome,
                computed_outcome=computed,
                computed_summary=record,
                rationale=rationale,
                new_due_date=due,
                decided_by=actor,
            )
            holder["decision"] = decision
            _decision_apply(actor=actor, gate=gate, decision=decision, conditions=cleaned_conditions)
            _notify_decided(gate=gate, decision=decision, actor=actor)

        transition_run(
            model=GateReview,
            pk=gate.pk,
            name="decide",
            actor=actor,
            reason=rationale,
            effects=effects,
            audit_data={
                "outcome": outcome,
                "computed_outcome": computed,
                "departs_from_computed": outcome != computed,
                "rationale": rationale,
                "summary": record,
                "conditions": [{"title": c["title"], "due_date": c["due_date"].isoformat()} for c in cleaned_conditions],
                "new_due_date": due.isoformat() if due else None,
            },
        )
    return holder["decision"]


def _decision_apply(*, actor: Any, gate: GateReview, decision: GateDecision, conditions: list[dict[str, Any]]) -> None:
    """Move the milestone and the project as the decision says. Precondition: inside gate_decide's
    transaction, gate row locked, decision row written."""
    outcome = decision.outcome
    project_id = gate.project_id
    reason = decision.rationale
    if gate.kind == GateKind.SCREENING:
        if outcome in (Out.GO, Out.CONDITIONAL_GO):
            project_transition(
                actor=actor,
                project_id=project_id,
                name="approve",
                reason=reason,
                effects=lambda p, _from: milestones_create_from_template(project=p, actor=actor),
            )
        elif outcome == Out.KILL:
            project_transition(
                actor=actor, project_id=project_id, name="reject", reason=reason or _("立项筛选评审决定不予立项。")
            )
        elif outcome == Out.NON_CONSENSUS:
            project_transition(actor=actor, project_id=project_id, name="send_to_non_consensus", reason=reason)
        if outcome == Out.CONDITIONAL_GO:
            _condition_tasks_create(actor=actor, gate=gate, decision=decision, conditions=conditions)
        return
    if gate.milestone_id is None:  # comparative: recorded only
        return
    milestone_id = gate.milestone_id
    final = gate.kind == GateKind.FINAL
    if outcome == Out.GO:
        _milestone_move(actor=actor, milestone_id=milestone_id, name="pass_gate", reason=reason, passed=True)
        if final:
            project_transition(actor=actor, project_id=project_id, name="close", reason=reason or _("最终验收通过。"))
    elif outcome == Out.CONDITIONAL_GO:
        _milestone_move(actor=actor, milestone_id=milestone_id, name="pass_with_conditions", reason=reason)
        _condition_tasks_create(actor=actor, gate=gate, decision=decision, conditions=conditions)
    elif outcome == Out.HOLD:
        _milestone_move(actor=actor, milestone_id=milestone_id, name="hold", reason=reason)
    elif outcome == Out.RECYCLE:
        _milestone_move(
            actor=actor,
            milestone_id=milestone_id,
            name="recycle",
            reason=reason,
            kwargs={"new_due": decision.new_due_date},
            extra=["current_due"],
        )
        if final:
            project = Project.objects.get(pk=project_id)
            if project.status == ProjectState.CLOSING:
                project_transition(actor=actor, project_id=project_id, name="reopen", reason=reason or _("最终验收返工重审。"))
    elif outcome == Out.KILL:
        _milestone_move(actor=actor, milestone_id=milestone_id, name="fail", reason=reason)
        _termination_open(actor=actor, gate=gate, decision=decision)


def _milestone_move(
    *,
    actor: Any,
    milestone_id: int,
    name: str,
    reason: str,
    kwargs: dict[str, Any] | None = None,
    extra: list[str] | None = None,
    passed: bool = False,
) -> Milestone:
    def effects(m: Milestone, from_state: str) -> None:
        if passed:
            m.passed_at = timezone.now()
            Milestone.objects.filter(pk=m.pk).update(passed_at=m.passed_at)

    return transition_run(
        model=Milestone,
        pk=milestone_id,
        name=name,
        actor=actor,
        reason=reason,
        kwargs=kwargs,
        extra_update_fields=extra or (),
        effects=effects,
    )


def _termination_open(*, actor: Any, gate: GateReview, decision: GateDecision) -> None:
    project = Project.objects.get(pk=gate.project_id)
    reason = decision.rationale or _("关口评审决定终止：%(gate)s") % {"gate": gate}
    if actor.has_perm("projects.terminate_project", project):
        project_transition(actor=actor, project_id=project.pk, name="terminate", reason=reason)
        return
    if ChangeRequest.objects.filter(
        project=project, kind=ChangeKind.TERMINATE, status__in=[ChangeState.DRAFT, ChangeState.SUBMITTED, ChangeState.APPROVED]
    ).exists():
        return
    request = ChangeRequest.objects.create(
        project=project,
        kind=ChangeKind.TERMINATE,
        # Shaped as a termination request filed through milestones.services.changes would be (no
        # milestone, empty payload) so that change_request_approve / change_request_apply handle it.
        payload={},
        reason=reason,
        status=ChangeState.SUBMITTED,
        created_by=actor,
        submitted_at=timezone.now(),
    )
    audit_record(
        obj=request,
        actor=actor,
        action="open_from_gate_kill",
        to_state=request.status,
        reason=reason,
        data={"gate": gate.pk, "decision": decision.pk},
    )
    notification_enqueue(
        recipients=list(programme_admins()),
        kind=NotificationKind.CHANGE_REQUEST,
        obj=request,
        subject=_("关口评审决定终止，待处理终止申请：%(project)s") % {"project": project},
        body=reason,
    )


def _condition_tasks_create(
    *, actor: Any, gate: GateReview, decision: GateDecision, conditions: list[dict[str, Any]]
) -> list[Task]:
    project = Project.objects.select_related("lead").get(pk=gate.project_id)
    task_list = KeyTaskList.objects.filter(project=project).order_by("id").first()
    if task_list is None:
        task_list = KeyTaskList.objects.create(pm_team_id=project.pm_team_id, project=project, title=CONDITION_LIST_TITLE)
    category = (
        TaskCategory.objects.filter(code=CONDITION_CATEGORY_CODE).first()
        or TaskCategory.objects.order_by("order", "code").first()
    )
    if category is None:
        raise InvalidInput(fields={"conditions": [_("缺少任务类别参考数据。")]})
    today = timezone.localdate()
    tasks = Task.objects.bulk_create(
        Task(
            task_list=task_list,
            category=category,
            title=c["title"],
            owner=project.lead,
            start_date=min(today, c["due_date"]),
            due_date=c["due_date"],
            milestone_id=gate.milestone_id,
            gate_decision=decision,
        )
        for c in conditions
    )
    for task in tasks:
        notification_enqueue(
            recipients=[project.lead],
            kind=NotificationKind.TASK_CONDITION,
            obj=task,
            subject=_("有条件通过的整改条件：%(title)s") % {"title": task.title},
            body=_("%(gate)s 有条件通过，请在 %(due)s 前完成。") % {"gate": gate, "due": task.due_date.isoformat()},
            due_date=task.due_date,
        )
    _task_list_changed(task_list.pk)
    return tasks


def _task_list_changed(task_list_id: int) -> None:
    """Ask for the list's roll-up to be recalculated after commit (helper E's service)."""
    task_list_changed(task_list_id=task_list_id)


def _notify_decided(*, gate: GateReview, decision: GateDecision, actor: Any) -> None:
    project = Project.objects.select_related("pm_team__lead").get(pk=gate.project_id)
    notification_enqueue(
        recipients=[project.pm_team.lead],
        kind=NotificationKind.GATE_DECIDED,
        obj=decision,
        subject=_("关口评审决定：%(gate)s — %(outcome)s") % {"gate": gate, "outcome": decision.get_outcome_display()},
        body=decision.rationale,
    )
    notifications_deliver_on_commit()


# --- non-consensus path ----------------------------------------------------------------------------
def non_consensus_approve(*, actor: Any, project_id: Any, endorsement_by: Any, endorsement: str) -> NonConsensusApproval:
    """Approve a ``non_consensus`` project on the risk-controlled track.

    Screening chair or programme admin, with the endorsement of the PM team's lead
    (``endorsement_by`` must be that lead; ``endorsement`` is their written opinion). Counted
    against ``pm_team.non_consensus_quota`` for the calendar year: the PM-team row is locked, so
    two approvals racing for the last unit of quota cannot both succeed; when the quota is spent
    the approval is refused (Conflict). The project moves to ``approved`` and gets its milestones
    with the first tranche capped and the first gate earlier. Dissenting scorecards stay.
    """
    endorsement = str(endorsement or "").strip()
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update().get(pk=project_id)
        except (Project.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        if not actor.has_perm("projects.decide_screening", project):
            raise Forbidden(_("只有立项筛选评审委员会主任或管理员可以批准非共识项目。"))
        if project.status != ProjectState.NON_CONSENSUS:
            raise Conflict(_("项目不在非共识通道中。"), extra={"state": project.status})
        team = PMTeam.objects.select_for_update().get(pk=project.pm_team_id)
        raw_endorser = endorsement_by.pk if isinstance(endorsement_by, User) else endorsement_by
        try:
            endorser_id = int(raw_endorser)
        except (ValueError, TypeError):
            endorser_id = None
        errors: dict[str, list[str]] = {}
        if endorser_id is None or endorser_id != team.lead_id:
            errors["endorsement_by"] = [_("背书须由该项目经理团队的项目经理作出。")]
        if not endorsement:
            errors["endorsement"] = [_("请填写项目经理的背书意见。")]
        if errors:
            raise InvalidInput(fields=errors)
        year = timezone.localdate().year
        used = NonConsensusApproval.objects.filter(pm_team=team, year=year).count()
        if used >= team.non_consensus_quota:
            raise Conflict(
                _("项目经理团队“%(team)s”%(year)d 年的非共识项目额度（%(quota)d 项）已用完。")
                % {"team": team, "year": year, "quota": team.non_consensus_quota},
                extra={"quota": team.non_consensus_quota, "used": used},
            )
        approval = NonConsensusApproval.objects.create(
            project=project,
            pm_team=team,
            year=year,
            endorsed_by_id=endorser_id,
            approved_by=actor,
            first_tranche_share=settings.PMFLOW["NON_CONSENSUS_FIRST_TRANCHE_SHARE"],
            first_gate_earlier_workdays=settings.PMFLOW["NON_CONSENSUS_FIRST_GATE_EARLIER_WORKDAYS"],
            endorsement=endorsement,
        )
        project_transition(
            actor=actor,
            project_id=project.pk,
            name="approve",
            reason=_("非共识通道批准（风险可控方案）。"),
            effects=lambda p, _from: milestones_create_from_template(project=p, actor=actor),
        )
        audit_record(
            obj=approval,
            actor=actor,
            action="non_consensus_approve",
            reason=endorsement,
            data={"year": year, "quota": team.non_consensus_quota, "used_before": used, "endorsed_by": endorser_id},
        )
    return approval


def non_consensus_reject(*, actor: Any, project_id: Any, reason: str) -> Project:
    """non_consensus → rejected (screening chair or admin; reason required)."""
    return project_transition(actor=actor, project_id=project_id, name="reject", reason=reason)
