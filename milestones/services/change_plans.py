"""Plans of typed change requests: validate a payload for its kind against the current rows and
return the exact row writes it would make. Reads only; ``milestones.services.changes`` uses one plan
to refuse a bad request at filing, to preview it, and to apply it on locked rows.

Kinds and their payloads (JSON; dates ISO, amounts decimal strings):

- ``reschedule`` (milestone): ``{"new_due": date, "extend_end_to"?: date}``. The milestone's
  ``current_due`` moves to ``new_due`` (a working day); every later milestone of the project that is
  still open shifts by the same number of working days (``workdays_between`` / ``add_workdays``), so
  their working-day gaps are kept. A gate review of a moved milestone that is still ``scheduled`` or
  ``open`` moves its ``due_date`` by the same number of working days (and stays on a working day);
  closed, decided and cancelled gates never move. Refused when a result (milestone or gate) passes
  ``planned_end`` or the policy window (``Policy.effective_to`` or ``window_extended_to``) unless
  ``extend_end_to`` moves the end (and the window, when needed). ``baseline_due`` never changes.
- ``rescope`` (milestone, not yet passed): ``{"deliverables"?, "acceptance_criteria"?,
  "cancel_milestone"?: bool}``. Cancelling a milestone ({planned, in_progress, on_hold} → cancelled)
  is only possible this way: through an approved rescope request with ``cancel_milestone: true``.
- ``reallocate_budget``: ``{"tranches": {milestone_id: amount}}`` — total unchanged, amounts ≥ 0, no
  tranche below what was already released, no increase for a released or closed milestone.
- ``converge_route``: ``{"selected_route_id": id, "dropped": {route_id: lessons_learned}}`` — every
  other exploring route of the project is dropped, each with its (non-empty) lessons learned.
- ``suspend`` / ``resume`` / ``terminate``: ``{}``; applied through ``project_transition``.
- ``change_team``: ``{"pm_team_id"?: id, "lead_id"?: id}``.

For the web forms the aliases ``selected_route`` / ``lessons`` / ``pm_team`` / ``lead_username`` are
accepted and normalised to the keys above.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Case, F, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from milestones.models import ChangeKind, GateReview, GateState, Milestone, MilestoneState, TrancheRelease
from pmflow.errors import ApplicationError, Conflict, InvalidInput, NotFound
from pmflow.models import User
from pmflow.parsing import date_parse
from pmflow.transitions import transition_run
from pmflow.workdays import add_workdays, is_workday, next_workday, previous_workday, workdays_between
from projects.models import PMTeam, Policy, Project, ProjectState, TechnologyRoute
from projects.services.projects import project_transition

#: milestones that no longer move or change: their outcome is recorded
CLOSED_MILESTONE_STATES = MilestoneState.CLOSED_STATES
CANCELLABLE_MILESTONE_STATES = frozenset({MilestoneState.PLANNED, MilestoneState.IN_PROGRESS, MilestoneState.ON_HOLD})
#: gate reviews whose due date follows a rescheduled milestone: not yet closed for scoring. A closed
#: gate's scores are in (its due date is history), decided and cancelled gates are over.
MOVABLE_GATE_STATES = GateState.SCORING_STATES
#: projects on which no change request may be filed
UNCHANGEABLE_PROJECT_STATES = frozenset({ProjectState.DRAFT, ProjectState.CLOSED, ProjectState.REJECTED, ProjectState.TERMINATED})
MILESTONE_KINDS = frozenset({ChangeKind.RESCHEDULE, ChangeKind.RESCOPE})
PROJECT_STATE_KINDS = {ChangeKind.SUSPEND: "suspend", ChangeKind.RESUME: "resume", ChangeKind.TERMINATE: "terminate"}
PAYLOAD_KEYS: dict[str, frozenset[str]] = {
    ChangeKind.RESCHEDULE: frozenset({"new_due", "extend_end_to"}),
    ChangeKind.RESCOPE: frozenset({"deliverables", "acceptance_criteria", "cancel_milestone"}),
    ChangeKind.REALLOCATE_BUDGET: frozenset({"tranches"}),
    ChangeKind.CONVERGE_ROUTE: frozenset({"selected_route_id", "dropped"}),
    ChangeKind.SUSPEND: frozenset(),
    ChangeKind.RESUME: frozenset(),
    ChangeKind.TERMINATE: frozenset(),
    ChangeKind.CHANGE_TEAM: frozenset({"pm_team_id", "lead_id"}),
}
PAYLOAD_ALIASES = {"selected_route": "selected_route_id", "lessons": "dropped", "pm_team": "pm_team_id"}
CENT = Decimal("0.01")


# --- plans ----------------------------------------------------------------------------------------
@dataclass
class RowWrite:
    """Set ``after`` on one row (whose current values are ``before``). With ``transition`` set the
    state change is made by that FSM transition (through its service) instead of an UPDATE."""

    model: type[models.Model]
    pk: int
    before: dict[str, Any]
    after: dict[str, Any]
    transition: str | None = None

    @property
    def key(self) -> str:
        return f"{self.model._meta.model_name}:{self.pk}"


@dataclass
class ChangePlan:
    payload: dict[str, Any]
    writes: list[RowWrite] = field(default_factory=list)

    def copies(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """JSON before/after copies keyed ``"<model>:<pk>"`` → {field: value}: exactly what changes."""
        before: dict[str, dict[str, Any]] = {}
        after: dict[str, dict[str, Any]] = {}
        for w in self.writes:
            before.setdefault(w.key, {}).update({k: _json(v) for k, v in w.before.items()})
            after.setdefault(w.key, {}).update({k: _json(v) for k, v in w.after.items()})
        return before, after

    def labels(self) -> dict[str, str]:
        """A readable name for every key of the copies ("M2“样机”", a project code, a route name),
        one query per model involved."""
        pks: dict[type[models.Model], set[int]] = {}
        for w in self.writes:
            pks.setdefault(w.model, set()).add(w.pk)
        out: dict[str, str] = {}
        for model, ids in pks.items():
            qs = model._default_manager.filter(pk__in=ids)
            if model is GateReview:
                for gate in qs.select_related("milestone"):
                    out[f"gatereview:{gate.pk}"] = gate_label(gate)
                continue
            for obj in qs:
                name = _label(obj) if isinstance(obj, Milestone) else getattr(obj, "code", None) or getattr(obj, "name", str(obj))
                out[f"{model._meta.model_name}:{obj.pk}"] = f"{model._meta.verbose_name} {name}"
        return out


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(CENT))
    if isinstance(value, models.Model):
        return value.pk
    return value


class PayloadErrors(dict):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise InvalidInput(fields=dict(self))


def _parse_amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(_("金额必须是数字。"))
    if not amount.is_finite():
        raise ValueError(_("金额必须是数字。"))
    if amount != amount.quantize(CENT):
        raise ValueError(_("金额最多两位小数。"))
    return amount


def parse_id(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    return int(str(value).strip())


def _payload_clean(kind: str, payload: Any, errors: PayloadErrors) -> dict[str, Any]:
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        errors.add("payload", _("申请内容必须是字段字典。"))
        errors.raise_if_any()
    data: dict[str, Any] = {}
    for key, value in payload.items():
        if key == "lead_username":
            user = User.objects.filter(username=str(value).strip()).first()
            if user is None:
                errors.add("lead_username", _("未知的用户：%(name)s。") % {"name": value})
            else:
                data["lead_id"] = user.pk
            continue
        data[PAYLOAD_ALIASES.get(key, key)] = value
    for key in data:
        if key not in PAYLOAD_KEYS[kind]:
            errors.add(key, _("“%(kind)s”变更不接受此字段。") % {"kind": ChangeKind(kind).label})
    return data


def _policy_window_end(project: Project) -> dt.date | None:
    if project.window_extended_to is not None:
        return project.window_extended_to
    policy = Policy.objects.order_by("effective_from").first()
    return policy.effective_to if policy is not None else None


def _label(m: Milestone) -> str:
    return f"M{m.sequence}“{m.title}”"


def gate_label(gate: GateReview, milestone: Milestone | None = None) -> str:
    """A readable name such as ``关口评审 M2“样机”``: the gate's milestone (passed in, or read through
    ``gate.milestone``)."""
    m = milestone if milestone is not None else gate.milestone
    name = _label(m) if m is not None else gate.get_kind_display()
    return f"{GateReview._meta.verbose_name} {name}"


def _gate_due_shifted(due: dt.date, shift: int) -> dt.date:
    """``due`` moved by ``shift`` working days, as the milestones move (``add_workdays``). That lands on
    a working day except for ``shift == 0`` (a milestone pulled back over non-working days only, e.g.
    Saturday → Friday): then a gate on a non-working day goes back to the working day before it, which
    is again a shift of 0 working days."""
    return previous_workday(add_workdays(due, shift))


def _plan_reschedule(project: Project, milestone: Milestone, data: dict[str, Any], errors: PayloadErrors) -> ChangePlan:
    new_due = extend = None
    if data.get("new_due") in (None, ""):
        errors.add("new_due", _("此字段为必填项。"))
    else:
        try:
            new_due = date_parse(data["new_due"])
        except ValueError as exc:
            errors.add("new_due", str(exc))
    if data.get("extend_end_to") not in (None, ""):
        try:
            extend = date_parse(data["extend_end_to"])
        except ValueError as exc:
            errors.add("extend_end_to", str(exc))
    errors.raise_if_any()
    assert new_due is not None
    if new_due == milestone.current_due:
        errors.add("new_due", _("新截止日与当前截止日相同。"))
    if not is_workday(new_due):
        errors.add(
            "new_due",
            _("%(date)s 不是工作日（周末或法定节假日），最近的工作日是 %(next)s。")
            % {"date": new_due.isoformat(), "next": next_workday(new_due).isoformat()},
        )
    if new_due <= project.planned_start:
        errors.add("new_due", _("新截止日必须晚于项目计划开始日（%(date)s）。") % {"date": project.planned_start.isoformat()})
    milestones = list(project.milestones.order_by("sequence"))
    earlier = [m for m in milestones if m.sequence < milestone.sequence and m.status != MilestoneState.CANCELLED]
    if earlier and new_due < earlier[-1].current_due:
        errors.add(
            "new_due",
            _("新截止日早于前一里程碑%(m)s的截止日（%(date)s）。")
            % {"m": _label(earlier[-1]), "date": earlier[-1].current_due.isoformat()},
        )
    errors.raise_if_any()

    shift = workdays_between(milestone.current_due, new_due)
    moves: list[tuple[Milestone, dt.date]] = [(milestone, new_due)]
    for m in milestones:
        if m.sequence > milestone.sequence and m.status not in CLOSED_MILESTONE_STATES:
            moves.append((m, add_workdays(m.current_due, shift)))
    # Every moved milestone moved by ``shift`` working days; its open gates follow by the same shift.
    moved = {m.pk: m for m, due in moves if due != m.current_due}
    gate_moves: list[tuple[GateReview, dt.date]] = []
    for gate in GateReview.objects.filter(milestone_id__in=list(moved), status__in=MOVABLE_GATE_STATES).order_by("pk"):
        due = _gate_due_shifted(gate.due_date, shift)
        if due != gate.due_date:
            gate_moves.append((gate, due))

    end, window = project.planned_end, _policy_window_end(project)
    project_before: dict[str, Any] = {}
    project_after: dict[str, Any] = {}
    if extend is not None:
        if extend <= project.planned_end:
            errors.add(
                "extend_end_to",
                _("延长后的结束日必须晚于当前计划结束日（%(date)s）。") % {"date": project.planned_end.isoformat()},
            )
        else:
            end = extend
            project_before["planned_end"], project_after["planned_end"] = project.planned_end, extend
            if window is not None and extend > window:
                project_before["window_extended_to"] = project.window_extended_to
                project_after["window_extended_to"] = window = extend
    errors.raise_if_any()
    # The latest new date, milestones first (a gate due the same day as a milestone names the milestone).
    results = [(_label(m), due) for m, due in moves] + [(gate_label(g, moved[g.milestone_id]), due) for g, due in gate_moves]
    latest_name, latest = max(results, key=lambda pair: pair[1])
    target = "extend_end_to" if extend is not None else "new_due"
    hint = "" if extend is not None else _("如需延后，请在同一申请中填写“项目结束日延展至”。")
    if latest > end:
        errors.add(
            target,
            _("调整后%(m)s的截止日 %(date)s 超出项目计划结束日 %(end)s。%(hint)s")
            % {"m": latest_name, "date": latest.isoformat(), "end": end.isoformat(), "hint": hint},
        )
    if window is not None and latest > window:
        errors.add(
            target,
            _("调整后%(m)s的截止日 %(date)s 超出政策有效期（%(end)s）。%(hint)s")
            % {"m": latest_name, "date": latest.isoformat(), "end": window.isoformat(), "hint": hint},
        )
    errors.raise_if_any()

    plan = ChangePlan(payload={"new_due": new_due.isoformat(), **({"extend_end_to": extend.isoformat()} if extend else {})})
    for m, due in moves:
        if due != m.current_due:
            plan.writes.append(RowWrite(Milestone, m.pk, {"current_due": m.current_due}, {"current_due": due}))
    for gate, due in gate_moves:
        plan.writes.append(RowWrite(GateReview, gate.pk, {"due_date": gate.due_date}, {"due_date": due}))
    if project_after:
        plan.writes.append(RowWrite(Project, project.pk, project_before, project_after))
    return plan


def _plan_rescope(project: Project, milestone: Milestone, data: dict[str, Any], errors: PayloadErrors) -> ChangePlan:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    payload: dict[str, Any] = {}
    for name in ("deliverables", "acceptance_criteria"):
        if name not in data:
            continue
        value = data[name]
        if not isinstance(value, str) or not value.strip():
            errors.add(name, _("不能为空。"))
            continue
        payload[name] = value = value.strip()
        if value != getattr(milestone, name):
            before[name], after[name] = getattr(milestone, name), value
    cancel = data.get("cancel_milestone", False)
    if not isinstance(cancel, bool):
        errors.add("cancel_milestone", _("必须是布尔值。"))
    elif cancel:
        payload["cancel_milestone"] = True
        if milestone.status not in CANCELLABLE_MILESTONE_STATES:
            errors.add("cancel_milestone", _("只有计划中、进行中或暂缓的里程碑可以取消。"))
    errors.raise_if_any()
    if not after and not cancel:
        errors.add("deliverables", _("交付物和验收标准均无变化。"))
        errors.raise_if_any()
    plan = ChangePlan(payload=payload)
    if after:
        plan.writes.append(RowWrite(Milestone, milestone.pk, before, after))
    if cancel:
        plan.writes.append(
            RowWrite(Milestone, milestone.pk, {"status": milestone.status}, {"status": MilestoneState.CANCELLED}, "cancel")
        )
    return plan


def _plan_reallocate(project: Project, data: dict[str, Any], errors: PayloadErrors) -> ChangePlan:
    raw = data.get("tranches")
    if not isinstance(raw, dict) or not raw:
        errors.add("tranches", _("请填写各里程碑调整后的资金额。"))
        errors.raise_if_any()
    milestones = {m.pk: m for m in project.milestones.all()}
    released = dict(TrancheRelease.objects.filter(milestone__project=project).values_list("milestone_id", "amount"))
    amounts: dict[int, Decimal] = {}
    for key, value in raw.items():
        try:
            pk = parse_id(key)
        except (TypeError, ValueError):
            pk = None
        if pk not in milestones:
            errors.add("tranches", _("里程碑 #%(id)s 不属于该项目。") % {"id": key})
            continue
        m = milestones[pk]
        try:
            amount = _parse_amount(value)
        except ValueError as exc:
            errors.add("tranches", f"{_label(m)}：{exc}")
            continue
        if amount < 0:
            errors.add("tranches", _("%(m)s：资金额不能为负数。") % {"m": _label(m)})
            continue
        if pk in released and amount < released[pk]:
            errors.add(
                "tranches",
                _("%(m)s：已拨付 %(released)s 元，调整后不得低于已拨付金额。") % {"m": _label(m), "released": released[pk]},
            )
        elif amount > m.tranche_amount and (pk in released or m.status in CLOSED_MILESTONE_STATES):
            errors.add("tranches", _("%(m)s：已拨付或已结束的里程碑不能增加资金。") % {"m": _label(m)})
        amounts[pk] = amount
    errors.raise_if_any()
    old_total = sum((milestones[pk].tranche_amount for pk in amounts), Decimal("0"))
    new_total = sum(amounts.values(), Decimal("0"))
    if old_total != new_total:
        errors.add(
            "tranches",
            _("调整前后资金总额必须一致：调整前 %(old)s 元，调整后 %(new)s 元。")
            % {"old": old_total.quantize(CENT), "new": new_total.quantize(CENT)},
        )
    changed = {pk: a for pk, a in amounts.items() if a != milestones[pk].tranche_amount}
    if not changed:
        errors.add("tranches", _("各里程碑资金额均无变化。"))
    errors.raise_if_any()
    plan = ChangePlan(payload={"tranches": {str(pk): _json(a) for pk, a in sorted(amounts.items())}})
    for pk, amount in sorted(changed.items()):
        plan.writes.append(RowWrite(Milestone, pk, {"tranche_amount": milestones[pk].tranche_amount}, {"tranche_amount": amount}))
    return plan


def _plan_converge(project: Project, data: dict[str, Any], errors: PayloadErrors, at: dt.datetime | None) -> ChangePlan:
    routes = {r.pk: r for r in project.routes.all()}
    Route = TechnologyRoute.RouteState
    selected = None
    try:
        selected = routes.get(parse_id(data.get("selected_route_id")))
    except (TypeError, ValueError):
        pass
    if selected is None:
        errors.add("selected_route_id", _("请选择该项目的一条技术路线。"))
    elif selected.status != Route.EXPLORING:
        errors.add("selected_route_id", _("路线“%(name)s”已不在探索中。") % {"name": selected.name})
    dropped_raw = data.get("dropped") or {}
    if not isinstance(dropped_raw, dict):
        errors.add("dropped", _("必须是“路线 → 经验总结”的字典。"))
        errors.raise_if_any()
    lessons: dict[int, str] = {}
    for key, text in dropped_raw.items():
        try:
            route = routes.get(parse_id(key))
        except (TypeError, ValueError):
            route = None
        if route is None:
            errors.add("dropped", _("路线 #%(id)s 不属于该项目。") % {"id": key})
        elif selected is not None and route.pk == selected.pk:
            continue  # the web form sends a (blank) box for every route; the selected one is not dropped
        elif route.status != Route.EXPLORING:
            errors.add("dropped", _("路线“%(name)s”已不在探索中。") % {"name": route.name})
        elif not isinstance(text, str) or not text.strip():
            errors.add("dropped", _("放弃路线“%(name)s”必须写明经验总结。") % {"name": route.name})
        else:
            lessons[route.pk] = text.strip()
    if selected is not None:
        for route in routes.values():
            if route.status == Route.EXPLORING and route.pk != selected.pk and route.pk not in lessons:
                if str(route.pk) not in {str(k) for k in dropped_raw}:
                    errors.add("dropped", _("放弃路线“%(name)s”必须写明经验总结。") % {"name": route.name})
    errors.raise_if_any()
    assert selected is not None
    stamp = {"decided_at": at} if at is not None else {}
    plan = ChangePlan(payload={"selected_route_id": selected.pk, "dropped": {str(pk): t for pk, t in sorted(lessons.items())}})
    plan.writes.append(
        RowWrite(
            TechnologyRoute,
            selected.pk,
            {"status": selected.status, **({"decided_at": selected.decided_at} if at else {})},
            {"status": Route.SELECTED, **stamp},
        )
    )
    for pk, text in sorted(lessons.items()):
        r = routes[pk]
        plan.writes.append(
            RowWrite(
                TechnologyRoute,
                pk,
                {"status": r.status, "lessons_learned": r.lessons_learned, **({"decided_at": r.decided_at} if at else {})},
                {"status": Route.DROPPED, "lessons_learned": text, **stamp},
            )
        )
    return plan


def _plan_project_state(project: Project, kind: str) -> ChangePlan:
    name = PROJECT_STATE_KINDS[kind]
    method = getattr(project, name)
    if not can_proceed(method):
        raise Conflict(
            _("项目“%(code)s”当前状态为“%(state)s”，不能%(action)s。")
            % {"code": project.code, "state": project.get_status_display(), "action": Project.TRANSITION_LABELS[name]},
            extra={"state": project.status},
        )
    target = {"suspend": ProjectState.SUSPENDED, "resume": ProjectState.ACTIVE, "terminate": ProjectState.TERMINATED}[name]
    return ChangePlan(payload={}, writes=[RowWrite(Project, project.pk, {"status": project.status}, {"status": target}, name)])


def _plan_change_team(project: Project, data: dict[str, Any], errors: PayloadErrors) -> ChangePlan:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if data.get("pm_team_id") not in (None, ""):
        team = None
        try:
            team = PMTeam.objects.filter(pk=parse_id(data["pm_team_id"])).first()
        except (TypeError, ValueError):
            pass
        if team is None:
            errors.add("pm_team_id", _("未知的项目经理团队。"))
        elif team.pk == project.pm_team_id:
            errors.add("pm_team_id", _("与当前项目经理团队相同。"))
        else:
            covered = list(team.fields.values_list("pk", flat=True))
            if covered and project.field_id not in covered:
                errors.add("pm_team_id", _("项目经理团队“%(team)s”不覆盖该项目的领域。") % {"team": team})
            before["pm_team"], after["pm_team"] = project.pm_team_id, team.pk
    if data.get("lead_id") not in (None, ""):
        lead = None
        try:
            lead = User.objects.filter(pk=parse_id(data["lead_id"]), is_active=True).first()
        except (TypeError, ValueError):
            pass
        if lead is None:
            errors.add("lead_id", _("未知或已停用的用户。"))
        elif lead.pk == project.lead_id:
            errors.add("lead_id", _("与当前项目负责人相同。"))
        else:
            before["lead"], after["lead"] = project.lead_id, lead.pk
    errors.raise_if_any()
    if not after:
        errors.add("pm_team_id", _("请指定新的项目经理团队或项目负责人。"))
        errors.raise_if_any()
    payload = {f"{k}_id": v for k, v in after.items()}
    return ChangePlan(payload=payload, writes=[RowWrite(Project, project.pk, before, after)])


def change_plan(
    *, kind: str, project: Project, milestone: Milestone | None, payload: Any, at: dt.datetime | None = None
) -> ChangePlan:
    """Validate ``payload`` for ``kind`` against the current rows and return the writes it makes.
    Reads only. Raises InvalidInput (payload fields named) or Conflict (project state)."""
    if project.status in UNCHANGEABLE_PROJECT_STATES:
        raise Conflict(
            _("项目“%(code)s”当前状态为“%(state)s”，不能申请变更。")
            % {"code": project.code, "state": project.get_status_display()},
            extra={"state": project.status},
        )
    errors = PayloadErrors()
    data = _payload_clean(kind, payload, errors)
    errors.raise_if_any()
    if kind in MILESTONE_KINDS:
        if milestone is None:
            # A row made outside change_request_create (e.g. in the admin) may lack its milestone.
            raise InvalidInput(fields={"milestone_id": [_("此类变更必须指定里程碑。")]})
        if milestone.status in CLOSED_MILESTONE_STATES:
            raise InvalidInput(
                fields={
                    "milestone_id": [
                        _("%(m)s已“%(state)s”，不能再变更。") % {"m": _label(milestone), "state": milestone.get_status_display()}
                    ]
                }
            )
        if kind == ChangeKind.RESCHEDULE:
            return _plan_reschedule(project, milestone, data, errors)
        return _plan_rescope(project, milestone, data, errors)
    if kind == ChangeKind.REALLOCATE_BUDGET:
        return _plan_reallocate(project, data, errors)
    if kind == ChangeKind.CONVERGE_ROUTE:
        return _plan_converge(project, data, errors, at)
    if kind in PROJECT_STATE_KINDS:
        return _plan_project_state(project, kind)
    return _plan_change_team(project, data, errors)


def change_kind_clean(kind: Any) -> str:
    if kind not in ChangeKind.values:
        raise InvalidInput(fields={"kind": [_("未知的变更类型：%(kind)s。") % {"kind": kind}]})
    return str(kind)


def change_milestone_get(project: Project, kind: str, milestone_id: Any) -> Milestone | None:
    if kind not in MILESTONE_KINDS:
        if milestone_id not in (None, ""):
            raise InvalidInput(fields={"milestone_id": [_("该类型的变更不针对单个里程碑。")]})
        return None
    if milestone_id in (None, ""):
        raise InvalidInput(fields={"milestone_id": [_("请选择要变更的里程碑。")]})
    try:
        return Milestone.objects.get(pk=parse_id(milestone_id), project_id=project.pk)
    except (Milestone.DoesNotExist, TypeError, ValueError) as exc:
        raise InvalidInput(fields={"milestone_id": [_("该项目没有这个里程碑。")]}) from exc


def project_get(project_id: Any, *, lock: bool = False) -> Project:
    qs = Project.objects.select_for_update() if lock else Project.objects.all()
    try:
        return qs.get(pk=project_id)
    except (Project.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


# --- writes ---------------------------------------------------------------------------------------
def rows_write(writes: list[RowWrite]) -> None:
    """Apply the field writes set-based: one UPDATE … CASE per model. Precondition: the caller holds
    the row locks. Transitions are not handled here."""
    by_model: dict[type[models.Model], dict[int, dict[str, Any]]] = {}
    for w in writes:
        if w.transition is None:
            by_model.setdefault(w.model, {}).setdefault(w.pk, {}).update(w.after)
    for model, rows in by_model.items():
        names = sorted({name for values in rows.values() for name in values})
        updates = {}
        for name in names:
            fld = model._meta.get_field(name)
            out = models.BigIntegerField() if fld.is_relation else fld
            whens = [When(pk=pk, then=Value(values[name], output_field=out)) for pk, values in rows.items() if name in values]
            updates[fld.attname] = Case(*whens, default=F(fld.attname), output_field=out)
        model._default_manager.filter(pk__in=list(rows)).update(**updates)


def plan_transitions_run(plan: ChangePlan, *, actor: Any, reason: str) -> None:
    for w in plan.writes:
        if w.transition is None:
            continue
        if w.model is Project:
            project_transition(actor=actor, project_id=w.pk, name=w.transition, reason=reason)
        else:
            transition_run(model=w.model, pk=w.pk, name=w.transition, actor=actor, reason=reason)


# --- which kinds a project can take now (the web UI's kind chooser) -------------------------------
@dataclass
class KindOption:
    kind: str
    label: str
    explanation: str
    #: why it cannot be filed now ("" when it can)
    unavailable: str = ""


def change_kind_explanations() -> dict[str, str]:
    return {
        ChangeKind.RESCHEDULE: _("调整一个里程碑的截止日；其后各里程碑按相同的工作日数顺延。"),
        ChangeKind.RESCOPE: _("修改一个里程碑的交付物或验收标准，或取消该里程碑。"),
        ChangeKind.REALLOCATE_BUDGET: _("在各里程碑之间调整资金拨付额，总额不变。"),
        ChangeKind.CONVERGE_ROUTE: _("从探索中的多条技术路线中选定一条，其余路线放弃并写明经验总结。"),
        ChangeKind.SUSPEND: _("暂停项目实施；批准后由管理员执行。"),
        ChangeKind.RESUME: _("恢复已暂停的项目；批准后由管理员执行。"),
        ChangeKind.TERMINATE: _("终止项目，不可恢复；批准后由管理员执行。"),
        ChangeKind.CHANGE_TEAM: _("更换项目经理团队或项目负责人。"),
    }


def change_kind_options(project: Project, *, milestones: list[Milestone], routes: list[TechnologyRoute]) -> list[KindOption]:
    """Every kind with a one-line explanation and, when the project cannot take it now, why — the same
    conditions ``change_plan`` checks (project state, open milestones, exploring routes, the project
    transition). Pure: takes the project's milestones and routes already read."""
    explanations = change_kind_explanations()
    options = [KindOption(kind, str(label), str(explanations[kind])) for kind, label in ChangeKind.choices]
    if project.status in UNCHANGEABLE_PROJECT_STATES:
        why = _("项目当前状态为“%(state)s”，不能申请变更。") % {"state": project.get_status_display()}
        for o in options:
            o.unavailable = why
        return options
    open_milestones = [m for m in milestones if m.status not in CLOSED_MILESTONE_STATES]
    funded = [m for m in milestones if m.status != MilestoneState.CANCELLED]
    exploring = [r for r in routes if r.status == TechnologyRoute.RouteState.EXPLORING]
    for o in options:
        if o.kind in MILESTONE_KINDS and not open_milestones:
            o.unavailable = _("项目没有尚未结束的里程碑。")
        elif o.kind == ChangeKind.REALLOCATE_BUDGET and len(funded) < 2:
            o.unavailable = _("至少需要两个未取消的里程碑才能调整资金安排。")
        elif o.kind == ChangeKind.CONVERGE_ROUTE and len(exploring) < 2:
            o.unavailable = _("项目没有两条以上探索中的技术路线。")
        elif o.kind in PROJECT_STATE_KINDS and not can_proceed(getattr(project, PROJECT_STATE_KINDS[o.kind])):
            o.unavailable = _("项目当前状态为“%(state)s”，不能%(action)s。") % {
                "state": project.get_status_display(),
                "action": Project.TRANSITION_LABELS[PROJECT_STATE_KINDS[o.kind]],
            }
    return options


