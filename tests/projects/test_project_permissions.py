"""Who may move a project: a member of PM team A cannot move team B's project; a reviewer cannot move
any project; each refusal is a clear Forbidden and changes nothing."""

from __future__ import annotations

import pytest

from pmflow.audit import audit_trail_for
from pmflow.errors import Forbidden
from projects.models import Project, ProjectState
from projects.services.projects import project_transition
from tests.factories import PMTeamFactory, add_member
from tests.projects.project_support import ALLOWED, assigned_reviewer, project_in_state, row_snapshot, screening_chair

pytestmark = pytest.mark.usefixtures("reference_data")
S = ProjectState


def _assert_refused(actor, project, name):
    before = row_snapshot(project)
    with pytest.raises(Forbidden) as exc:
        project_transition(actor=actor, project_id=project.pk, name=name, reason="理由")
    assert exc.value.http_status == 403
    assert str(Project.TRANSITION_LABELS[name]) in exc.value.message
    assert "无权" in exc.value.message
    assert row_snapshot(project) == before
    assert not audit_trail_for(project).exists()


@pytest.mark.parametrize("name", sorted(Project.TRANSITION_PERMISSIONS))
def test_member_of_team_a_cannot_move_a_project_of_team_b(name):
    team_a = PMTeamFactory()
    member_a = add_member(team_a)
    state = next(iter(ALLOWED[name]))
    project_b = project_in_state(state)  # its own team B
    _assert_refused(member_a, project_b, name)
    _assert_refused(team_a.lead, project_b, name)
    with pytest.raises(Forbidden) as exc:
        project_transition(actor=member_a, project_id=project_b.pk, name=name, reason="理由")
    # the refusal does not reveal a project the member cannot see
    assert project_b.code not in exc.value.message and project_b.title not in exc.value.message


@pytest.mark.parametrize("name", sorted(Project.TRANSITION_PERMISSIONS))
def test_a_reviewer_cannot_move_any_project(name):
    state = next(iter(ALLOWED[name]))
    project = project_in_state(state)
    reviewer = assigned_reviewer(project)
    assert reviewer.has_perm("projects.view_project", project)  # sees it, still cannot move it
    _assert_refused(reviewer, project, name)
    other = project_in_state(state)
    _assert_refused(reviewer, other, name)


def test_pm_team_member_submits_their_own_draft():
    project = project_in_state(S.DRAFT)
    member = add_member(project.pm_team)
    assert project_transition(actor=member, project_id=project.pk, name="submit").status == S.SUBMITTED


def test_programme_admin_alone_cannot_submit_a_teams_draft():
    from tests.factories import make_admin

    project = project_in_state(S.DRAFT)
    _assert_refused(make_admin(), project, "submit")


@pytest.mark.parametrize("name", ["approve", "reject", "send_to_non_consensus"])
def test_screening_chair_moves_the_screening_outcome(name):
    project = project_in_state(S.SCREENING)
    chair = screening_chair(project)
    assert (
        project_transition(actor=chair, project_id=project.pk, name=name, reason="评审结论").status == ALLOWED[name][S.SCREENING]
    )


@pytest.mark.parametrize("name", ["approve", "reject", "send_to_non_consensus"])
def test_pm_team_member_cannot_decide_their_own_screening(name):
    project = project_in_state(S.SCREENING)
    _assert_refused(add_member(project.pm_team), project, name)
    _assert_refused(project.pm_team.lead, project, name)


@pytest.mark.parametrize(("name", "state"), [("suspend", S.ACTIVE), ("resume", S.SUSPENDED), ("terminate", S.ACTIVE)])
def test_only_programme_admin_suspends_resumes_and_terminates(name, state):
    from tests.factories import make_admin

    project = project_in_state(state)
    _assert_refused(project.pm_team.lead, project, name)
    _assert_refused(project.lead, project, name)
    _assert_refused(screening_chair(project), project, name)
    assert (
        project_transition(actor=make_admin(), project_id=project.pk, name=name, reason="管理决定").status == ALLOWED[name][state]
    )
