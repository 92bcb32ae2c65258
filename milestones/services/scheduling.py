"""Scheduling the screening gate from the web form, and assigning a gate's reviewers in bulk.

Both are what a person does on one page (DESIGN.md §1: "schedule the screening gate: committee,
criteria from the tier's template, reviewers suggested and confirmed — programme admin, or the
PM-team lead where the admin allows"). ``gate_schedule_screening`` checks what the form asks for
beyond ``gate_schedule`` (a committee covering the project's field, a due date on a working day)
and then calls it; ``gate_reviewers_assign`` assigns several reviewers in one transaction with the
same conflict rule as ``gate_assign_reviewer`` (``milestones.selectors.scheduling.reviewer_conflict``):
one refused reviewer and nobody is assigned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from milestones.models import Committee, GateKind, GateReview, ReviewerAssignment
from milestones.selectors.scheduling import conflict_facts, reviewer_conflict
from milestones.services.gates import gate_criteria_clean, gate_lock_for_assignment, gate_schedule
from pmflow.audit import audit_record
from pmflow.errors import Forbidden, InvalidInput, NotFound
from pmflow.models import NotificationKind, User
from pmflow.notifications import notification_enqueue, notifications_deliver_on_commit
from pmflow.workdays import is_workday, next_workday
from projects.models import Project

MAX_REVIEWERS_AT_ONCE = 50


def gate_schedule_screening(
    *,
    actor: User,
    project_id: int,
    committee_id: int | None,
    due_date: dt.date | None,
    criteria: list[dict[str, Any]],
    quorum: int,
) -> GateReview:
    """Schedule ``project``'s screening gate (project ``submitted → screening`` in the same
    transaction, by ``gate_schedule``). Every input error is reported at once, on its field:
    ``committee`` (required, must cover the project's field), ``due_date`` (required, today or
    later, a working day), ``criteria`` (``gate_criteria_clean``), ``quorum``. Who may: a programme
    admin, the committee's chair, or the PM-team lead where allowed. Raises InvalidInput, Forbidden,
    NotFound, Conflict; nothing is saved on error."""
    project = Project.objects.filter(pk=project_id).select_related("field").first()
    if project is None:
        raise NotFound()
    errors: dict[str, list[str]] = {}
    committee = None
    if committee_id is None:
        errors["committee"] = [_("请选择评审委员会。")]
    else:
        committee = Committee.objects.filter(pk=committee_id).first()
        if committee is None:
            errors["committee"] = [_("评审委员会不存在。")]
        elif not committee.fields.filter(pk=project.field_id).exists():
            errors["committee"] = [_("评审委员会“%(c)s”不负责领域“%(f)s”。") % {"c": committee.name, "f": project.field.name}]
    if due_date is None:
        errors["due_date"] = [_("请填写评审截止日。")]
    elif due_date < timezone.localdate():
        errors["due_date"] = [_("评审截止日不能早于今天。")]
    elif not is_workday(due_date):
        errors["due_date"] = [
            _("%(d)s 不是工作日（周末或法定节假日）；最近的工作日是 %(n)s。")
            % {"d": due_date.isoformat(), "n": next_workday(due_date).isoformat()}
        ]
    try:
        gate_criteria_clean(criteria)
    except InvalidInput as exc:
        errors.update(exc.fields)
    if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1 or quorum > 100:
        errors["quorum"] = [_("法定人数必须是 1 到 100 之间的整数。")]
    if errors:
        raise InvalidInput(fields=errors)
    assert committee is not None
    if not (actor.has_perm("milestones.schedule_screening", project) or committee.chair_id == actor.pk):
        raise Forbidden(_("只有管理员（或经管理员授权的本团队项目经理）可以安排立项筛选评审。"))
    return gate_schedule(
        actor=actor,
        project_id=project.pk,
        kind=GateKind.SCREENING,
        committee_id=committee,
        quorum=quorum,
        due_date=due_date,
        criteria=criteria,
    )


def gate_reviewers_assign(*, actor: User, gate_id: int, reviewer_ids: list[int]) -> list[ReviewerAssignment]:
    """Assign every reviewer of ``reviewer_ids`` to a scheduled or open gate, in one transaction,
    and notify each. Each must be a member of the gate's committee and pass the conflict rule
    (``reviewer_conflict``); otherwise InvalidInput on ``reviewers`` naming each refused person and
    why, and nobody is assigned. Chair, admin, or at a screening gate the PM-team lead where allowed.
    Lock: the gate only (as ``gate_assign_reviewer``)."""
    if not isinstance(reviewer_ids, (list, tuple)) or not reviewer_ids:
        raise InvalidInput(fields={"reviewers": [_("请至少选择一位评审专家。")]})
    try:
        wanted = list(dict.fromkeys(int(r) for r in reviewer_ids))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(fields={"reviewers": [_("评审专家选择无效。")]}) from exc
    if len(wanted) > MAX_REVIEWERS_AT_ONCE:
        raise InvalidInput(fields={"reviewers": [_("一次最多分配 %(n)d 位评审专家。") % {"n": MAX_REVIEWERS_AT_ONCE}]})
    with transaction.atomic():
        gate = gate_lock_for_assignment(actor=actor, gate_id=gate_id)
        people = {u.pk: u for u in User.objects.filter(pk__in=wanted)}
        members = set(gate.committee.members.filter(pk__in=wanted).values_list("pk", flat=True))
        facts = conflict_facts(gate)
        problems = []
        for pk in wanted:
            person = people.get(pk)
            problem = reviewer_conflict(facts, person)
            if problem is None and pk not in members:
                problem = _("不是评审委员会“%(c)s”的专家。") % {"c": gate.committee}
            if problem:
                problems.append(_("%(who)s：%(why)s") % {"who": person if person is not None else pk, "why": problem})
        if problems:
            raise InvalidInput(problems[0], fields={"reviewers": problems})
        assignments = ReviewerAssignment.objects.bulk_create(ReviewerAssignment(gate=gate, reviewer=people[pk]) for pk in wanted)
        audit_record(
            obj=gate,
            actor=actor,
            action="assign_reviewers",
            data={"reviewers": wanted, "assignments": [a.pk for a in assignments]},
        )
        project = gate.project
        for a in assignments:
            notification_enqueue(
                recipients=[a.reviewer],
                kind=NotificationKind.REVIEW_ASSIGNED,
                obj=a,
                subject=_("请评审：%(gate)s（截止 %(due)s）") % {"gate": gate, "due": gate.due_date.isoformat()},
                body=_("您被分配评审“%(project)s”。请先声明是否存在利益冲突，再填写评分表。") % {"project": project},
                due_date=gate.due_date,
            )
        notifications_deliver_on_commit()
    return assignments
