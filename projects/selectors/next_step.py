"""The "next step" panel of the project page (issue 12): what is waiting, on whom, by when (working
days), and whether it is the viewer's to do — derived from the project's state, its milestones,
gates and change requests in one function with a fixed number of queries (the page's rows come in
already loaded as a ``ProjectPage``; this adds the viewer's PM-team role, their gate assignments and
the scorecard counts of the open gates: three queries, plus the rules' permission checks).

Texts say who must act in the user's language; the template only lays them out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pmflow.rules import is_programme_admin
from pmflow.workdays import workdays_between
from projects.models import PMTeamMembership, Project, ProjectState

S = ProjectState
DONE_MILESTONES = frozenset({"passed", "failed", "cancelled"})
OPEN_GATES = ("scheduled", "open", "closed")


@dataclass
class Action:
    label: str
    url: str = ""
    #: a project transition name: rendered as a POST button to projects:transition
    transition: str = ""
    reason_required: bool = False


@dataclass
class Step:
    """One thing that waits: ``text`` on ``who`` by ``due``; ``mine`` when the viewer is who."""

    text: str
    who: str = ""
    due: dt.date | None = None
    workdays_left: int | None = None
    mine: bool = False
    actions: list[Action] = field(default_factory=list)
    hints: list[Action] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.workdays_left is not None and self.workdays_left < 0


@dataclass
class NextSteps:
    project: Step
    #: compact step per open milestone id (for the milestone table)
    milestones: dict[int, Step] = field(default_factory=dict)
    #: pending change requests waiting on a decision
    changes: list[Step] = field(default_factory=list)


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _first_url(names: tuple[str, ...], *args: Any) -> str:
    for name in names:
        url = _url(name, *args)
        if url:
            return url
    return ""


@dataclass
class _Viewer:
    admin: bool
    pm_member: bool
    pm_lead: bool
    project_lead: bool
    chair_of: set[int]
    reviewer_of: set[int]  # gates the viewer is an assigned, unconflicted reviewer of, not yet submitted


def _viewer(user: Any, project: Project, gates: list[Any]) -> _Viewer:
    from milestones.models import ReviewerAssignment

    roles = list(PMTeamMembership.objects.filter(team_id=project.pm_team_id, user_id=user.pk).values_list("role", flat=True))
    pending_reviews = set(
        ReviewerAssignment.objects.filter(gate_id__in=[g.pk for g in gates], reviewer_id=user.pk)
        .exclude(has_conflict=True)
        .filter(Q(scorecard__isnull=True) | Q(scorecard__submitted_at__isnull=True))
        .values_list("gate_id", flat=True)
    )
    return _Viewer(
        admin=is_programme_admin(user),
        pm_member=bool(roles),
        pm_lead=PMTeamMembership.Role.LEAD in roles,
        project_lead=project.lead_id == user.pk,
        chair_of={g.pk for g in gates if g.chair_id == user.pk},
        reviewer_of=pending_reviews,
    )


def _due(step: Step, due: dt.date | None, today: dt.date) -> Step:
    if due is not None:
        step.due = due
        step.workdays_left = workdays_between(today, due)
    return step


def _gate_step(gate: Any, counts: dict[int, tuple[int, int]], v: _Viewer, today: dt.date, *, subject: str) -> Step:
    """What an open gate waits for: the chair to open it, reviewers to score, the chair to decide."""
    assigned, submitted = counts.get(gate.pk, (0, 0))
    chair = str(gate.chair) if gate.chair_id else _("评审委员会主任")
    is_chair = gate.pk in v.chair_of or v.admin
    gate_url = _url("milestones:gate_detail", gate.pk)
    if gate.status == "scheduled":
        step = Step(
            text=_("%(subject)s已安排，等待主任开启评审（已分配 %(n)s 位专家）。") % {"subject": subject, "n": assigned},
            who=chair,
            mine=is_chair,
        )
        if is_chair:
            step.actions.append(Action(_("打开关口评审"), gate_url))
            assign = _url("milestones:gate_assign_reviewers", gate.pk)
            if assign:
                step.actions.append(Action(_("分配评审专家"), assign))
    elif gate.status == "open":
        step = Step(
            text=_("%(subject)s进行中：%(done)s / %(all)s 位专家已提交评分。")
            % {"subject": subject, "done": submitted, "all": assigned},
            who=_("评审专家"),
            mine=gate.pk in v.reviewer_of,
        )
        if gate.pk in v.reviewer_of:
            step.actions.append(Action(_("声明并评分"), _url("milestones:review_gate", gate.pk)))
        if is_chair:
            step.hints.append(Action(_("查看评审进度"), gate_url))
    else:  # closed
        step = Step(text=_("%(subject)s评分已截止，等待主任作出决定。") % {"subject": subject}, who=chair, mine=is_chair)
        if is_chair:
            step.actions.append(Action(_("作出决定"), gate_url))
    return _due(step, gate.due_date, today)


def _milestone_step(m: Any, gate: Any, counts: dict[int, tuple[int, int]], v: _Viewer, today: dt.date) -> Step:
    label = f"M{m.sequence} {m.title}"
    team = _("项目经理团队")
    works = v.admin or v.pm_member or v.project_lead
    anchor = f"#milestone-{m.pk}"
    if gate is not None and gate.status in OPEN_GATES:
        return _gate_step(gate, counts, v, today, subject=_("%(m)s 的关口评审") % {"m": label})
    if m.status == "planned":
        step = Step(text=_("%(m)s 尚未启动。") % {"m": label}, who=team, mine=works)
        if works:
            step.actions.append(Action(_("启动里程碑"), _first_url(("milestones:milestone_start",), m.pk) or anchor))
        return _due(step, m.current_due, today)
    if m.status == "in_progress":
        step = Step(text=_("%(m)s 进行中，完成后提交关口评审。") % {"m": label}, who=team, mine=works)
        if works:
            step.actions.append(Action(_("提交关口评审"), _first_url(("milestones:milestone_submit",), m.pk) or anchor))
        return _due(step, m.current_due, today)
    if m.status in ("submitted", "in_review"):
        step = Step(
            text=_("%(m)s 已提交，等待安排关口评审。") % {"m": label},
            who=_("市科委管理员或评审委员会主任"),
            mine=v.admin,
        )
        return _due(step, m.current_due, today)
    if m.status == "on_hold":
        return Step(text=_("%(m)s 暂缓：等待补充后恢复，或经变更申请取消。") % {"m": label}, who=team, mine=works)
    if m.status == "passed_with_conditions":
        step = Step(text=_("%(m)s 有条件通过：完成整改条件后拨付资金。") % {"m": label}, who=_("项目负责人"), mine=v.project_lead)
        step.hints.append(Action(_("查看整改任务"), "#tasks"))
        return step
    return Step(text=label)


def project_next_steps(
    project: Project, page: Any, user: Any, *, transitions: list[str], has_plan: bool, today: dt.date | None = None
) -> NextSteps:
    """The next-step panel of ``project`` for ``user``. ``page`` is the loaded ``ProjectPage``;
    ``transitions`` the project transitions ``user`` may take now (rules + ``can_proceed``)."""
    today = today or timezone.localdate()
    gates = page.gates
    v = _viewer(user, project, gates)
    from milestones.models import ReviewerAssignment

    open_ids = [g.pk for g in gates if g.status in OPEN_GATES]
    counts: dict[int, tuple[int, int]] = {}
    if open_ids:
        rows = (
            ReviewerAssignment.objects.filter(gate_id__in=open_ids)
            .exclude(has_conflict=True)
            .values("gate_id")
            .annotate(n=Count("id"), done=Count("id", filter=Q(scorecard__submitted_at__isnull=False)))
            .order_by()
        )
        counts = {r["gate_id"]: (r["n"], r["done"]) for r in rows}

    latest_gate: dict[int, Any] = {}
    screening = None
    for g in gates:  # ordered by due date: the last one of a milestone wins
        if g.milestone_id:
            latest_gate[g.milestone_id] = g
        elif g.kind == "screening" and g.status != "cancelled":
            screening = g

    team = str(project.pm_team.name)
    works = v.admin or v.pm_member
    detail = _url("projects:detail", project.pk)

    def transition_action(name: str) -> Action | None:
        if name not in transitions:
            return None
        return Action(
            str(Project.TRANSITION_LABELS.get(name, name)), transition=name, reason_required=name in Project.REASON_REQUIRED
        )

    plan_hint = Action(_("填写培育方案"), f"{detail}#plan")
    route_hint = Action(_("登记技术路线"), f"{detail}#routes")
    missing = []
    if not has_plan and works:
        missing.append(plan_hint)
    if not page.routes and works:
        missing.append(route_hint)

    status = project.status
    open_milestones = [m for m in page.milestones if m.status not in DONE_MILESTONES]
    if status == S.DRAFT:
        step = Step(text=_("草稿：补充完整后提交，提交后进入立项评审。"), who=team, mine=works)
        action = transition_action("submit")
        if action:
            step.actions.append(action)
        step.hints = missing
    elif status == S.SUBMITTED:
        can_schedule = user.has_perm("milestones.schedule_screening", project)
        step = Step(
            text=_("已提交，等待安排立项评审（评审委员会、评审指标和专家）。"),
            who=_("市科委管理员") if not can_schedule or v.admin else _("项目经理团队负责人"),
            mine=can_schedule,
        )
        if can_schedule:
            url = _url("milestones:gate_schedule", project.pk)
            if url:
                step.actions.append(Action(_("安排立项评审"), url))
        step.hints = missing
        if works:
            step.hints.append(Action(_("里程碑在立项通过后按模板自动生成。")))
    elif status == S.SCREENING and screening is not None and screening.status in OPEN_GATES:
        step = _gate_step(screening, counts, v, today, subject=_("立项评审"))
    elif status == S.NON_CONSENSUS:
        chair = str(screening.chair) if screening is not None and screening.chair_id else _("评审委员会主任")
        is_chair = v.admin or (screening is not None and screening.pk in v.chair_of)
        step = Step(
            text=_("专家意见分歧（非共识）：主任可在项目经理团队负责人背书后按风险可控通道批准，或不予立项。"),
            who=chair,
            mine=is_chair,
        )
        if is_chair and screening is not None:
            step.actions.append(Action(_("处理非共识项目"), _url("milestones:gate_detail", screening.pk)))
        if v.pm_lead:
            step.hints.append(Action(_("作为项目经理团队负责人，请向主任提交背书意见。")))
    elif status == S.APPROVED:
        step = Step(text=_("已批准立项，里程碑已生成：启动实施。"), who=team, mine=works)
        action = transition_action("activate")
        if action:
            step.actions.append(action)
    elif status == S.ACTIVE and open_milestones:
        m = open_milestones[0]
        step = _milestone_step(m, latest_gate.get(m.pk), counts, v, today)
    elif status == S.ACTIVE:
        step = Step(text=_("没有待完成的里程碑：提交最终里程碑后进入验收。"), who=team, mine=works)
    elif status == S.SUSPENDED:
        step = Step(text=_("项目已暂停，等待市科委管理员恢复或终止。"), who=_("市科委管理员"), mine=v.admin)
        action = transition_action("resume")
        if action:
            step.actions.append(action)
    elif status == S.CLOSING:
        final = next((g for g in reversed(gates) if g.status in OPEN_GATES), None)
        if final is not None:
            step = _gate_step(final, counts, v, today, subject=_("结题验收评审"))
        else:
            step = Step(text=_("验收中：等待安排结题验收评审。"), who=_("市科委管理员"), mine=v.admin)
    elif status == S.SCREENING:
        step = Step(text=_("立项评审中：等待安排评审。"), who=_("市科委管理员"), mine=v.admin)
    else:  # closed, rejected, terminated
        step = Step(text=_("项目已结束（%(state)s），无待办事项。") % {"state": project.get_status_display()})

    out = NextSteps(project=step)
    for m in open_milestones:
        out.milestones[m.pk] = _milestone_step(m, latest_gate.get(m.pk), counts, v, today)
    deciders = v.admin or bool(v.chair_of)
    for cr in page.change_requests:
        if cr.status == "submitted":
            s = Step(
                text=_("变更申请 #%(n)s（%(kind)s）等待批准。") % {"n": cr.pk, "kind": cr.get_kind_display()},
                who=_("评审委员会主任或市科委管理员"),
                mine=deciders,
            )
        elif cr.status == "approved":
            s = Step(
                text=_("变更申请 #%(n)s（%(kind)s）已批准，等待执行。") % {"n": cr.pk, "kind": cr.get_kind_display()},
                who=_("评审委员会主任或市科委管理员"),
                mine=deciders,
            )
        else:
            continue
        url = _url("milestones:change_request_detail", cr.pk)
        if url:
            s.actions.append(Action(_("查看"), url))
        out.changes.append(s)
    return out
