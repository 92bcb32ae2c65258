"""Milestone transitions done by the PM team (start, submit to the gate, resume after a hold) and by
the chair (conditions met). Gate decisions move milestones in ``milestones.services.decisions``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from milestones.models import Committee, GateKind, GateReview, GateState, Milestone, MilestoneState
from milestones.services.gates import ACTIVE_GATE_STATES, _committee, _gate_create
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from pmflow.rules import is_programme_admin
from pmflow.transitions import transition_run
from projects.models import Project, ProjectState, Task
from projects.rules import is_pm_team_member
from projects.services.projects import project_transition

WORKING_PROJECT_STATES = (ProjectState.ACTIVE, ProjectState.CLOSING)


def _milestone_locked(milestone_id: Any) -> Milestone:
    """The milestone with its project, both locked in the one lock order (project, then milestone:
    see milestones/services/gates.py). A milestone never changes project, so reading that first
    without a lock is safe."""
    try:
        project_id = Milestone.objects.values_list("project_id", flat=True).get(pk=milestone_id)
    except (Milestone.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    project = Project.objects.select_for_update().get(pk=project_id)
    milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
    milestone.project = project
    return milestone


def _require_project_working(project: Project) -> None:
    if project.status not in WORKING_PROJECT_STATES:
        raise Conflict(
            _("项目“%(code)s”当前状态为“%(state)s”，里程碑不能推进。")
            % {"code": project.code, "state": project.get_status_display()},
            extra={"state": project.status},
        )


def milestone_start(*, actor: Any, milestone_id: Any, reason: str = "") -> Milestone:
    """planned → in_progress (PM team, project lead or admin); the project must be active."""
    with transaction.atomic():
        milestone = _milestone_locked(milestone_id)
        if actor.has_perm("milestones.work_on_milestone", milestone):
            _require_project_working(milestone.project)
        return transition_run(model=Milestone, pk=milestone.pk, name="start", actor=actor, reason=reason)


def milestone_resume(*, actor: Any, milestone_id: Any, reason: str = "") -> Milestone:
    """on_hold → in_progress (PM team, project lead or admin): rework after a hold, then resubmit."""
    return transition_run(model=Milestone, pk=milestone_id, name="resume", actor=actor, reason=reason)


def _screening_committee(project: Project) -> Committee | None:
    gate = (
        GateReview.objects.filter(project=project, kind=GateKind.SCREENING)
        .exclude(status=GateState.CANCELLED)
        .select_related("committee")
        .order_by("-id")
        .first()
    )
    return gate.committee if gate else None


def milestone_submit(
    *,
    actor: Any,
    milestone_id: Any,
    committee_id: Any = None,
    quorum: int = 3,
    criteria: list[dict[str, Any]] | None = None,
    reason: str = "",
) -> tuple[Milestone, GateReview]:
    """in_progress → submitted, and its gate review scheduled, in one transaction.

    PM team, project lead or admin; the final milestone only by the PM team or an admin, because
    submitting it moves the project ``active → closing`` (验收中) — the final gate then closes or
    reopens the project. The gate is a ``final`` gate for the final milestone, else a ``milestone``
    gate; its committee is ``committee_id`` or the committee of the project's screening gate; due
    today + ``PMFLOW['GATE_REVIEW_WORKDAYS']`` working days; criteria default per kind.
    Returns ``(milestone, gate)``.
    """
    with transaction.atomic():
        milestone = _milestone_locked(milestone_id)
        project = milestone.project
        if not actor.has_perm("milestones.work_on_milestone", milestone):
            raise Forbidden(_("您无权提交该里程碑。"))
        if milestone.is_final and not (is_programme_admin(actor) or is_pm_team_member(actor, project)):
            raise Forbidden(_("最终里程碑须由项目经理团队提交验收。"))
        _require_project_working(project)
        if milestone.status != MilestoneState.IN_PROGRESS:
            raise Conflict(
                _("“%(obj)s”当前状态为“%(state)s”，不能提交评审。") % {"obj": milestone, "state": milestone.get_status_display()},
                extra={"state": milestone.status},
            )
        if committee_id is not None:
            committee = _committee(committee_id)
        else:
            committee = _screening_committee(project)
            if committee is None:
                raise InvalidInput(fields={"committee": [_("请指定评审委员会（该项目没有立项筛选评审委员会）。")]})
        if GateReview.objects.filter(milestone=milestone, status__in=ACTIVE_GATE_STATES).exists():
            raise Conflict(_("该里程碑已有进行中的关口评审。"))
        milestone = transition_run(model=Milestone, pk=milestone.pk, name="submit", actor=actor, reason=reason)
        gate = _gate_create(
            actor=actor,
            project=project,
            kind=GateKind.FINAL if milestone.is_final else GateKind.MILESTONE,
            milestone=milestone,
            committee=committee,
            quorum=quorum,
            due_date=None,
            criteria=criteria,
        )
        if milestone.is_final and project.status == ProjectState.ACTIVE:
            project_transition(actor=actor, project_id=project.pk, name="start_closing", reason=reason)
    return milestone, gate


def condition_tasks_open(milestone: Milestone) -> int:
    """Condition tasks (from conditional-go decisions on this milestone's gates) not yet done."""
    return (
        Task.objects.filter(gate_decision__gate__milestone=milestone)
        .exclude(Q(done_date__isnull=False) | Q(progress__gte=100))
        .count()
    )


def milestone_conditions_met(*, actor: Any, milestone_id: Any, reason: str = "") -> Milestone:
    """passed_with_conditions → passed (chair or admin) once every condition task is done (done
    date set or progress 100). Its tranche becomes releasable. For the final milestone this also
    closes the project (closing → closed)."""
    with transaction.atomic():
        milestone = _milestone_locked(milestone_id)
        if actor.has_perm("milestones.decide_gate", milestone) and milestone.status == MilestoneState.PASSED_WITH_CONDITIONS:
            remaining = condition_tasks_open(milestone)
            if remaining:
                raise Conflict(_("还有 %(n)d 项整改条件未完成。") % {"n": remaining})

        def effects(m: Milestone, from_state: str) -> None:
            m.passed_at = timezone.now()
            Milestone.objects.filter(pk=m.pk).update(passed_at=m.passed_at)
            if m.is_final:
                project = Project.objects.select_for_update().get(pk=m.project_id)
                if project.status == ProjectState.CLOSING:
                    project_transition(actor=actor, project_id=project.pk, name="close", reason=_("最终验收整改条件已满足。"))

        return transition_run(
            model=Milestone,
            pk=milestone.pk,
            name="conditions_met",
            actor=actor,
            reason=reason,
            effects=effects,
        )


#: the milestone transitions a person takes directly (admin buttons, the API's transitions endpoint):
#: name → fn(actor, pk, reason), returning the milestone
MILESTONE_TRANSITIONS = {
    "start": lambda actor, pk, reason: milestone_start(actor=actor, milestone_id=pk, reason=reason),
    "submit": lambda actor, pk, reason: milestone_submit(actor=actor, milestone_id=pk, reason=reason)[0],
    "resume": lambda actor, pk, reason: milestone_resume(actor=actor, milestone_id=pk, reason=reason),
    "conditions_met": lambda actor, pk, reason: milestone_conditions_met(actor=actor, milestone_id=pk, reason=reason),
}
