"""Every project transition over every source state: allowed ones succeed with one audit row; the
others raise Conflict and leave the row untouched."""

from __future__ import annotations

import pytest

from pmflow.audit import audit_trail_for
from pmflow.errors import Conflict, InvalidInput
from projects.models import Project, ProjectState
from projects.services import projects as services
from projects.services.projects import project_transition
from tests.projects.project_support import ALLOWED, all_powerful_actor, project_in_state, row_snapshot

pytestmark = pytest.mark.usefixtures("reference_data")

CASES = [(name, state) for name in Project.TRANSITION_PERMISSIONS for state in ProjectState.values]


def test_the_table_covers_every_transition_of_the_model():
    assert set(ALLOWED) == set(Project.TRANSITION_PERMISSIONS)
    model = {(t.name, t.source, t.target) for t in Project._meta.get_field("status").get_all_transitions(Project)}
    design = {(name, src, dst) for name, moves in ALLOWED.items() for src, dst in moves.items()}
    assert model == design


@pytest.mark.parametrize(("name", "state"), CASES)
def test_transition_from_every_source_state(name, state):
    project = project_in_state(state)
    actor = all_powerful_actor(project)
    before = row_snapshot(project)

    if state in ALLOWED[name]:
        result = project_transition(actor=actor, project_id=project.pk, name=name, reason="测试理由")
        assert result.status == ALLOWED[name][state]
        assert Project.objects.get(pk=project.pk).status == ALLOWED[name][state]
        rows = list(audit_trail_for(project))
        assert len(rows) == 1
        assert (rows[0].action, rows[0].from_state, rows[0].to_state) == (name, state, ALLOWED[name][state])
        assert rows[0].actor == actor and rows[0].reason == "测试理由"
    else:
        with pytest.raises(Conflict) as exc:
            project_transition(actor=actor, project_id=project.pk, name=name, reason="测试理由")
        assert str(ProjectState(state).label) in exc.value.message
        assert exc.value.http_status == 409
        assert row_snapshot(project) == before
        assert not audit_trail_for(project).exists()


@pytest.mark.parametrize("name", sorted(Project.REASON_REQUIRED))
def test_reason_is_required_for_terminate_suspend_reject_reopen(name):
    state = next(iter(ALLOWED[name]))
    project = project_in_state(state)
    actor = all_powerful_actor(project)
    with pytest.raises(InvalidInput) as exc:
        project_transition(actor=actor, project_id=project.pk, name=name, reason="   ")
    assert "reason" in exc.value.fields
    assert Project.objects.get(pk=project.pk).status == state
    assert not audit_trail_for(project).exists()


@pytest.mark.parametrize("name", sorted(Project.TRANSITION_PERMISSIONS))
def test_direct_path_runs_button_transitions_and_refuses_gate_driven_ones(name):
    """``project_transition_direct`` is what web, admin and API buttons call: it runs the transitions a
    person takes directly and refuses, untouched, those only a gate decision or submission causes."""
    state, target = next(iter(ALLOWED[name].items()))
    project = project_in_state(state)
    actor = all_powerful_actor(project)
    if name in Project.EFFECT_ONLY_TRANSITIONS:
        with pytest.raises(Conflict):
            services.project_transition_direct(actor=actor, project_id=project.pk, name=name, reason="测试理由")
        assert Project.objects.get(pk=project.pk).status == state
        assert not audit_trail_for(project).exists()
    else:
        result = services.project_transition_direct(actor=actor, project_id=project.pk, name=name, reason="测试理由")
        assert result.status == target


def test_unknown_transition_name_is_invalid_input():
    project = project_in_state(ProjectState.DRAFT)
    with pytest.raises(InvalidInput) as exc:
        project_transition(actor=all_powerful_actor(project), project_id=project.pk, name="delete")
    assert "transition" in exc.value.fields


def test_non_consensus_sets_the_track_flag():
    project = project_in_state(ProjectState.SCREENING)
    project_transition(actor=all_powerful_actor(project), project_id=project.pk, name="send_to_non_consensus")
    assert Project.objects.get(pk=project.pk).non_consensus_track is True
