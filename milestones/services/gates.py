"""Gate reviews (关口评审): scheduling, the gate's own transitions, reviewer assignment with the
conflict-of-interest declaration, and scorecards.

The chair's decision and the non-consensus approval live in ``milestones.services.decisions``, which
builds on this module (never the other way round).

Lock order (every service that locks rows of one project; see ``gate_lock_in_order``): the project,
then its milestones (by id), then gate reviews (by id), then anything else (assignments, scorecards,
change requests, routes). Two services on one project then queue on the project row and cannot
deadlock. A service may skip a level (``gate_close`` locks only its gate) but never goes back up.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from milestones.models import (
    Committee,
    CriterionScore,
    GateCriterion,
    GateKind,
    GateReview,
    GateState,
    Milestone,
    MilestoneState,
    Recommendation,
    ReviewerAssignment,
    Scorecard,
)
from milestones.selectors.gates import must_meet_failed_ids, weighted_score_of
from milestones.selectors.scheduling import conflict_facts, reviewer_conflict
from pmflow.audit import audit_record
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from pmflow.models import NotificationKind, User
from pmflow.notifications import notification_enqueue, notifications_deliver_on_commit
from pmflow.parsing import date_parse
from pmflow.rules import is_programme_admin
from pmflow.transitions import transition_run
from pmflow.workdays import add_workdays
from projects.models import Project, ProjectState
from projects.services.projects import project_transition

ACTIVE_GATE_STATES = GateState.ACTIVE_STATES

DEFAULT_CRITERIA: dict[str, list[dict[str, Any]]] = {
    GateKind.MILESTONE: [
        {"kind": "must", "title": "交付物与里程碑约定一致并已全部提交", "weight": 0},
        {"kind": "must", "title": "可测量的验收标准已达到", "weight": 0},
        {"kind": "should", "title": "技术进展与创新性", "weight": 40},
        {"kind": "should", "title": "成果质量与佐证材料", "weight": 30},
        {"kind": "should", "title": "经费使用与进度", "weight": 15},
        {"kind": "should", "title": "风险控制与下一阶段计划", "weight": 15},
    ],
    GateKind.FINAL: [
        {"kind": "must", "title": "全部交付物已提交", "weight": 0},
        {"kind": "must", "title": "培育方案确定的目标已达到", "weight": 0},
        {"kind": "should", "title": "目标完成度", "weight": 40},
        {"kind": "should", "title": "成果质量与影响", "weight": 30},
        {"kind": "should", "title": "转化与产业化前景", "weight": 20},
        {"kind": "should", "title": "经费使用规范性", "weight": 10},
    ],
    GateKind.SCREENING: [
        {"kind": "must", "title": "符合政策支持方向与领域", "weight": 0},
        {"kind": "should", "title": "颠覆性与创新价值", "weight": 40},
        {"kind": "should", "title": "技术路线可行性", "weight": 30},
        {"kind": "should", "title": "团队能力", "weight": 20},
        {"kind": "should", "title": "产业化前景", "weight": 10},
    ],
}


def gate_review_workdays() -> int:
    return int(settings.PMFLOW.get("GATE_REVIEW_WORKDAYS", 10))


# --- scheduling ----------------------------------------------------------------------------------
def gate_criteria_clean(criteria: Any) -> list[dict[str, Any]]:
    """At least one criterion; kind must/should; title given; weight ≥ 0; the should-meet weights
    must not all be 0 when there are should-meet criteria. Raises InvalidInput on ``criteria``."""
    if not isinstance(criteria, (list, tuple)) or not criteria:
        raise InvalidInput(fields={"criteria": [_("至少需要一项评审指标。")]})
    errors: list[str] = []
    cleaned = []
    for i, raw in enumerate(criteria, start=1):
        if not isinstance(raw, dict):
            errors.append(_("第 %(n)d 项格式无效。") % {"n": i})
            continue
        kind = raw.get("kind")
        title = str(raw.get("title") or "").strip()
        if kind not in GateCriterion.Kind.values:
            errors.append(_("第 %(n)d 项类型必须是 must 或 should。") % {"n": i})
        if not title or len(title) > 200:
            errors.append(_("第 %(n)d 项指标名称必须填写且不超过 200 个字符。") % {"n": i})
        try:
            weight = Decimal(str(raw.get("weight", 0) or 0))
            if not weight.is_finite() or weight < 0 or weight >= 10000:
                raise InvalidOperation
        except (InvalidOperation, ValueError, TypeError):
            errors.append(_("第 %(n)d 项权重必须是不小于 0 的数字。") % {"n": i})
            weight = Decimal(0)
        cleaned.append({"kind": kind, "title": title, "weight": weight if kind == "should" else Decimal(0), "order": i})
    should = [c for c in cleaned if c["kind"] == "should"]
    if not errors and should and sum(c["weight"] for c in should) <= 0:
        errors.append(_("评分性指标的权重之和必须大于 0。"))
    if errors:
        raise InvalidInput(fields={"criteria": errors})
    return cleaned


def _gate_create(
    *,
    actor: Any,
    project: Project,
    kind: str,
    milestone: Milestone | None,
    committee: Committee,
    quorum: int,
    due_date: dt.date | None,
    criteria: list[dict[str, Any]] | None,
) -> GateReview:
    """Insert a scheduled gate with its criteria. Precondition: inputs checked, caller in a transaction."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if due_date is None:
        due_date = add_workdays(today, gate_review_workdays())
    else:
        try:
            due_date = date_parse(due_date)
        except ValueError as exc:
            errors["due_date"] = [str(exc)]
    if isinstance(due_date, dt.date) and due_date < today:
        errors["due_date"] = [_("评审截止日不能早于今天。")]
    if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1 or quorum > 100:
        errors["quorum"] = [_("法定人数必须是 1 到 100 之间的整数。")]
    try:
        cleaned = gate_criteria_clean(criteria if criteria is not None else DEFAULT_CRITERIA.get(kind, []))
    except InvalidInput as exc:
        errors.update(exc.fields)
        cleaned = []
    if errors:
        raise InvalidInput(fields=errors)
    gate = GateReview.objects.create(
        kind=kind,
        project=project,
        milestone=milestone,
        committee=committee,
        chair_id=committee.chair_id,
        quorum=quorum,
        due_date=due_date,
    )
    GateCriterion.objects.bulk_create(GateCriterion(gate=gate, **c) for c in cleaned)
    audit_record(
        obj=gate,
        actor=actor,
        action="schedule",
        to_state=gate.status,
        data={
            "kind": kind,
            "project": project.code,
            "milestone": milestone.sequence if milestone else None,
            "committee": committee.pk,
            "quorum": quorum,
            "due_date": gate.due_date.isoformat(),
            "criteria": [{"kind": c["kind"], "title": c["title"], "weight": str(c["weight"])} for c in cleaned],
        },
    )
    return gate