#: readable names of the payload keys, for messages shown away from the form (the request's page,
#: the refusal to approve): never the key itself
PAYLOAD_FIELD_LABELS: dict[str, Any] = {
    "new_due": gettext_lazy("新截止日"),
    "extend_end_to": gettext_lazy("项目结束日延展至"),
    "deliverables": gettext_lazy("新的交付物"),
    "acceptance_criteria": gettext_lazy("新的验收标准"),
    "cancel_milestone": gettext_lazy("取消该里程碑"),
    "tranches": gettext_lazy("各里程碑资金"),
    "selected_route_id": gettext_lazy("选定路线"),
    "dropped": gettext_lazy("放弃的路线"),
    "pm_team_id": gettext_lazy("新项目经理团队"),
    "lead_id": gettext_lazy("新项目负责人"),
    "lead_username": gettext_lazy("新项目负责人"),
    "milestone_id": gettext_lazy("里程碑"),
    "reason": gettext_lazy("变更理由"),
    "payload": gettext_lazy("申请内容"),
    "kind": gettext_lazy("变更类型"),
}


def plan_error_lines(error: ApplicationError) -> list[str]:
    """An error of ``change_plan`` as readable lines "label：message" (or its message alone)."""
    lines = [
        f"{PAYLOAD_FIELD_LABELS.get(name, gettext_lazy('申请内容'))}：{msg}"
        for name, msgs in error.fields.items()
        for msg in msgs
    ]
    return lines or [error.message]
