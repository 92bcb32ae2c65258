"""Who sees which project: admins all; PM-team members their portfolio; project leads theirs; gate
chairs and unconflicted assigned reviewers the projects of their gates; nobody else."""

from __future__ import annotations

import pytest

from pmflow.errors import NotFound
from projects.selectors.projects import project_get_visible, projects_visible_to
from tests.factories import UserFactory, add_member, make_admin
from tests.projects.project_support import assigned_reviewer, project_in_state, screening_chair

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def two_projects():
    return project_in_state("active"), project_in_state("draft")


def _visible(user):
    return set(projects_visible_to(user).values_list("pk", flat=True))


def test_admin_sees_all(two_projects):
    assert _visible(make_admin()) == {p.pk for p in two_projects}


def test_pm_team_members_see_their_portfolio_only(two_projects):
    a, b = two_projects
    assert _visible(add_member(a.pm_team)) == {a.pk}
    assert _visible(b.pm_team.lead) == {b.pk}


def test_project_lead_sees_own_project(two_projects):
    a, _ = two_projects
    assert _visible(a.lead) == {a.pk}


def test_gate_chair_and_unconflicted_reviewer_see_the_gates_project(two_projects):
    a, _ = two_projects
    assert _visible(screening_chair(a)) == {a.pk}
    assert _visible(assigned_reviewer(a)) == {a.pk}
    assert _visible(assigned_reviewer(a, conflicted=True)) == set()


def test_stranger_sees_nothing_and_gets_not_found(two_projects):
    a, _ = two_projects
    stranger = UserFactory()
    assert _visible(stranger) == set()
    with pytest.raises(NotFound):
        project_get_visible(stranger, a.pk)
    with pytest.raises(NotFound):
        project_get_visible(make_admin(), 10**9)
    assert project_get_visible(a.lead, a.pk) == a


def test_list_is_a_fixed_number_of_queries(django_assert_num_queries, two_projects):
    member = add_member(two_projects[0].pm_team)
    for _ in range(3):
        project_in_state("active", pm_team=two_projects[0].pm_team)
    with django_assert_num_queries(2):  # the admin-group check, then the list with its joins
        rows = list(projects_visible_to(member))
        [(p.field.direction.name, p.field.tier.name, p.pm_team.name, p.performer.name, p.lead.username) for p in rows]
    assert len(rows) == 4
