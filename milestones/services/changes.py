"""变更申请: typed change requests (动态优化调整) and the comparative down-select (技术路线收敛).

A change request moves ``draft → submitted → approved → applied`` (or ``rejected`` / ``withdrawn``),
one service per transition on ``pmflow.transitions.transition_run``. The PM team files, submits and
withdraws; the chair of a gate of the project (or a programme admin) approves, rejects and applies.

Every kind goes through one *plan* function that validates the payload against the current rows and
returns the exact writes it would make. The same plan serves three callers:

- ``change_request_create`` — refuses a bad payload (``InvalidInput`` naming the payload field,
  nothing saved) and stores the normalised payload;
- ``change_request_preview`` — returns the before/after it would produce, saving nothing;
- ``change_request_apply`` — re-plans on locked rows (the world may have moved since approval),
  writes, and stores ``before`` / ``after`` copies of exactly the fields it changed.

Kinds and their payloads (JSON; dates ISO, amounts decimal strings):

- ``reschedule`` (milestone): ``{"new_due": date, "extend_end_to"?: date}``. The milestone's
  ``current_due`` moves to ``new_due`` (a working day); every later milestone of the project that is
  still open shifts by the same number of working days (``workdays_between`` / ``add_workdays``), so
  their working-day gaps are kept. Refused when a result passes ``planned_end`` or the policy window
  (``Policy.effective_to`` or ``window_extended_to``) unless ``extend_end_to`` moves the end (and the
  window, when needed). ``baseline_due`` never changes.
- ``rescope`` (milestone, not yet passed): ``{"deliverables"?, "acceptance_criteria"?,
  "cancel_milestone"?: bool}``. Cancelling a milestone ({planned, in_progress, on_hold} → cancelled)
  is only possible this way: through an approved rescope request with ``cancel_milestone: true``.
- ``reallocate_budget``: ``{"tranches": {milestone_id: amount}}`` — total unchanged, amounts ≥ 0, no
  tranche below what was already released, no increase for a released or closed milestone.
- ``converge_route``: ``{"selected_route_id": id, "dropped": {route_id: lessons_learned}}`` — every
  other exploring route of the project is dropped, each with its (non-empty) lessons learned.
- ``suspend`` / ``resume`` / ``terminate``: ``{}``; applied through ``project_transition`` with the
  request's reason. NOTE: that service also checks the project permission
  (``projects.suspend_project`` / ``projects.terminate_project``, programme admins in
  projects/rules.py), so a chair may approve these but an admin applies them.
- ``change_team``: ``{"pm_team_id"?: id, "lead_id"?: id}``.

For the web forms the aliases ``selected_route`` / ``lessons`` / ``pm_team`` / ``lead_username`` are
accepted and normalised to the keys above.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from milestones.models import (
    ChangeKind,
    ChangeRequest,
    ChangeState,
    GateKind,
    GateReview,
    GateState,
    Milestone,
    MilestoneState,
    TrancheRelease,
)
from pmflow.audit import audit_record, audit_trail_for
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from pmflow.models import NotificationKind, User
from pmflow.notifications import notification_enqueue, notifications_deliver_on_commit
from pmflow.rules import PROGRAMME_ADMIN_GROUP, is_programme_admin
from pmflow.transitions import transition_run
from pmflow.workdays import add_workdays, is_workday, next_workday, workdays_between
from projects.models import PMTeam, Policy, Project, ProjectState, TechnologyRoute
from projects.services.projects import project_transition

#: milestones that no longer move or change: their outcome is recorded
CLOSED_MILESTONE_STATES = frozenset(
    {MilestoneState.PASSED, MilestoneState.PASSED_WITH_CONDITIONS, MilestoneState.FAILED, MilestoneState.CANCELLED}
)
CANCELLABLE_MILESTONE_STATES = frozenset({MilestoneState.PLANNED, MilestoneState.IN_PROGRESS, MilestoneState.ON_HOLD})
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
class _Write:
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
class _Plan:
    payload: dict[str, Any]
    writes: list[_Write] = field(default_factory=list)

    def copies(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """JSON before/after copies keyed ``"<model>:<pk>"`` → {field: value}: exactly what changes."""
        before: dict[str, dict[str, Any]] = {}
        after: dict[str, dict[str, Any]] = {}
        for w in self.writes:
            before.setdefault(w.key, {}).update({k: _json(v) for k, v in w.before.items()})
            after.setdefault(w.key, {}).update({k: _json(v) for k, v in w.after.items()})
        return before, after


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


class _Errors(dict):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise InvalidInput(fields=dict(self))


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(_("日期格式无效，应为 YYYY-MM-DD。"))


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


def _parse_id(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    return int(str(value).strip())


def _payload_clean(kind: str, payload: Any, errors: _Errors) -> dict[str, Any]:
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


def _plan_reschedule(project: Project, milestone: Milestone, data: dict[str, Any], errors: _Errors) -> _Plan:
    new_due = extend = None
    if data.get("new_due") in (None, ""):
        errors.add("new_due", _("此字段为必填项。"))
    else:
        try:
            new_due = _parse_date(data["new_due"])
        except ValueError as exc:
            errors.add("new_due", str(exc))
    if data.get("extend_end_to") not in (None, ""):
        try:
            extend = _parse_date(data["extend_end_to"])
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
    latest_m, latest = max(moves, key=lambda pair: pair[1])
    target = "extend_end_to" if extend is not None else "new_due"
    hint = "" if extend is not None else _("如需延后，请在同一申请中延长项目结束日（extend_end_to）。")
    if latest > end:
        errors.add(
            target,
            _("调整后%(m)s的截止日 %(date)s 超出项目计划结束日 %(end)s。%(hint)s")
            % {"m": _label(latest_m), "date": latest.isoformat(), "end": end.isoformat(), "hint": hint},
        )
    if window is not None and latest > window:
        errors.add(
            target,
            _("调整后%(m)s的截止日 %(date)s 超出政策有效期（%(end)s）。%(hint)s")
            % {"m": _label(latest_m), "date": latest.isoformat(), "end": window.isoformat(), "hint": hint},
        )
    errors.raise_if_any()

    plan = _Plan(payload={"new_due": new_due.isoformat(), **({"extend_end_to": extend.isoformat()} if extend else {})})
    for m, due in moves:
        if due != m.current_due:
            plan.writes.append(_Write(Milestone, m.pk, {"current_due": m.current_due}, {"current_due": due}))
    if project_after:
        plan.writes.append(_Write(Project, project.pk, project_before, project_after))
    return plan


def _plan_rescope(project: Project, milestone: Milestone, data: dict[str, Any], errors: _Errors) -> _Plan:
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
    plan = _Plan(payload=payload)
    if after:
        plan.writes.append(_Write(Milestone, milestone.pk, before, after))
    if cancel:
        plan.writes.append(
            _Write(Milestone, milestone.pk, {"status": milestone.status}, {"status": MilestoneState.CANCELLED}, "cancel")
        )
    return plan


def _plan_reallocate(project: Project, data: dict[str, Any], errors: _Errors) -> _Plan:
    raw = data.get("tranches")
    if not isinstance(raw, dict) or not raw:
        errors.add("tranches", _("请填写各里程碑调整后的资金额。"))
        errors.raise_if_any()
    milestones = {m.pk: m for m in project.milestones.all()}
    released = dict(TrancheRelease.objects.filter(milestone__project=project).values_list("milestone_id", "amount"))
    amounts: dict[int, Decimal] = {}
    for key, value in raw.items():
        try:
            pk = _parse_id(key)
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
    plan = _Plan(payload={"tranches": {str(pk): _json(a) for pk, a in sorted(amounts.items())}})
    for pk, amount in sorted(changed.items()):
        plan.writes.append(_Write(Milestone, pk, {"tranche_amount": milestones[pk].tranche_amount}, {"tranche_amount": amount}))
    return plan


def _plan_converge(project: Project, data: dict[str, Any], errors: _Errors, at: dt.datetime | None) -> _Plan:
    routes = {r.pk: r for r in project.routes.all()}
    Route = TechnologyRoute.RouteState
    selected = None
    try:
        selected = routes.get(_parse_id(data.get("selected_route_id")))
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
            route = routes.get(_parse_id(key))
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
    plan = _Plan(payload={"selected_route_id": selected.pk, "dropped": {str(pk): t for pk, t in sorted(lessons.items())}})
    plan.writes.append(
        _Write(
            TechnologyRoute,
            selected.pk,
            {"status": selected.status, **({"decided_at": selected.decided_at} if at else {})},
            {"status": Route.SELECTED, **stamp},
        )
    )
    for pk, text in sorted(lessons.items()):
        r = routes[pk]
        plan.writes.append(
            _Write(
                TechnologyRoute,
                pk,
                {"status": r.status, "lessons_learned": r.lessons_learned, **({"decided_at": r.decided_at} if at else {})},
                {"status": Route.DROPPED, "lessons_learned": text, **stamp},
            )
        )
    return plan


def _plan_project_state(project: Project, kind: str) -> _Plan:
    name = PROJECT_STATE_KINDS[kind]
    method = getattr(project, name)
    if not can_proceed(method):
        raise Conflict(
            _("项目“%(code)s”当前状态为“%(state)s”，不能%(action)s。")
            % {"code": project.code, "state": project.get_status_display(), "action": Project.TRANSITION_LABELS[name]},
            extra={"state": project.status},
        )
    target = {"suspend": ProjectState.SUSPENDED, "resume": ProjectState.ACTIVE, "terminate": ProjectState.TERMINATED}[name]
    return _Plan(payload={}, writes=[_Write(Project, project.pk, {"status": project.status}, {"status": target}, name)])


def _plan_change_team(project: Project, data: dict[str, Any], errors: _Errors) -> _Plan:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if data.get("pm_team_id") not in (None, ""):
        team = None
        try:
            team = PMTeam.objects.filter(pk=_parse_id(data["pm_team_id"])).first()
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
            lead = User.objects.filter(pk=_parse_id(data["lead_id"]), is_active=True).first()
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
    return _Plan(payload=payload, writes=[_Write(Project, project.pk, before, after)])


def _plan(*, kind: str, project: Project, milestone: Milestone | None, payload: Any, at: dt.datetime | None = None) -> _Plan:
    """Validate ``payload`` for ``kind`` against the current rows and return the writes it makes.
    Reads only. Raises InvalidInput (payload fields named) or Conflict (project state)."""
    if project.status in UNCHANGEABLE_PROJECT_STATES:
        raise Conflict(
            _("项目“%(code)s”当前状态为“%(state)s”，不能申请变更。")
            % {"code": project.code, "state": project.get_status_display()},
            extra={"state": project.status},
        )
    errors = _Errors()
    data = _payload_clean(kind, payload, errors)
    errors.raise_if_any()
    if kind in MILESTONE_KINDS:
        assert milestone is not None
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


def _kind_clean(kind: Any) -> str:
    if kind not in ChangeKind.values:
        raise InvalidInput(fields={"kind": [_("未知的变更类型：%(kind)s。") % {"kind": kind}]})
    return str(kind)


def _milestone_for(project: Project, kind: str, milestone_id: Any) -> Milestone | None:
    if kind not in MILESTONE_KINDS:
        if milestone_id not in (None, ""):
            raise InvalidInput(fields={"milestone_id": [_("该类型的变更不针对单个里程碑。")]})
        return None
    if milestone_id in (None, ""):
        raise InvalidInput(fields={"milestone_id": [_("请选择要变更的里程碑。")]})
    try:
        return Milestone.objects.get(pk=_parse_id(milestone_id), project_id=project.pk)
    except (Milestone.DoesNotExist, TypeError, ValueError) as exc:
        raise InvalidInput(fields={"milestone_id": [_("该项目没有这个里程碑。")]}) from exc


def _project_get(project_id: Any, *, lock: bool = False) -> Project:
    qs = Project.objects.select_for_update() if lock else Project.objects.all()
    try:
        return qs.get(pk=project_id)
    except (Project.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


# --- writes ---------------------------------------------------------------------------------------
def _write_rows(writes: list[_Write]) -> None:
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


def _run_transitions(plan: _Plan, *, actor: Any, reason: str) -> None:
    for w in plan.writes:
        if w.transition is None:
            continue
        if w.model is Project:
            project_transition(actor=actor, project_id=w.pk, name=w.transition, reason=reason)
        else:
            transition_run(model=w.model, pk=w.pk, name=w.transition, actor=actor, reason=reason)


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
            pk__in=GateReview.objects.filter(project_id=project.pk).exclude(status=GateState.CANCELLED).values("chair_id")
        )
    )
    if chairs:
        return chairs
    return list(User.objects.filter(models.Q(is_superuser=True) | models.Q(groups__name=PROGRAMME_ADMIN_GROUP)).distinct())


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
        project = _project_get(project_id)
        if not actor.has_perm("projects.view_project", project):
            raise NotFound()
        if not actor.has_perm("milestones.file_change", project):
            raise Forbidden(_("只有该项目的项目经理团队可以提出变更申请。"))
        kind = _kind_clean(kind)
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput(fields={"reason": [_("请填写变更理由。")]})
        milestone = _milestone_for(project, kind, milestone_id)
        plan = _plan(kind=kind, project=project, milestone=milestone, payload=payload)
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
    """What the request would change now: ``{"payload", "before", "after"}`` (``after`` copies keyed
    ``"<model>:<pk>"``). Saves nothing. The caller has checked that the user may file changes."""
    project = _project_get(project_id)
    kind = _kind_clean(kind)
    milestone = _milestone_for(project, kind, milestone_id)
    plan = _plan(kind=kind, project=project, milestone=milestone, payload=payload)
    before, after = plan.copies()
    return {"payload": plan.payload, "before": before, "after": after}


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


def _decide(*, actor: Any, change_request_id: Any, name: str, note: str, note_required: bool) -> ChangeRequest:
    note = (note or "").strip()

    def effects(cr: ChangeRequest, from_state: str) -> None:
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
    """submitted → rejected (chair or admin); the reason is required and kept in the audit trail."""
    return _decide(actor=actor, change_request_id=change_request_id, name="reject", note=note, note_required=True)


def change_request_apply(*, actor: Any, change_request_id: Any) -> ChangeRequest:
    """approved → applied (chair or admin), atomically: lock the request, the project and its
    milestones and routes; re-plan on the locked rows; write; store ``before``/``after`` copies of
    exactly the fields changed; audit. Applying twice, or applying a request that is not approved,
    raises Conflict and changes nothing. A plan the world has overtaken raises InvalidInput/Conflict."""
    with transaction.atomic():
        try:
            cr = ChangeRequest.objects.select_for_update().get(pk=change_request_id)
        except (ChangeRequest.DoesNotExist, TypeError, ValueError) as exc:
            raise NotFound() from exc
        project = _project_get(cr.project_id, lock=True)
        if not actor.has_perm("projects.view_project", project):
            raise NotFound()
        if not actor.has_perm(ChangeRequest.TRANSITION_PERMISSIONS["apply"], cr):
            raise Forbidden(_("只有评审委员会主任或管理员可以执行变更申请。"))
        if cr.status != ChangeState.APPROVED:
            raise Conflict(
                _("变更申请%(cr)s当前状态为“%(state)s”，不能执行。") % {"cr": cr, "state": cr.get_status_display()},
                extra={"state": cr.status},
            )
        # Lock what the plan reads, in a fixed order (project → milestones → routes).
        list(Milestone.objects.select_for_update().filter(project_id=project.pk).order_by("pk").values_list("pk", flat=True))
        list(
            TechnologyRoute.objects.select_for_update().filter(project_id=project.pk).order_by("pk").values_list("pk", flat=True)
        )
        milestone = Milestone.objects.get(pk=cr.milestone_id) if cr.milestone_id else None
        now = timezone.now()
        plan = _plan(kind=cr.kind, project=project, milestone=milestone, payload=cr.payload, at=now)
        before, after = plan.copies()

        def effects(applied: ChangeRequest, from_state: str) -> None:
            _write_rows(plan.writes)
            _run_transitions(plan, actor=actor, reason=applied.reason)
            _notify(applied, [applied.created_by], _("变更申请%(cr)s已执行") % {"cr": applied}, actor)

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
    errors = _Errors()
    family = (route_family or "").strip()
    if not family:
        errors.add("route_family", _("此字段为必填项。"))
    winner_ids: list[int] = []
    loser_lessons: dict[int, str] = {}
    try:
        winner_ids = sorted({_parse_id(w) for w in (winners or [])})
    except (TypeError, ValueError):
        errors.add("winners", _("项目编号无效。"))
    if not winner_ids and "winners" not in errors:
        errors.add("winners", _("至少保留一个项目。"))
    if not isinstance(losers, dict) or not losers:
        errors.add("losers", _("至少淘汰一个项目。"))
    else:
        for key, text in losers.items():
            try:
                pk = _parse_id(key)
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
        _write_rows(
            [
                _Write(
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


def _assessment_submit_proxy() -> Callable[..., Any]:
    from milestones.services.assessments import assessment_submit

    return assessment_submit


def assessment_submit(**kwargs: Any) -> Any:
    """Kept importable from here for the web views; the service is
    ``milestones.services.assessments.assessment_submit``."""
    return _assessment_submit_proxy()(**kwargs)
