"""The milestone page: reached from the project page, shows status, dates, gates and evidence, and
offers 开始 / 提交关口评审 / 条件已满足 only to who may press them and only when the transition is
allowed; the POSTs call the services (403 / 404 / 409 otherwise, nothing changed)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from milestones.models import GateKind, GateReview, GateState, Milestone, MilestoneState
from pmflow.models import AuditEntry
from tests.web.evidence_world import build_world, set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reference_data):
    return build_world()


def _page(client, user, milestone):
    client.force_login(user)
    return client.get(reverse("milestones:milestone_detail", args=[milestone.pk]))


def test_project_page_links_each_milestone_to_its_page(client, world):
    client.force_login(world.pm_member)
    html = client.get(reverse("projects:detail", args=[world.project.pk])).content.decode()
    for m in (world.planned, world.in_progress, world.submitted):
        assert reverse("milestones:milestone_detail", args=[m.pk]) in html


def test_page_shows_dates_state_and_gate(client, world):
    html = _page(client, world.pm_member, world.in_progress).content.decode()
    assert "中试验证" in html and 'data-state="in_progress"' in html
    assert 'id="baseline-due">2026-12-31' in html
    assert f'data-gate="{world.gate.pk}"' in html


@pytest.mark.parametrize("who", ["pm_member", "pm_lead", "project_lead"])
def test_start_is_offered_on_a_planned_milestone_to_the_pm_team_and_the_lead(client, world, who):
    html = _page(client, getattr(world, who), world.planned).content.decode()
    assert 'id="milestone-start"' in html
    assert 'id="milestone-submit"' not in html


def test_submit_is_offered_on_an_in_progress_milestone(client, world):
    html = _page(client, world.pm_member, world.in_progress).content.decode()
    assert 'id="milestone-submit"' in html and 'id="milestone-start"' not in html


@pytest.mark.parametrize("who", ["reviewer_ok", "chair"])
def test_reviewers_and_chairs_see_the_page_without_pm_buttons(client, world, who):
    resp = _page(client, getattr(world, who), world.planned)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="milestone-start"' not in html and 'id="milestone-submit"' not in html


def test_another_pm_team_gets_404(client, world):
    assert _page(client, world.other_team_member, world.planned).status_code == 404
    resp = client.post(reverse("milestones:milestone_start", args=[world.planned.pk]))
    assert resp.status_code == 404
    assert Milestone.objects.get(pk=world.planned.pk).status == MilestoneState.PLANNED


def test_no_buttons_when_the_project_is_not_active(client, world):
    set_status(world.project, "suspended")
    html = _page(client, world.pm_member, world.planned).content.decode()
    assert 'id="milestone-start"' not in html


def test_pm_member_starts_a_planned_milestone(client, world):
    client.force_login(world.pm_member)
    resp = client.post(reverse("milestones:milestone_start", args=[world.planned.pk]))
    assert resp.status_code == 302
    assert Milestone.objects.get(pk=world.planned.pk).status == MilestoneState.IN_PROGRESS
    assert AuditEntry.objects.filter(action="start", object_id=str(world.planned.pk)).exists()


def test_reviewer_may_not_start(client, world):
    client.force_login(world.reviewer_ok)
    resp = client.post(reverse("milestones:milestone_start", args=[world.planned.pk]))
    assert resp.status_code == 403
    assert Milestone.objects.get(pk=world.planned.pk).status == MilestoneState.PLANNED


@pytest.mark.parametrize("state", ["in_progress", "submitted", "in_review", "passed", "cancelled"])
def test_start_from_another_state_is_a_409_with_a_message(client, world, state):
    m = set_status(world.planned, state)
    client.force_login(world.pm_member)
    resp = client.post(reverse("milestones:milestone_start", args=[m.pk]))
    assert resp.status_code == 409
    assert "不能执行" in resp.content.decode()
    assert Milestone.objects.get(pk=m.pk).status == state


def test_submit_confirmation_lists_the_evidence_and_the_committee(client, world):
    from milestones.services.evidence import evidence_add
    from tests.web.evidence_world import pdf

    evidence_add(actor=world.project_lead, milestone_id=world.in_progress.pk, title="中试报告", kind="report", file=pdf())
    client.force_login(world.pm_member)
    html = client.get(reverse("milestones:milestone_submit", args=[world.in_progress.pk])).content.decode()
    assert "中试报告" in html and world.committee.name in html
    assert 'id="milestone-submit-confirm"' in html


def test_submit_moves_the_milestone_and_schedules_its_gate(client, world):
    m = set_status(world.planned, "in_progress")
    client.force_login(world.pm_member)
    resp = client.post(reverse("milestones:milestone_submit", args=[m.pk]), {"reason": "材料齐全"})
    assert resp.status_code == 302
    assert Milestone.objects.get(pk=m.pk).status == MilestoneState.SUBMITTED
    gate = GateReview.objects.get(milestone=m)
    assert gate.kind == GateKind.MILESTONE and gate.status == GateState.SCHEDULED
    html = client.get(resp["Location"]).content.decode()
    assert f'data-gate="{gate.pk}"' in html


@pytest.mark.parametrize("who,status", [("reviewer_ok", 403), ("other_team_member", 404)])
def test_submit_refused_for_who_may_not(client, world, who, status):
    client.force_login(getattr(world, who))
    resp = client.post(reverse("milestones:milestone_submit", args=[world.in_progress.pk]))
    assert resp.status_code == status
    assert Milestone.objects.get(pk=world.in_progress.pk).status == MilestoneState.IN_PROGRESS


def test_submit_of_a_planned_milestone_is_a_409(client, world):
    client.force_login(world.pm_member)
    resp = client.post(reverse("milestones:milestone_submit", args=[world.planned.pk]))
    assert resp.status_code == 409
    assert not GateReview.objects.filter(milestone=world.planned).exists()


def test_final_milestone_submit_is_not_offered_to_the_project_lead(client, world):
    Milestone.objects.filter(pk=world.in_progress.pk).update(is_final=True)
    html = _page(client, world.project_lead, world.in_progress).content.decode()
    assert 'id="milestone-submit"' not in html
    html = _page(client, world.pm_member, world.in_progress).content.decode()
    assert 'id="milestone-submit"' in html


def test_conditions_met_is_offered_to_the_chair_only(client, world):
    m = set_status(world.in_progress, "passed_with_conditions")
    assert 'id="milestone-conditions-met"' in _page(client, world.chair, m).content.decode()
    assert 'id="milestone-conditions-met"' not in _page(client, world.pm_member, m).content.decode()
    client.force_login(world.chair)
    assert client.post(reverse("milestones:milestone_conditions_met", args=[m.pk])).status_code == 302
    assert Milestone.objects.get(pk=m.pk).status == MilestoneState.PASSED
    client.force_login(world.pm_member)
    m2 = set_status(world.submitted, "passed_with_conditions")
    assert client.post(reverse("milestones:milestone_conditions_met", args=[m2.pk])).status_code == 403


def test_page_query_count_does_not_grow_with_evidence_and_gates(client, world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from milestones.services.evidence import evidence_add
    from tests.factories import GateReviewFactory
    from tests.web.evidence_world import pdf

    client.force_login(world.pm_member)
    url = reverse("milestones:milestone_detail", args=[world.in_progress.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(4):
        evidence_add(actor=world.pm_member, milestone_id=world.in_progress.pk, title=f"报告{i}", kind="report", file=pdf())
        GateReviewFactory(project=world.project, kind="milestone", milestone=world.in_progress, committee=world.committee)
    with django_assert_num_queries(len(one)):
        html = client.get(url).content.decode()
    assert html.count('class="evidence-row"') == 4
