"""Technology routes: a project may explore several; each starts as exploring."""

from __future__ import annotations

import pytest

from pmflow.errors import Forbidden, InvalidInput
from projects.models import TechnologyRoute
from projects.services.projects import route_add
from tests.factories import add_member
from tests.projects.project_support import assigned_reviewer, project_in_state

pytestmark = pytest.mark.usefixtures("reference_data")


def test_pm_member_adds_several_exploring_routes():
    project = project_in_state("active")
    member = add_member(project.pm_team)
    a = route_add(actor=member, project_id=project.pk, name="超导路线", family="superconducting")
    b = route_add(actor=member, project_id=project.pk, name="离子阱路线", family="ion-trap")
    assert {a.status, b.status} == {TechnologyRoute.RouteState.EXPLORING}
    assert project.routes.count() == 2


def test_duplicate_or_empty_route_name_is_refused():
    project = project_in_state("active")
    member = add_member(project.pm_team)
    route_add(actor=member, project_id=project.pk, name="超导路线")
    for name in ("超导路线", "  "):
        with pytest.raises(InvalidInput) as exc:
            route_add(actor=member, project_id=project.pk, name=name)
        assert "name" in exc.value.fields
    assert project.routes.count() == 1


def test_reviewer_cannot_add_a_route():
    project = project_in_state("active")
    with pytest.raises(Forbidden):
        route_add(actor=assigned_reviewer(project), project_id=project.pk, name="路线")
