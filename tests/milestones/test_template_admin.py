"""The admin: editing a template saves a new version (projects keep theirs); transition buttons and
the release action go through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from milestones.models import GateReview, GateState, Milestone, MilestoneTemplate, TrancheRelease
from milestones.services.templates import milestones_create_from_template
from projects.models import Tier
from tests.milestones.conftest import later, project_in, screening_gate

pytestmark = pytest.mark.django_db


def _step_data(template, steps):
    data = {
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "1",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, (title, span, tranche) in enumerate(steps):
        data.update(
            {
                f"steps-{i}-sequence": str(i + 1),
                f"steps-{i}-title_zh": title,
                f"steps-{i}-title_en": title,
                f"steps-{i}-span_share": span,
                f"steps-{i}-tranche_share": tranche,
                f"steps-{i}-acceptance_hint": "",
                f"steps-{i}-template": str(template.pk) if template else "",
            }
        )
    return data


def test_editing_a_template_in_admin_saves_a_new_current_version(client, cast):
    tier = Tier.objects.get(code="early_layout")
    v1 = MilestoneTemplate.objects.get(tier=tier, is_current=True)
    project = project_in(cast, "screening")
    milestones_create_from_template(project=project, actor=cast.admin)

    client.force_login(cast.admin)
    url = reverse("admin:milestones_milestonetemplate_change", args=[v1.pk])
    assert client.get(url).status_code == 200
    data = {"note": "两阶段模板", **_step_data(None, [("原理验证", "0.5", "0.5"), ("工程验证", "0.5", "0.5")])}
    resp = client.post(url, data)
    assert resp.status_code == 302, resp.content.decode()[:2000]

    v2 = MilestoneTemplate.objects.get(tier=tier, is_current=True)
    assert v2.version == v1.version + 1 and v2.note == "两阶段模板"
    assert [s.title_zh for s in v2.steps.order_by("sequence")] == ["原理验证", "工程验证"]
    assert [s.title_zh for s in v1.steps.order_by("sequence")] == ["技术难题攻关", "技术路线收敛", "可行性验证"]
    project.refresh_from_db()
    assert project.milestone_template_id == v1.pk


def test_a_template_whose_shares_do_not_add_up_is_refused_in_admin(client, cast):
    tier = Tier.objects.get(code="early_layout")
    v1 = MilestoneTemplate.objects.get(tier=tier, is_current=True)
    client.force_login(cast.admin)
    url = reverse("admin:milestones_milestonetemplate_change", args=[v1.pk])
    resp = client.post(url, {"note": "", **_step_data(None, [("甲", "0.5", "0.5"), ("乙", "0.4", "0.5")])})
    assert resp.status_code == 200
    assert MilestoneTemplate.objects.filter(tier=tier).count() == 1


def test_gate_buttons_and_the_release_action_go_through_the_services(client, cast):
    gate = screening_gate(cast, project_in(cast), reviewers=1)
    client.force_login(cast.admin)
    change = reverse("admin:milestones_gatereview_change", args=[gate.pk])
    html = client.get(change).content.decode()
    assert 'value="close"' in html and 'value="decide"' not in html
    resp = client.post(reverse("admin:milestones_gatereview_transition", args=[gate.pk]), {"transition": "close"})
    assert resp.status_code == 302
    assert GateReview.objects.get(pk=gate.pk).status == GateState.CLOSED

    project = project_in(cast, "active")
    passed = Milestone.objects.create(
        project=project, sequence=1, title="M1", baseline_due=later(9), current_due=later(9), tranche_amount=Decimal("5")
    )
    Milestone.objects.filter(pk=passed.pk).update(status="passed")
    planned = Milestone.objects.create(
        project=project, sequence=2, title="M2", baseline_due=later(19), current_due=later(19), tranche_amount=Decimal("5")
    )
    resp = client.post(
        reverse("admin:milestones_milestone_changelist"),
        {"action": "release_tranches", "_selected_action": [passed.pk, planned.pk]},
    )
    assert resp.status_code == 302
    assert list(TrancheRelease.objects.values_list("milestone_id", flat=True)) == [passed.pk]


def test_the_admin_pages_render(client, cast):
    client.force_login(cast.admin)
    for name in (
        "milestonetemplate",
        "milestone",
        "gatereview",
        "committee",
        "scorecard",
        "gatedecision",
        "trancherelease",
        "nonconsensusapproval",
        "reviewerassignment",
        "changerequest",
    ):
        assert client.get(reverse(f"admin:milestones_{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:milestones_milestonetemplate_add")).status_code == 200
