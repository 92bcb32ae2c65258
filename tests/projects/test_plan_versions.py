"""The cultivation plan is versioned: v1 is the baseline, revisions append, a written version is
never edited, and the baseline and the current version are both visible with a field-level diff."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pmflow.audit import audit_trail_for
from pmflow.errors import Forbidden, InvalidInput
from projects.models import PlanVersion, ProjectState
from projects.selectors.projects import plan_baseline, plan_baseline_and_current, plan_current, plan_diff, plan_versions
from projects.services.plans import plan_version_add
from tests.factories import PMTeamFactory, add_member
from tests.projects.project_support import assigned_reviewer, project_in_state

pytestmark = pytest.mark.usefixtures("reference_data")


@pytest.fixture
def project():
    return project_in_state(ProjectState.DRAFT)


@pytest.fixture
def member(project):
    return add_member(project.pm_team)


def test_first_version_is_the_baseline_and_revisions_append(project, member):
    v1 = plan_version_add(
        actor=member,
        project_id=project.pk,
        objectives="完成原理样机",
        scope="超导量子比特",
        deliverables="样机一台",
        budget_breakdown={"设备": "4000000", "人员": 3000000},
    )
    assert (v1.version, v1.is_baseline) == (1, True)
    assert v1.budget_breakdown == {"设备": "4000000", "人员": "3000000"}

    v2 = plan_version_add(
        actor=member,
        project_id=project.pk,
        objectives="完成工程样机",
        scope="超导量子比特",
        deliverables="样机两台",
        budget_breakdown={"设备": "5000000", "人员": "3000000"},
        change_note="技术路线收敛后扩大目标",
    )
    assert (v2.version, v2.is_baseline) == (2, False)

    # v1 is untouched by the revision
    v1_again = PlanVersion.objects.get(pk=v1.pk)
    assert (v1_again.objectives, v1_again.deliverables, v1_again.budget_breakdown) == (
        "完成原理样机",
        "样机一台",
        {"设备": "4000000", "人员": "3000000"},
    )
    assert plan_baseline(project) == v1
    assert plan_current(project) == v2
    assert plan_baseline_and_current(project) == (v1, v2)
    assert [v.version for v in plan_versions(project)] == [1, 2]

    diff = plan_diff(v1, v2)
    assert set(diff) == {"objectives", "deliverables", "budget_breakdown"}
    assert diff["objectives"] == {"before": "完成原理样机", "after": "完成工程样机"}
    assert diff["budget_breakdown"]["items"] == {"设备": {"before": "4000000", "after": "5000000"}}
    assert [e.action for e in audit_trail_for(project)] == ["plan_revise", "plan_baseline"]


def test_only_the_baseline_exists_it_is_also_current(project, member):
    v1 = plan_version_add(actor=member, project_id=project.pk, objectives="目标")
    assert plan_baseline_and_current(project) == (v1, v1)
    assert plan_diff(v1, v1) == {}


def test_revision_needs_a_change_note_and_objectives(project, member):
    plan_version_add(actor=member, project_id=project.pk, objectives="目标")
    with pytest.raises(InvalidInput) as exc:
        plan_version_add(actor=member, project_id=project.pk, objectives="  ", change_note="")
    assert {"objectives", "change_note"} <= set(exc.value.fields)
    assert PlanVersion.objects.filter(project=project).count() == 1


@pytest.mark.parametrize(
    "breakdown",
    [{"设备": "-1"}, {"设备": "abc"}, {"设备": str(Decimal("10000000.01"))}, ["设备", 1]],
)
def test_bad_budget_breakdown_is_refused(project, member, breakdown):
    with pytest.raises(InvalidInput) as exc:
        plan_version_add(actor=member, project_id=project.pk, objectives="目标", budget_breakdown=breakdown)
    assert "budget_breakdown" in exc.value.fields
    assert not PlanVersion.objects.exists()


def test_outsiders_and_reviewers_cannot_write_the_plan(project):
    for outsider in (add_member(PMTeamFactory()), assigned_reviewer(project)):
        with pytest.raises(Forbidden):
            plan_version_add(actor=outsider, project_id=project.pk, objectives="目标")
    assert not PlanVersion.objects.exists()


def test_no_revision_after_the_project_ended():
    project = project_in_state(ProjectState.TERMINATED)
    with pytest.raises(InvalidInput) as exc:
        plan_version_add(actor=add_member(project.pm_team), project_id=project.pk, objectives="目标")
    assert "project" in exc.value.fields
