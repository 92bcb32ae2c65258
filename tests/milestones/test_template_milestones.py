"""Milestones from the tier's current template: dates spread over the project span on working days,
tranches by share (last absorbs rounding), last one final; templates are versioned so a revision
never rewrites projects already using an earlier version; the baseline is editable only while the
project is approved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from milestones.models import Milestone, MilestoneTemplate
from milestones.services.templates import (
    milestone_edit_baseline,
    milestone_template_revise,
    milestones_create_from_template,
    tranche_amounts_split,
)
from pmflow.errors import Conflict, Forbidden, InvalidInput
from pmflow.workdays import is_workday
from projects.models import Field, Tier
from tests.milestones.conftest import project_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "titles"),
    [
        ("quantum", ["技术难题攻关", "技术路线收敛", "可行性验证"]),
        ("6g", ["产品设计优化", "原型样机/样品", "应用场景拓展", "市场价值验证"]),
        ("brain_computer_interface", ["降本增效", "可及性提升", "产业生态构建", "工程化产业化"]),
    ],
)
def test_each_tier_gets_its_policy_milestones(cast, field, titles):
    field_obj = Field.objects.get(code=field)
    project = project_in(cast, "screening", field=field_obj, budget=Decimal("10000000.01"))
    milestones = milestones_create_from_template(project=project, actor=cast.admin)
    assert [m.title for m in milestones] == titles
    assert sum(m.tranche_amount for m in milestones) == project.budget
    assert [m.is_final for m in milestones] == [False] * (len(titles) - 1) + [True]
    dues = [m.current_due for m in milestones]
    assert dues == sorted(dues) and len(set(dues)) == len(dues)
    assert all(is_workday(d) for d in dues)
    assert project.planned_start < dues[0] and dues[-1] <= project.planned_end
    assert all(m.baseline_due == m.current_due for m in milestones)
    project.refresh_from_db()
    assert project.milestone_template == MilestoneTemplate.objects.get(tier=field_obj.tier, is_current=True)


def test_the_last_tranche_absorbs_rounding():
    amounts = tranche_amounts_split(budget=Decimal("100.00"), shares=[Decimal("0.3333"), Decimal("0.3333"), Decimal("0.3334")])
    assert amounts == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    capped = tranche_amounts_split(
        budget=Decimal("1000.00"), shares=[Decimal("0.5"), Decimal("0.25"), Decimal("0.25")], first_cap_share=Decimal("0.2")
    )
    assert capped == [Decimal("200.00"), Decimal("400.00"), Decimal("400.00")]


def test_a_template_revision_is_a_new_version_and_old_projects_keep_theirs(cast):
    tier = Tier.objects.get(code="early_layout")
    old_project = project_in(cast, "screening")
    milestones_create_from_template(project=old_project, actor=cast.admin)
    v1 = MilestoneTemplate.objects.get(tier=tier, is_current=True)

    v2 = milestone_template_revise(
        actor=cast.admin,
        tier=tier,
        steps=[
            {"title_zh": "原理验证", "span_share": "0.5", "tranche_share": "0.4"},
            {"title_zh": "工程样机", "span_share": "0.5", "tranche_share": "0.6"},
        ],
    )
    assert v2.version == v1.version + 1 and v2.is_current
    assert MilestoneTemplate.objects.get(pk=v1.pk).is_current is False
    assert v1.steps.count() == 3  # the old version is untouched

    old_project.refresh_from_db()
    assert old_project.milestone_template_id == v1.pk
    assert list(old_project.milestones.values_list("title", flat=True)) == ["技术难题攻关", "技术路线收敛", "可行性验证"]

    new_project = project_in(cast, "screening")
    milestones_create_from_template(project=new_project, actor=cast.admin)
    new_project.refresh_from_db()
    assert new_project.milestone_template_id == v2.pk
    assert [m.tranche_amount for m in new_project.milestones.order_by("sequence")] == [
        Decimal("4000000.00"),
        Decimal("6000000.00"),
    ]


@pytest.mark.parametrize(
    "steps",
    [
        [],
        [{"title_zh": "", "span_share": "1", "tranche_share": "1"}],
        [{"title_zh": "甲", "span_share": "0.5", "tranche_share": "1"}],
        [{"title_zh": "甲", "span_share": "1", "tranche_share": "0"}],
        [{"title_zh": "甲", "span_share": "x", "tranche_share": "1"}],
    ],
)
def test_invalid_template_steps_are_refused(cast, steps):
    tier = Tier.objects.get(code="early_layout")
    with pytest.raises(InvalidInput) as exc:
        milestone_template_revise(actor=cast.admin, tier=tier, steps=steps)
    assert "steps" in exc.value.fields
    assert MilestoneTemplate.objects.filter(tier=tier).count() == 1


def test_only_admins_revise_templates(cast):
    with pytest.raises(Forbidden):
        milestone_template_revise(
            actor=cast.pm_lead,
            tier=Tier.objects.get(code="early_layout"),
            steps=[{"title_zh": "甲", "span_share": 1, "tranche_share": 1}],
        )


def _approved_project(cast):
    project = project_in(cast, "approved")
    milestones_create_from_template(project=project, actor=cast.admin)
    return project, list(project.milestones.order_by("sequence"))


def test_the_pm_team_edits_the_baseline_while_the_project_is_approved(cast):
    project, (m1, m2, m3) = _approved_project(cast)
    new_due = m1.current_due - dt.timedelta(days=7)
    milestone_edit_baseline(
        actor=cast.pm_member,
        project_id=project.pk,
        milestones=[
            {"id": m1.pk, "title": "关键难题攻关", "due_date": new_due.isoformat(), "tranche_amount": "2500000.00"},
            {
                "id": m2.pk,
                "deliverables": "路线比选报告",
                "acceptance_criteria": "收敛到一条路线",
                "tranche_amount": "3500000.00",
            },
        ],
    )
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert m1.title == "关键难题攻关" and m1.baseline_due == m1.current_due == new_due
    assert m1.tranche_amount == Decimal("2500000.00") and m2.tranche_amount == Decimal("3500000.00")
    assert m2.acceptance_criteria == "收敛到一条路线"


def test_a_baseline_edit_must_keep_the_tranche_total_and_the_date_order(cast):
    project, (m1, m2, m3) = _approved_project(cast)
    with pytest.raises(InvalidInput) as exc:
        milestone_edit_baseline(actor=cast.pm_member, project_id=project.pk, milestones=[{"id": m1.pk, "tranche_amount": "1"}])
    assert "tranche_amount" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        milestone_edit_baseline(
            actor=cast.pm_member, project_id=project.pk, milestones=[{"id": m2.pk, "due_date": m1.current_due.isoformat()}]
        )
    assert "due_date" in exc.value.fields
    assert Milestone.objects.get(pk=m1.pk).tranche_amount == Decimal("3000000.00")


@pytest.mark.parametrize("state", ["active", "screening", "closing"])
def test_the_baseline_is_frozen_outside_approved(cast, state):
    project, (m1, *_rest) = _approved_project(cast)
    type(project).objects.filter(pk=project.pk).update(status=state)
    with pytest.raises(Conflict):
        milestone_edit_baseline(actor=cast.pm_member, project_id=project.pk, milestones=[{"id": m1.pk, "title": "新名称"}])


def test_only_the_pm_team_edits_the_baseline(cast):
    project, (m1, *_rest) = _approved_project(cast)
    for user in (cast.project_lead, cast.chair, cast.reviewers[0]):
        with pytest.raises(Forbidden):
            milestone_edit_baseline(actor=user, project_id=project.pk, milestones=[{"id": m1.pk, "title": "新名称"}])
