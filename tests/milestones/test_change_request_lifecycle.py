"""Every kind of change request applied once through draft → submitted → approved → applied; the
before/after copy is exactly the difference in the database; applying twice, applying a rejected,
withdrawn or unapproved request is refused (409) and changes nothing; who may do what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from milestones.models import ChangeRequest, ChangeState, Milestone
from milestones.services.changes import (
    change_request_apply,
    change_request_approve,
    change_request_reject,
    change_request_submit,
    change_request_withdraw,
)
from pmflow.audit import audit_trail_for
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from pmflow.models import Notification, NotificationKind
from projects.models import Project, ProjectState, TechnologyRoute
from tests.factories import PMTeamFactory, UserFactory
from tests.milestones.change_support import D, World, approved, filed, rejected, world

pytestmark = pytest.mark.django_db

BOOKKEEPING = {"updated_at", "created_at"}


def _value(obj: Any, f: Any) -> Any:
    value = getattr(obj, f.attname)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(project_id: int) -> dict[str, dict[str, Any]]:
    """Every concrete field of the project, its milestones and its routes, JSON-shaped."""
    rows: dict[str, dict[str, Any]] = {}
    objs: list[Any] = [Project.objects.get(pk=project_id)]
    objs += list(Milestone.objects.filter(project_id=project_id))
    objs += list(TechnologyRoute.objects.filter(project_id=project_id))
    for obj in objs:
        key = f"{obj._meta.model_name}:{obj.pk}"
        rows[key] = {f.name: _value(obj, f) for f in obj._meta.concrete_fields if f.name not in BOOKKEEPING}
    return rows


def diff(old: dict, new: dict) -> tuple[dict, dict]:
    before, after = {}, {}
    for key, fields in old.items():
        for name, value in fields.items():
            if new[key][name] != value:
                before.setdefault(key, {})[name] = value
                after.setdefault(key, {})[name] = new[key][name]
    return before, after


# case → (world factory, request kwargs builder)
def _plain(**kw):
    return lambda: world(dues=[D(2026, 9, 21), D(2026, 9, 29)], **kw)


def _with_routes():
    w = world(dues=[D(2026, 9, 21)])
    for name in ("离子阱", "超导", "光量子"):
        TechnologyRoute.objects.create(project=w.project, name=name, family=name)
    return w


def _routes(w: World) -> list[TechnologyRoute]:
    return list(TechnologyRoute.objects.filter(project=w.project).order_by("pk"))


CASES: dict[str, tuple[Callable[[], World], Callable[[World], dict]]] = {
    "reschedule": (
        _plain(),
        lambda w: {"kind": "reschedule", "milestone": w.milestones[0], "payload": {"new_due": "2026-09-24"}},
    ),
    "rescope": (
        _plain(),
        lambda w: {
            "kind": "rescope",
            "milestone": w.milestones[0],
            "payload": {"deliverables": "两台原型样机", "acceptance_criteria": "保真度≥99.9%"},
        },
    ),
    "rescope_cancel": (
        _plain(),
        lambda w: {"kind": "rescope", "milestone": w.milestones[1], "payload": {"cancel_milestone": True}},
    ),
    "reallocate_budget": (
        _plain(),
        lambda w: {
            "kind": "reallocate_budget",
            "payload": {"tranches": {str(w.milestones[0].pk): "600000.00", str(w.milestones[1].pk): "1400000"}},
        },
    ),
    "converge_route": (
        _with_routes,
        lambda w: {
            "kind": "converge_route",
            "payload": {
                "selected_route_id": _routes(w)[1].pk,
                "dropped": {str(_routes(w)[0].pk): "离子阱扩展性不足", str(_routes(w)[2].pk): "光量子损耗过高"},
            },
        },
    ),
    "suspend": (_plain(), lambda w: {"kind": "suspend", "payload": {}}),
    "resume": (_plain(status=ProjectState.SUSPENDED), lambda w: {"kind": "resume", "payload": {}}),
    "terminate": (_plain(), lambda w: {"kind": "terminate", "payload": {}}),
    "change_team": (
        _plain(),
        lambda w: {"kind": "change_team", "payload": {"pm_team_id": PMTeamFactory().pk, "lead_id": UserFactory().pk}},
    ),
}

EXPECTED_AFTER: dict[str, Callable[[World], dict]] = {
    "reschedule": lambda w: {
        f"milestone:{w.milestones[0].pk}": {"current_due": "2026-09-24"},
        f"milestone:{w.milestones[1].pk}": {"current_due": "2026-10-09"},
    },
    "rescope": lambda w: {
        f"milestone:{w.milestones[0].pk}": {"deliverables": "两台原型样机", "acceptance_criteria": "保真度≥99.9%"}
    },
    "rescope_cancel": lambda w: {f"milestone:{w.milestones[1].pk}": {"status": "cancelled"}},
    "reallocate_budget": lambda w: {
        f"milestone:{w.milestones[0].pk}": {"tranche_amount": "600000.00"},
        f"milestone:{w.milestones[1].pk}": {"tranche_amount": "1400000.00"},
    },
    "suspend": lambda w: {f"project:{w.project.pk}": {"status": "suspended"}},
    "resume": lambda w: {f"project:{w.project.pk}": {"status": "active"}},
    "terminate": lambda w: {f"project:{w.project.pk}": {"status": "terminated"}},
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_kind_applies_once_and_its_copy_is_exactly_what_changed(reference_data, case):
    make, build = CASES[case]
    w = make()
    cr = approved(w, **build(w))
    old = snapshot(w.project.pk)
    cr = change_request_apply(actor=w.admin, change_request_id=cr.pk)
    new = snapshot(w.project.pk)
    assert cr.status == ChangeState.APPLIED and cr.applied_at is not None
    before, after = diff(old, new)
    assert cr.before == before
    assert cr.after == after
    assert after, "an applied request changes something"
    if case in EXPECTED_AFTER:
        assert cr.after == EXPECTED_AFTER[case](w)
    # a second application is refused and changes nothing
    with pytest.raises(Conflict):
        change_request_apply(actor=w.admin, change_request_id=cr.pk)
    assert snapshot(w.project.pk) == new
    actions = [e.action for e in audit_trail_for(cr)]
    assert actions == ["apply", "approve", "submit", "create"]


def test_converging_keeps_the_lessons_of_the_dropped_routes(reference_data):
    w = _with_routes()
    a, b, c = _routes(w)
    cr = approved(
        w,
        kind="converge_route",
        payload={"selected_route_id": b.pk, "dropped": {str(a.pk): "离子阱扩展性不足", str(c.pk): "光量子损耗过高"}},
    )
    change_request_apply(actor=w.chair, change_request_id=cr.pk)
    a, b, c = _routes(w)
    assert (a.status, a.lessons_learned) == ("dropped", "离子阱扩展性不足")
    assert (b.status, b.lessons_learned) == ("selected", "")
    assert (c.status, c.lessons_learned) == ("dropped", "光量子损耗过高")
    assert a.decided_at is not None and b.decided_at is not None


def test_changing_the_team_moves_the_project(reference_data):
    w = _plain()()
    team, lead = PMTeamFactory(), UserFactory()
    cr = approved(w, kind="change_team", payload={"pm_team_id": team.pk, "lead_id": lead.pk})
    change_request_apply(actor=w.chair, change_request_id=cr.pk)
    project = Project.objects.get(pk=w.project.pk)
    assert (project.pm_team_id, project.lead_id) == (team.pk, lead.pk)


def test_terminate_applied_by_an_admin_uses_the_request_reason(reference_data):
    w = _plain()()
    cr = approved(w, kind="terminate", payload={}, reason="技术路线无法收敛，终止实施。")
    change_request_apply(actor=w.admin, change_request_id=cr.pk)
    project = Project.objects.get(pk=w.project.pk)
    assert project.status == ProjectState.TERMINATED
    entry = audit_trail_for(project).first()
    assert (entry.action, entry.reason) == ("terminate", "技术路线无法收敛，终止实施。")


def test_a_chair_cannot_apply_a_termination_which_needs_the_admin_and_nothing_changes(reference_data):
    w = _plain()()
    cr = approved(w, kind="terminate", payload={})
    with pytest.raises(Forbidden):
        change_request_apply(actor=w.chair, change_request_id=cr.pk)
    assert ChangeRequest.objects.get(pk=cr.pk).status == ChangeState.APPROVED
    assert Project.objects.get(pk=w.project.pk).status == ProjectState.ACTIVE


def test_applying_a_rejected_request_is_refused(reference_data):
    w = _plain()()
    cr = rejected(w, kind="rescope", milestone=w.milestones[0], payload={"deliverables": "新交付物"})
    with pytest.raises(Conflict):
        change_request_apply(actor=w.admin, change_request_id=cr.pk)
    assert Milestone.objects.get(pk=w.milestones[0].pk).deliverables == ""
    assert ChangeRequest.objects.get(pk=cr.pk).status == ChangeState.REJECTED


@pytest.mark.parametrize("state", ["draft", "submitted", "withdrawn"])
def test_applying_an_unapproved_request_is_refused(reference_data, state):
    w = _plain()()
    cr = filed(w, kind="rescope", milestone=w.milestones[0], payload={"deliverables": "新交付物"})
    if state in ("submitted", "withdrawn"):
        change_request_submit(actor=w.pm, change_request_id=cr.pk)
    if state == "withdrawn":
        change_request_withdraw(actor=w.member, change_request_id=cr.pk)
    with pytest.raises(Conflict):
        change_request_apply(actor=w.admin, change_request_id=cr.pk)
    assert Milestone.objects.get(pk=w.milestones[0].pk).deliverables == ""


def test_a_withdrawn_request_cannot_be_approved(reference_data):
    w = _plain()()
    cr = filed(w, kind="suspend", payload={})
    change_request_withdraw(actor=w.pm, change_request_id=cr.pk)
    with pytest.raises(Conflict):
        change_request_approve(actor=w.chair, change_request_id=cr.pk)


def test_rejecting_needs_a_reason(reference_data):
    w = _plain()()
    cr = filed(w, kind="suspend", payload={})
    change_request_submit(actor=w.pm, change_request_id=cr.pk)
    with pytest.raises(InvalidInput) as exc:
        change_request_reject(actor=w.chair, change_request_id=cr.pk, note="  ")
    assert "reason" in exc.value.fields
    assert ChangeRequest.objects.get(pk=cr.pk).status == ChangeState.SUBMITTED


def test_the_pm_team_files_and_the_chair_decides(reference_data):
    w = _plain()()
    outsider = UserFactory()
    # a chair who is not in the PM team cannot file
    with pytest.raises(Forbidden):
        filed(World(w.project, w.chair, w.member, w.chair, w.admin, w.milestones), kind="suspend", payload={})
    # someone who cannot see the project does not find it
    with pytest.raises(NotFound):
        filed(World(w.project, outsider, w.member, w.chair, w.admin, w.milestones), kind="suspend", payload={})
    cr = filed(w, kind="suspend", payload={})
    change_request_submit(actor=w.pm, change_request_id=cr.pk)
    with pytest.raises(Forbidden):
        change_request_approve(actor=w.member, change_request_id=cr.pk)
    with pytest.raises(NotFound):
        change_request_approve(actor=outsider, change_request_id=cr.pk)
    cr = change_request_approve(actor=w.chair, change_request_id=cr.pk, note="同意暂停")
    assert (cr.status, cr.decided_by_id, cr.decision_note) == (ChangeState.APPROVED, w.chair.pk, "同意暂停")
    with pytest.raises(Forbidden):
        change_request_apply(actor=w.pm, change_request_id=cr.pk)


def test_submitting_notifies_the_chair_and_deciding_notifies_the_filer(reference_data):
    w = _plain()()
    cr = filed(w, kind="rescope", milestone=w.milestones[0], payload={"deliverables": "新交付物"})
    change_request_submit(actor=w.pm, change_request_id=cr.pk)
    assert Notification.objects.filter(recipient=w.chair, kind=NotificationKind.CHANGE_REQUEST).count() == 1
    change_request_approve(actor=w.chair, change_request_id=cr.pk)
    change_request_apply(actor=w.chair, change_request_id=cr.pk)
    assert Notification.objects.filter(recipient=w.pm, kind=NotificationKind.CHANGE_REQUEST).count() == 2
