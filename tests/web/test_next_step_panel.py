"""The project page's "next step" panel (issue 12): for each project state and role, what is waiting,
on whom, by when, and the button only when it is the viewer's to press; transitions a user may not
take are not shown."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from milestones.models import ChangeRequest, GateReview
from projects.models import PlanVersion, Project
from tests.factories import MilestoneFactory, PMTeamFactory, ProjectFactory, UserFactory, add_member, make_admin
from tests.web.conftest import build_gate, put_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(reference_data):
    team = PMTeamFactory()
    team.member = add_member(team)
    return team


def _in(team, state: str, **kw) -> Project:
    project = ProjectFactory(pm_team=team, **kw)
    Project.objects.filter(pk=project.pk).update(status=state)
    return Project.objects.get(pk=project.pk)


def _panel(client, user, project) -> str:
    client.force_login(user)
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    match = re.search(r'<section class="card next-step.*?</section>', html, re.S)
    assert match, "no next-step panel"
    return match.group(0)


def _mine(panel: str) -> bool:
    return 'data-mine="1"' in panel


def test_draft_tells_the_pm_to_complete_and_submit(client, team):
    project = _in(team, "draft")
    panel = _panel(client, team.member, project)
    assert "草稿" in panel and _mine(panel)
    assert 'id="next-step-submit"' in panel
    assert "填写培育方案" in panel and "登记技术路线" in panel
    # the project lead sees what waits, without the button
    panel = _panel(client, project.lead, project)
    assert "草稿" in panel and not _mine(panel) and 'id="next-step-submit"' not in panel


def test_draft_with_plan_and_route_drops_those_hints(client, team):
    project = _in(team, "draft")
    PlanVersion.objects.create(project=project, version=1, is_baseline=True, objectives="目标")
    project.routes.create(name="路线甲")
    panel = _panel(client, team.member, project)
    assert "填写培育方案" not in panel and "登记技术路线" not in panel


def test_submitted_project_without_plan_says_what_waits_and_on_whom(client, team):
    project = _in(team, "submitted")
    panel = _panel(client, team.member, project)
    assert "等待安排立项评审" in panel
    assert "市科委管理员" in panel and not _mine(panel)
    assert "填写培育方案" in panel and "里程碑在立项通过后按模板自动生成" in panel
    admin = make_admin()
    panel = _panel(client, admin, project)
    assert _mine(panel)


def test_open_screening_gate_waits_on_reviewers_and_gives_the_reviewer_the_button(client, reference_data):
    setup = build_gate(status="open", due=dt.date.today() + dt.timedelta(days=21))
    Project.objects.filter(pk=setup.project.pk).update(status="screening")
    put_scorecard(setup, setup.reviewers[0])
    member = add_member(setup.project.pm_team)
    panel = _panel(client, member, setup.project)
    assert "1 / 4 位专家已提交评分" in panel
    assert "评审专家" in panel and not _mine(panel)
    assert "剩" in panel and "个工作日" in panel
    panel = _panel(client, setup.reviewers[1], setup.project)
    assert _mine(panel) and reverse("milestones:review_gate", args=[setup.gate.pk]) in panel
    # a reviewer who already scored is not asked again
    assert not _mine(_panel(client, setup.reviewers[0], setup.project))


def test_closed_screening_gate_waits_on_the_chair_to_decide(client, reference_data):
    setup = build_gate(status="closed")
    Project.objects.filter(pk=setup.project.pk).update(status="screening")
    panel = _panel(client, setup.chair, setup.project)
    assert "等待主任作出决定" in panel and _mine(panel)
    assert reverse("milestones:gate_detail", args=[setup.gate.pk]) in panel
    member = add_member(setup.project.pm_team)
    assert not _mine(_panel(client, member, setup.project))


def test_non_consensus_waits_on_the_chair_with_the_pm_leads_endorsement(client, reference_data):
    setup = build_gate(status="decided")
    Project.objects.filter(pk=setup.project.pk).update(status="non_consensus")
    panel = _panel(client, setup.chair, setup.project)
    assert "非共识" in panel and _mine(panel)
    panel = _panel(client, setup.project.pm_team.lead, setup.project)
    assert not _mine(panel) and "背书" in panel


def test_approved_project_offers_the_pm_to_start_implementation(client, team):
    project = _in(team, "approved")
    panel = _panel(client, team.member, project)
    assert 'id="next-step-activate"' in panel and _mine(panel)


def test_active_project_names_the_next_milestone_with_its_due_date(client, team):
    project = _in(team, "active")
    due = dt.date.today() + dt.timedelta(days=30)
    m1 = MilestoneFactory(project=project, sequence=1, baseline_due=due, current_due=due)
    MilestoneFactory(project=project, sequence=2, baseline_due=due + dt.timedelta(days=90))
    panel = _panel(client, team.member, project)
    assert f"M1 {m1.title}" in panel and "尚未启动" in panel and _mine(panel)
    assert due.isoformat() in panel
    assert "启动里程碑" in panel
    # the compact step sits in the milestone's row
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert f'data-milestone-step="{m1.pk}"' in html


def test_active_project_milestone_in_review_waits_on_its_gate(client, team):
    project = _in(team, "active")
    m = MilestoneFactory(project=project, sequence=1)
    setup_gate = build_gate(status="open")
    GateReview.objects.filter(pk=setup_gate.gate.pk).update(project=project, milestone=m, kind="milestone")
    type(m).objects.filter(pk=m.pk).update(status="in_review")
    panel = _panel(client, team.member, project)
    assert "M1" in panel and "关口评审进行中" in panel and not _mine(panel)


def test_suspended_project_waits_on_the_admin_who_gets_the_resume_button(client, team):
    project = _in(team, "suspended")
    panel = _panel(client, team.member, project)
    assert "市科委管理员" in panel and not _mine(panel) and 'id="next-step-resume"' not in panel
    panel = _panel(client, make_admin(), project)
    assert _mine(panel) and 'id="next-step-resume"' in panel


@pytest.mark.parametrize("state", ["closed", "rejected", "terminated"])
def test_finished_project_has_nothing_waiting(client, team, state):
    panel = _panel(client, team.member, _in(team, state))
    assert "无待办事项" in panel and not _mine(panel)


def test_pending_change_request_is_listed_with_whom_it_waits_on(client, team):
    project = _in(team, "active")
    cr = ChangeRequest.objects.create(project=project, kind="suspend", status="submitted", created_by=team.member, reason="r")
    panel = _panel(client, team.member, project)
    assert f"变更申请 #{cr.pk}" in panel and "等待批准" in panel


def test_transitions_a_user_may_not_take_are_not_shown(client, team):
    project = _in(team, "active")
    client.force_login(team.member)
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-transition="terminate"' not in html and 'data-transition="suspend"' not in html
    client.force_login(make_admin())
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'data-transition="terminate"' in html and 'data-transition="suspend"' in html
    # effect-only transitions (approve, close …) are never buttons
    assert 'data-transition="approve"' not in html and 'data-transition="start_closing"' not in html


def test_reviewer_sees_no_transition_buttons(client, reference_data):
    setup = build_gate(status="open")
    Project.objects.filter(pk=setup.project.pk).update(status="screening")
    client.force_login(setup.reviewers[0])
    html = client.get(reverse("projects:detail", args=[setup.project.pk])).content.decode()
    assert "data-transition=" not in html


def test_panel_keeps_the_page_query_count_fixed(client, team, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = _in(team, "active")
    big = _in(team, "active")
    for seq in range(1, 12):
        MilestoneFactory(project=big, sequence=seq)
        ChangeRequest.objects.create(project=big, kind="suspend", status="submitted", created_by=team.member)
    MilestoneFactory(project=small, sequence=1)
    client.force_login(team.member)
    client.get(reverse("projects:detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("projects:detail", args=[small.pk]))
    with django_assert_num_queries(len(ctx)):
        client.get(reverse("projects:detail", args=[big.pk]))


def test_stranger_never_sees_the_panel(client, team):
    project = _in(team, "draft")
    client.force_login(UserFactory())
    assert client.get(reverse("projects:detail", args=[project.pk])).status_code == 404
