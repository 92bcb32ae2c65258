"""Comparative down-select on one route family: winners continue, losers are terminated with their
lessons kept on their dropped routes; all or nothing."""

from __future__ import annotations

import pytest

from milestones.services.changes import comparative_downselect
from pmflow.audit import audit_trail_for
from pmflow.errors import Conflict, Forbidden, InvalidInput
from projects.models import Project, ProjectState, TechnologyRoute
from tests.factories import GateReviewFactory
from tests.milestones.change_support import world

pytestmark = pytest.mark.django_db

FAMILY = "trapped-ion"


@pytest.fixture
def rivals(reference_data):
    ws = [world(dues=[]) for _ in range(3)]
    for i, w in enumerate(ws):
        TechnologyRoute.objects.create(project=w.project, name=f"离子阱方案{i}", family=FAMILY)
        TechnologyRoute.objects.create(project=w.project, name=f"备选方案{i}", family="other")
    return ws


def test_losers_are_terminated_and_their_routes_dropped_with_lessons(rivals):
    a, b, c = rivals
    result = comparative_downselect(
        actor=a.admin,
        route_family=FAMILY,
        winners=[a.project.pk],
        losers={b.project.pk: "保真度未达标", c.project.pk: "成本过高"},
    )
    assert result == {"winners": [a.project.pk], "losers": sorted([b.project.pk, c.project.pk])}
    assert Project.objects.get(pk=a.project.pk).status == ProjectState.ACTIVE
    for w, lessons in ((b, "保真度未达标"), (c, "成本过高")):
        project = Project.objects.get(pk=w.project.pk)
        assert project.status == ProjectState.TERMINATED
        assert audit_trail_for(project).first().reason == lessons
        route = TechnologyRoute.objects.get(project=project, family=FAMILY)
        assert (route.status, route.lessons_learned) == ("dropped", lessons)
        # routes of other families are not touched
        assert TechnologyRoute.objects.get(project=project, family="other").status == "exploring"
    assert TechnologyRoute.objects.get(project=a.project, family=FAMILY).status == "exploring"


def test_lessons_are_required(rivals):
    a, b, _ = rivals
    with pytest.raises(InvalidInput) as exc:
        comparative_downselect(actor=a.admin, route_family=FAMILY, winners=[a.project.pk], losers={b.project.pk: ""})
    assert "losers" in exc.value.fields
    assert Project.objects.get(pk=b.project.pk).status == ProjectState.ACTIVE


def test_a_project_without_a_route_of_the_family_is_refused(rivals, reference_data):
    a, _, _ = rivals
    stranger = world(dues=[])
    with pytest.raises(InvalidInput) as exc:
        comparative_downselect(actor=a.admin, route_family=FAMILY, winners=[a.project.pk], losers={stranger.project.pk: "x"})
    assert "losers" in exc.value.fields


def test_it_is_all_or_nothing(rivals):
    a, b, c = rivals
    Project.objects.filter(pk=c.project.pk).update(status=ProjectState.CLOSED)  # cannot be terminated
    with pytest.raises(Conflict):
        comparative_downselect(
            actor=a.admin, route_family=FAMILY, winners=[a.project.pk], losers={b.project.pk: "x", c.project.pk: "y"}
        )
    assert Project.objects.get(pk=b.project.pk).status == ProjectState.ACTIVE
    assert TechnologyRoute.objects.get(project=b.project, family=FAMILY).status == "exploring"


def test_only_an_admin_or_the_comparative_chair_may_down_select(rivals):
    a, b, _ = rivals
    with pytest.raises(Forbidden):
        comparative_downselect(actor=a.pm, route_family=FAMILY, winners=[a.project.pk], losers={b.project.pk: "x"})
    gate = GateReviewFactory(project=a.project, kind="comparative", route_family=FAMILY)
    gate.compared_projects.add(b.project)
    # the chair of the comparative gate passes the down-select check; terminating still needs the
    # project permission (programme admins), so the whole down-select is refused and nothing changes
    with pytest.raises(Forbidden):
        comparative_downselect(
            actor=gate.chair, route_family=FAMILY, winners=[a.project.pk], losers={b.project.pk: "x"}, gate_id=gate.pk
        )
    assert TechnologyRoute.objects.get(project=b.project, family=FAMILY).status == "exploring"
    result = comparative_downselect(
        actor=a.admin, route_family=FAMILY, winners=[a.project.pk], losers={b.project.pk: "x"}, gate_id=gate.pk
    )
    assert result["losers"] == [b.project.pk]