def _committee(committee_id: Any) -> Committee:
    if isinstance(committee_id, Committee):
        return committee_id
    try:
        return Committee.objects.get(pk=committee_id)
    except (Committee.DoesNotExist, ValueError, TypeError) as exc:
        raise InvalidInput(fields={"committee": [_("评审委员会不存在。")]}) from exc


def gate_schedule(
    *,
    actor: Any,
    project_id: Any,
    kind: str,
    committee_id: Any,
    quorum: int = 3,
    milestone_id: Any = None,
    due_date: dt.date | None = None,
    criteria: list[dict[str, Any]] | None = None,
) -> GateReview:
    """Schedule a gate review chaired by the committee's chair. Programme admins or that chair; a
    screening gate also the project's PM-team lead where allowed (``milestones.schedule_screening``).

    - ``screening``: the project must be ``submitted`` (it moves to ``screening`` in the same
      transaction) or already in ``screening`` without another active screening gate.
    - ``milestone`` / ``final``: ``milestone_id`` of a milestone that is ``submitted`` or
      ``in_review`` without an active gate (e.g. after a cancelled one); ``final`` iff the
      milestone is final. (``milestone_submit`` schedules these itself.)
    - ``comparative``: records a gate on the project without moving anything.

    ``due_date`` defaults to today + ``PMFLOW['GATE_REVIEW_WORKDAYS']`` working days; ``criteria``
    defaults to the kind's default criteria.
    """
    if kind not in GateKind.values:
        raise InvalidInput(fields={"kind": [_("未知的评审类型。")]})
    committee = _committee(committee_id)
    # A screening gate may also be scheduled by the project's PM-team lead where the programme admin
    # allows it (PMTeam.lead_schedules_screening; DESIGN.md §1), checked once the project is read.
    by_committee = is_programme_admin(actor) or committee.chair_id == actor.pk
    if not by_committee and kind != GateKind.SCREENING:
        raise Forbidden(_("只有管理员或该评审委员会主任可以安排关口评审。"))
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update().get(pk=project_id)
        except (Project.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        if not by_committee and not actor.has_perm("milestones.schedule_screening", project):
            raise Forbidden(_("只有管理员或该评审委员会主任可以安排关口评审。"))
        milestone = None
        active = GateReview.objects.filter(project=project, status__in=ACTIVE_GATE_STATES)
        if kind == GateKind.SCREENING:
            if project.status not in (ProjectState.SUBMITTED, ProjectState.SCREENING):
                raise Conflict(_("只有已提交或筛选中的项目可以安排立项筛选评审。"), extra={"state": project.status})
            if active.filter(kind=GateKind.SCREENING).exists():
                raise Conflict(_("该项目已有进行中的立项筛选评审。"))
        elif kind in (GateKind.MILESTONE, GateKind.FINAL):
            try:
                milestone = Milestone.objects.select_for_update().get(pk=milestone_id, project=project)
            except (Milestone.DoesNotExist, ValueError, TypeError) as exc:
                raise InvalidInput(fields={"milestone": [_("里程碑不存在或不属于该项目。")]}) from exc
            if (kind == GateKind.FINAL) != milestone.is_final:
                raise InvalidInput(fields={"kind": [_("最终验收评审只用于最终里程碑，其他里程碑用里程碑关口评审。")]})
            if milestone.status not in (MilestoneState.SUBMITTED, MilestoneState.IN_REVIEW):
                raise Conflict(_("只有已提交评审的里程碑可以安排关口评审。"), extra={"state": milestone.status})
            if active.filter(milestone=milestone).exists():
                raise Conflict(_("该里程碑已有进行中的关口评审。"))
        gate = _gate_create(
            actor=actor,
            project=project,
            kind=kind,
            milestone=milestone,
            committee=committee,
            quorum=quorum,
            due_date=due_date,
            criteria=criteria,
        )
        if kind == GateKind.SCREENING and project.status == ProjectState.SUBMITTED:
            project_transition(actor=actor, project_id=project.pk, name="start_screening")
    return gate


# --- the gate's own transitions ------------------------------------------------------------------
def gate_lock_in_order(gate_id: Any) -> GateReview:
    """Lock a gate review in the lock order (module docstring): its project, then its milestone (if
    any), then the gate itself. The gate is first read without a lock only to learn its project and
    milestone (neither ever changes). Returns the locked gate with ``project`` and ``milestone``
    loaded (those rows are locked too). Precondition: inside a transaction. Raises NotFound."""
    try:
        ref = GateReview.objects.only("pk", "project_id", "milestone_id").get(pk=gate_id)
    except (GateReview.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    list(Project.objects.select_for_update().filter(pk=ref.project_id).values_list("pk", flat=True))
    if ref.milestone_id is not None:
        list(Milestone.objects.select_for_update().filter(pk=ref.milestone_id).values_list("pk", flat=True))
    return GateReview.objects.select_for_update(of=("self",)).select_related("project", "milestone").get(pk=ref.pk)


def gate_open(*, actor: Any, gate_id: Any, reason: str = "") -> GateReview:
    """scheduled → open (chair or admin). A milestone gate also moves its milestone submitted → in_review."""

    def effects(gate: GateReview, from_state: str) -> None:
        if gate.milestone_id is not None:
            milestone = Milestone.objects.get(pk=gate.milestone_id)
            if milestone.status == MilestoneState.SUBMITTED:
                transition_run(model=Milestone, pk=milestone.pk, name="open_review", actor=actor)

    with transaction.atomic():
        gate_lock_in_order(gate_id)  # the milestone's lock comes before the gate's (lock order)
        return transition_run(
            model=GateReview,
            pk=gate_id,
            name="open",
            actor=actor,
            reason=reason,
            kwargs={"at": timezone.now()},
            extra_update_fields=["opened_at"],
            effects=effects,
        )


def gate_close(*, actor: Any, gate_id: Any, reason: str = "") -> GateReview:
    """open → closed (chair or admin): scoring ends; draft scorecards are not counted."""
    return transition_run(
        model=GateReview,
        pk=gate_id,
        name="close",
        actor=actor,
        reason=reason,
        kwargs={"at": timezone.now()},
        extra_update_fields=["closed_at"],
    )


def gate_cancel(*, actor: Any, gate_id: Any, reason: str) -> GateReview:
    """scheduled/open/closed → cancelled (chair or admin; reason required). The milestone or project
    stays where it is; a new gate can then be scheduled for it."""
    return transition_run(model=GateReview, pk=gate_id, name="cancel", actor=actor, reason=reason, reason_required=True)


# --- reviewers -----------------------------------------------------------------------------------
def gate_lock_for_assignment(*, actor: Any, gate_id: Any) -> GateReview:
    """Lock a gate that may take reviewers now, for this actor (caller is inside ``transaction.atomic``).

    The gate only (of=self): the project is read, not locked, so this never takes the project's lock
    after a gate's (lock order, module docstring). NotFound, Forbidden (``milestones.assign_reviewers``)
    or Conflict (scoring closed or the review over)."""
    try:
        gate = GateReview.objects.select_for_update(of=("self",)).select_related("project").get(pk=gate_id)
    except (GateReview.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not actor.has_perm("milestones.assign_reviewers", gate):
        raise Forbidden(_("只有评审委员会主任或管理员可以分配评审专家。"))
    if gate.status not in (GateState.SCHEDULED, GateState.OPEN):
        raise Conflict(_("评分已截止或评审已结束，不能再分配专家。"), extra={"state": gate.status})
    return gate


def gate_assign_reviewer(*, actor: Any, gate_id: Any, reviewer_id: Any) -> ReviewerAssignment:
    """Assign a reviewer (chair or admin; at a screening gate also the PM-team lead where allowed,
    ``milestones.assign_reviewers``) to a scheduled or open gate and notify them.

    Refused (InvalidInput on ``reviewer``) for someone from the project's performer organisation,
    a member of the project's PM team, the project lead, the chair, or an inactive user.
    """
    with transaction.atomic():
        gate = gate_lock_for_assignment(actor=actor, gate_id=gate_id)
        reviewer = reviewer_id if isinstance(reviewer_id, User) else User.objects.filter(pk=reviewer_id).first()
        project = gate.project
        # the one conflict rule, shared with the bulk assignment and the assignment page
        problem = reviewer_conflict(conflict_facts(gate), reviewer)
        if problem:
            raise InvalidInput(problem, fields={"reviewer": [problem]})
        assignment = ReviewerAssignment.objects.create(gate=gate, reviewer=reviewer)
        audit_record(obj=gate, actor=actor, action="assign_reviewer", data={"reviewer": reviewer.pk, "assignment": assignment.pk})
        notification_enqueue(
            recipients=[reviewer],
            kind=NotificationKind.REVIEW_ASSIGNED,
            obj=assignment,
            subject=_("请评审：%(gate)s（截止 %(due)s）") % {"gate": gate, "due": gate.due_date.isoformat()},
            body=_("您被分配评审“%(project)s”。请先声明是否存在利益冲突，再填写评分表。") % {"project": project},
            due_date=gate.due_date,
        )
        notifications_deliver_on_commit()
    return assignment


def assignment_declare_conflict(*, actor: Any, assignment_id: Any, has_conflict: bool, note: str = "") -> ReviewerAssignment:
    """The reviewer's conflict-of-interest declaration, which comes before scoring.

    A declared conflict recuses the reviewer (no scoring, no reading of scorecards; a scorecard
    already submitted stops counting). "No conflict" can be declared once; a recusal cannot be
    withdrawn. Only the assigned reviewer, and only before the gate is decided or cancelled.
    """
    if not isinstance(has_conflict, bool):
        raise InvalidInput(fields={"has_conflict": [_("必须声明是否存在利益冲突。")]})
    with transaction.atomic():
        try:
            assignment = _assignment_locked(ReviewerAssignment.objects.filter(pk=assignment_id))
        except (ValueError, TypeError) as exc:
            raise NotFound() from exc
        if assignment is None:
            raise NotFound()
        if assignment.reviewer_id != actor.pk:
            raise Forbidden(_("只能由被分配的评审专家本人声明利益冲突。"))
        if assignment.gate.status not in (GateState.SCHEDULED, GateState.OPEN, GateState.CLOSED):
            raise Conflict(_("评审已结束，不能再声明。"), extra={"state": assignment.gate.status})
        if assignment.has_conflict is True:
            raise Conflict(_("已声明利益冲突并回避，不能撤回。"))
        if assignment.has_conflict is False and not has_conflict:
            return assignment
        assignment.has_conflict = has_conflict
        assignment.conflict_note = str(note or "").strip()
        assignment.declared_at = timezone.now()
        assignment.save(update_fields=["has_conflict", "conflict_note", "declared_at"])
        audit_record(
            obj=assignment,
            actor=actor,
            action="declare_conflict",
            data={"has_conflict": has_conflict, "note": assignment.conflict_note},
        )
    return assignment


# --- scorecards ----------------------------------------------------------------------------------
def _assignment_locked(qs: Any) -> ReviewerAssignment | None:
    """The one assignment of ``qs`` with its gate, both locked in the lock order (module docstring):
    the gate first, then the assignment. The assignment is read unlocked only to learn its gate."""
    gate_id = qs.values_list("gate_id", flat=True).first()
    if gate_id is None:
        return None
    list(GateReview.objects.select_for_update().filter(pk=gate_id).values_list("pk", flat=True))
    return qs.select_for_update(of=("self",)).select_related("gate").first()


def _assignment_for_scoring(*, actor: Any, gate_id: Any, assignment_id: Any) -> ReviewerAssignment:
    """The actor's own assignment, locked (its gate first). Unassigned → Forbidden; recused or
    undeclared → Forbidden; gate not open → Conflict."""
    if assignment_id is not None:
        assignment = _assignment_locked(ReviewerAssignment.objects.filter(pk=assignment_id))
        if assignment is None:
            raise NotFound()
    elif gate_id is not None:
        if not GateReview.objects.filter(pk=gate_id).exists():
            raise NotFound()
        assignment = _assignment_locked(ReviewerAssignment.objects.filter(gate_id=gate_id, reviewer_id=actor.pk))
    else:
        raise InvalidInput(fields={"gate": [_("必须指定关口评审。")]})
    if assignment is None or assignment.reviewer_id != actor.pk:
        raise Forbidden(_("您未被分配评审该关口，不能评分。"))
    if assignment.has_conflict is True:
        raise Forbidden(_("您已声明利益冲突并回避本次评审，不能评分。"))
    if assignment.has_conflict is None:
        raise Forbidden(_("请先声明是否存在利益冲突，再评分。"))
    if assignment.gate.status != GateState.OPEN:
        raise Conflict(_("评审未开放评分。"), extra={"state": assignment.gate.status})
    return assignment


def _scores_clean(criteria: dict[int, GateCriterion], scores: Any) -> dict[int, dict[str, Any]]:
    """``{criterion_id: value}`` where value is a bool (must-meet), an int 0–100 (should-meet), None,
    or a dict ``{"passed": ...}`` / ``{"score": ...}``. Raises InvalidInput on ``scores``."""
    if scores is None:
        return {}
    if not isinstance(scores, dict):
        raise InvalidInput(fields={"scores": [_("评分格式无效。")]})
    errors: list[str] = []
    out: dict[int, dict[str, Any]] = {}
    for key, value in scores.items():
        try:
            cid = int(key)
        except (ValueError, TypeError):
            cid = -1
        criterion = criteria.get(cid)
        if criterion is None:
            errors.append(_("指标 %(id)s 不属于本次评审。") % {"id": key})
            continue
        if isinstance(value, dict):
            value = value.get("passed") if criterion.kind == GateCriterion.Kind.MUST else value.get("score")
        if criterion.kind == GateCriterion.Kind.MUST:
            if value is not None and not isinstance(value, bool):
                errors.append(_("否决性指标“%(t)s”只能填写满足或不满足。") % {"t": criterion.title})
                continue
            out[cid] = {"passed": value, "score": None}
        else:
            if value is None or value == "":
                out[cid] = {"passed": None, "score": None}
                continue
            if isinstance(value, bool):
                errors.append(_("评分性指标“%(t)s”必须是 0 到 100 的整数。") % {"t": criterion.title})
                continue
            try:
                number = int(value) if not isinstance(value, float) or value.is_integer() else None
            except (ValueError, TypeError):
                number = None
            if number is None or number < 0 or number > 100:
                errors.append(_("评分性指标“%(t)s”必须是 0 到 100 的整数。") % {"t": criterion.title})
                continue
            out[cid] = {"passed": None, "score": number}
    if errors:
        raise InvalidInput(fields={"scores": errors})
    return out


def scorecard_save(
    *,
    actor: Any,
    gate_id: Any = None,
    assignment_id: Any = None,
    scores: dict[Any, Any] | None = None,
    recommendation: str = "",
    champion: bool = False,
    comments: str = "",
) -> Scorecard:
    """Save the actor's draft scorecard (created on first save). Only an assigned reviewer who
    declared no conflict, only while the gate is open, only until submitted (Conflict after).
    Scores may be partial in a draft; their shapes are checked (0–100 / bool); the champion flag
    exists only at screening gates."""
    with transaction.atomic():
        assignment = _assignment_for_scoring(actor=actor, gate_id=gate_id, assignment_id=assignment_id)
        gate = assignment.gate
        card, _created = Scorecard.objects.select_for_update().get_or_create(assignment=assignment)
        if card.submitted_at is not None:
            raise Conflict(_("评分表已提交，不能再修改。"))
        criteria = {c.pk: c for c in GateCriterion.objects.filter(gate=gate)}
        errors: dict[str, list[str]] = {}
        try:
            cleaned = _scores_clean(criteria, scores)
        except InvalidInput as exc:
            errors.update(exc.fields)
            cleaned = {}
        recommendation = recommendation or ""
        if recommendation and recommendation not in Recommendation.values:
            errors["recommendation"] = [_("建议必须是通过、有条件通过、暂缓、返工重审或终止之一。")]
        if not isinstance(champion, bool):
            errors["champion"] = [_("支持专家标记必须是布尔值。")]
        elif champion and gate.kind != GateKind.SCREENING:
            errors["champion"] = [_("只有立项筛选评审可以标记支持专家。")]
        if errors:
            raise InvalidInput(fields=errors)
        card.recommendation = recommendation
        card.champion = champion
        card.comments = str(comments or "")
        card.save(update_fields=["recommendation", "champion", "comments", "updated_at"])
        existing = {s.criterion_id: s for s in card.scores.all()}
        new_rows, changed = [], []
        for cid, value in cleaned.items():
            row = existing.get(cid)
            if row is None:
                new_rows.append(CriterionScore(scorecard=card, criterion_id=cid, **value))
            elif (row.passed, row.score) != (value["passed"], value["score"]):
                row.passed, row.score = value["passed"], value["score"]
                changed.append(row)
        CriterionScore.objects.bulk_create(new_rows)
        if changed:
            CriterionScore.objects.bulk_update(changed, ["passed", "score"])
    return card


def scorecard_submit(
    *,
    actor: Any,
    gate_id: Any = None,
    assignment_id: Any = None,
    **draft: Any,
) -> Scorecard:
    """Submit the actor's scorecard; it is immutable afterwards. Extra keyword arguments (``scores``,
    ``recommendation``, ``champion``, ``comments``) are saved first as by ``scorecard_save``.
    Every criterion must be answered and a recommendation given (InvalidInput otherwise)."""
    with transaction.atomic():
        if draft:
            scorecard_save(actor=actor, gate_id=gate_id, assignment_id=assignment_id, **draft)
        assignment = _assignment_for_scoring(actor=actor, gate_id=gate_id, assignment_id=assignment_id)
        card = Scorecard.objects.select_for_update().filter(assignment=assignment).first()
        if card is None:
            raise InvalidInput(fields={"scores": [_("请先填写评分表。")]})
        if card.submitted_at is not None:
            raise Conflict(_("评分表已提交，不能再修改。"))
        criteria = list(GateCriterion.objects.filter(gate_id=assignment.gate_id))
        scores = {s.criterion_id: {"passed": s.passed, "score": s.score} for s in card.scores.all()}
        missing = [
            c.title
            for c in criteria
            if (scores.get(c.pk, {}).get("passed") if c.kind == GateCriterion.Kind.MUST else scores.get(c.pk, {}).get("score"))
            is None
        ]
        errors: dict[str, list[str]] = {}
        if missing:
            errors["scores"] = [_("以下指标尚未评分：%(list)s") % {"list": "、".join(missing)}]
        if not card.recommendation:
            errors["recommendation"] = [_("请给出建议。")]
        if errors:
            raise InvalidInput(fields=errors)
        card.weighted_score = weighted_score_of(criteria=criteria, scores=scores)
        card.must_meet_failed = bool(must_meet_failed_ids(criteria=criteria, scores=scores))
        card.submitted_at = timezone.now()
        card.save(update_fields=["weighted_score", "must_meet_failed", "submitted_at", "updated_at"])
        audit_record(
            obj=card,
            actor=actor,
            action="submit",
            data={
                "gate": assignment.gate_id,
                "recommendation": card.recommendation,
                "champion": card.champion,
                "weighted_score": str(card.weighted_score) if card.weighted_score is not None else None,
                "must_meet_failed": card.must_meet_failed,
            },
        )
    return card


#: the gate transitions a person takes directly (admin buttons, the API): name → fn(actor, pk, reason)
GATE_TRANSITIONS = {
    "open": lambda actor, pk, reason: gate_open(actor=actor, gate_id=pk, reason=reason),
    "close": lambda actor, pk, reason: gate_close(actor=actor, gate_id=pk, reason=reason),
    "cancel": lambda actor, pk, reason: gate_cancel(actor=actor, gate_id=pk, reason=reason),
}
