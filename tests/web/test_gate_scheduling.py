"""Scheduling the screening gate and assigning reviewers in bulk, in the web UI: who may (admin; the
PM-team lead only where the admin allows; never another team's PM or a reviewer), bad input named on
its field with nothing saved, the conflict flag shown before saving, one transaction for the bulk
assignment, the buttons on the project, gate and admin pages, and fixed query counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from milestones.models import GateCriterion, GateReview, ReviewerAssignment
from pmflow.models import Notification
from pmflow.workdays import add_workdays, is_workday
from projects.models import Field, Project, ProjectState
from tests.factories import (
    CommitteeFactory,
    OrganisationFactory,
    PMTeamFactory,
    ProjectFactory,
    UserFactory,
    add_member,
    make_admin,
)

pytestmark = pytest.mark.django_db


@dataclass
class World:
    admin: Any
    project: Any
    committee: Any
    other_committee: Any
    members: list[Any]
    conflicted: Any
    pm_lead: Any
    pm_member: Any


@pytest.fixture
def world(reference_data) -> World:
    field = Field.objects.get(code="quantum")
    team = PMTeamFactory()
    team.fields.add(field)
    pm_member = add_member(team)
    performer = OrganisationFactory(name="承担单位甲")
    project = ProjectFactory(pm_team=team, field=field, performer=performer)
    Project.objects.filter(pk=project.pk).update(status=ProjectState.SUBMITTED)
    project.refresh_from_db()
    committee = CommitteeFactory(name="量子评审委员会")
    committee.fields.add(field)
    other = CommitteeFactory(name="健康评审委员会")
    other.fields.add(Field.objects.exclude(pk=field.pk).first())
    members = [UserFactory() for _ in range(4)]
    conflicted = UserFactory(organisation=performer, display_name="同单位专家")
    committee.members.add(*members, conflicted)
    return World(
        admin=make_admin(),
        project=project,
        committee=committee,
        other_committee=other,
        members=members,
        conflicted=conflicted,
        pm_lead=team.lead,
        pm_member=pm_member,
    )


def _due(n: int = 10) -> dt.date:
    return add_workdays(timezone.localdate(), n)


def _holiday() -> dt.date:
    """The first future non-working weekday (a statutory holiday), else the first weekend day."""
    day = timezone.localdate() + dt.timedelta(days=1)
    weekend = None
    for _ in range(500):
        if not is_workday(day):
            if day.weekday() < 5:
                return day
            weekend = weekend or day
        day += dt.timedelta(days=1)
    return weekend


def _post_data(w: World, **over: Any) -> dict[str, Any]:
    rows = [
        ("must", "符合政策支持方向与领域", ""),
        ("should", "颠覆性与创新价值", "60"),
        ("should", "团队能力", "40"),
    ]
    data = {
        "committee": str(w.committee.pk),
        "due_date": _due().isoformat(),
        "quorum": "3",
        "criteria-TOTAL_FORMS": str(len(rows) + 1),
        "criteria-INITIAL_FORMS": str(len(rows)),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "30",
    }
    for i, (kind, title, weight) in enumerate([*rows, ("should", "", "")]):
        data.update({f"criteria-{i}-kind": kind, f"criteria-{i}-title": title, f"criteria-{i}-weight": weight})
    data.update(over)
    return data


def _schedule_url(w: World) -> str:
    return reverse("milestones:gate_schedule", args=[w.project.pk])


# --- the button and the page ---------------------------------------------------------------------
def test_admin_sees_the_schedule_button_on_a_submitted_project_and_a_prefilled_form(client, world):
    client.force_login(world.admin)
    page = client.get(reverse("projects:detail", args=[world.project.pk])).content.decode()
    assert 'id="schedule-screening"' in page and _schedule_url(world) in page
    resp = client.get(_schedule_url(world))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "量子评审委员会" in html and "健康评审委员会" not in html  # only committees covering the field
    assert 'type="date"' in html
    assert "颠覆性与创新价值" in html  # criteria prefilled from the screening template
    assert 'id="due-workdays-count" data-workdays="10"' in html  # working days shown


def test_the_workdays_fragment_counts_working_days_and_flags_a_holiday(client, world):
    client.force_login(world.admin)
    url = reverse("milestones:gate_schedule_workdays")
    html = client.get(url, {"due_date": _due(7).isoformat()}).content.decode()
    assert 'data-workdays="7"' in html and "非工作日" not in html
    assert "非工作日" in client.get(url, {"due_date": _holiday().isoformat()}).content.decode()


def test_the_button_is_not_shown_once_screening_started_nor_to_the_pm_lead_by_default(client, world):
    client.force_login(world.pm_lead)
    page = client.get(reverse("projects:detail", args=[world.project.pk])).content.decode()
    assert 'id="schedule-screening"' not in page
    Project.objects.filter(pk=world.project.pk).update(status=ProjectState.SCREENING)
    client.force_login(world.admin)
    page = client.get(reverse("projects:detail", args=[world.project.pk])).content.decode()
    assert 'id="schedule-screening"' not in page


def test_scheduling_moves_the_project_to_screening_and_leads_to_the_assignment_page(client, world):
    client.force_login(world.admin)
    resp = client.post(_schedule_url(world), _post_data(world))
    gate = GateReview.objects.get(project=world.project)
    assert resp.status_code == 302 and resp.url == reverse("milestones:gate_assign_reviewers", args=[gate.pk])
    world.project.refresh_from_db()
    assert world.project.status == ProjectState.SCREENING
    assert gate.kind == "screening" and gate.committee == world.committee and gate.chair == world.committee.chair
    assert gate.due_date == _due() and gate.quorum == 3
    assert [(c.kind, c.title, int(c.weight)) for c in GateCriterion.objects.filter(gate=gate).order_by("order")] == [
        ("must", "符合政策支持方向与领域", 0),
        ("should", "颠覆性与创新价值", 60),
        ("should", "团队能力", 40),
    ]


def test_the_pm_lead_schedules_only_where_the_admin_allows(client, world):
    client.force_login(world.pm_lead)
    assert client.get(_schedule_url(world)).status_code == 403
    world.project.pm_team.lead_schedules_screening = True
    world.project.pm_team.save(update_fields=["lead_schedules_screening"])
    page = client.get(reverse("projects:detail", args=[world.project.pk])).content.decode()
    assert 'id="schedule-screening"' in page
    resp = client.post(_schedule_url(world), _post_data(world))
    assert resp.status_code == 302
    gate = GateReview.objects.get(project=world.project)
    resp = client.post(
        reverse("milestones:gate_assign_reviewers", args=[gate.pk]), {"reviewers": [str(u.pk) for u in world.members[:3]]}
    )
    assert resp.status_code == 302 and resp.url == reverse("projects:detail", args=[world.project.pk])
    assert ReviewerAssignment.objects.filter(gate=gate).count() == 3


@pytest.mark.parametrize("who", ["pm_member", "other_pm", "reviewer"])
def test_others_are_refused_with_a_clear_message_and_nothing_saved(client, world, who):
    if who == "other_pm":
        user = PMTeamFactory().lead
    elif who == "reviewer":
        user = world.members[0]
    else:
        user = world.pm_member
    client.force_login(user)
    resp = client.get(_schedule_url(world))
    assert resp.status_code in (403, 404)
    if who == "pm_member":
        assert "只有管理员（或经管理员授权的本团队项目经理）可以安排立项筛选评审" in resp.content.decode()
    resp = client.post(_schedule_url(world), _post_data(world))
    assert resp.status_code in (403, 404)
    assert not GateReview.objects.exists()
    world.project.refresh_from_db()
    assert world.project.status == ProjectState.SUBMITTED


# --- bad input --------------------------------------------------------------------------------------
def _field_error(html: str, field_id: str, text: str) -> None:
    """``text`` appears as an error inside the field block whose input has ``field_id``."""
    i = html.index(f'id="{field_id}"')
    start = html.rfind('<div class="field', 0, i)
    end = html.index("</div>", i)
    block = html[start:end]
    assert "has-error" in block and text in block, block


@pytest.mark.parametrize(
    ("over", "where", "text"),
    [
        ({"committee": ""}, "id_committee", "请选择评审委员会"),
        ("other_committee", "id_committee", "有效的选项"),  # not offered: the form refuses it
        ({"due_date": ""}, "id_due_date", "请填写评审截止日"),
        ({"due_date": "2020-01-06"}, "id_due_date", "不能早于今天"),
        ("holiday", "id_due_date", "不是工作日"),
        ({"quorum": "0"}, "id_quorum", ""),
    ],
)
def test_bad_input_is_named_on_its_field_and_nothing_is_saved(client, world, over, where, text):
    if over == "other_committee":
        over = {"committee": str(world.other_committee.pk)}
    elif over == "holiday":
        over = {"due_date": _holiday().isoformat()}
    client.force_login(world.admin)
    resp = client.post(_schedule_url(world), _post_data(world, **over))
    assert resp.status_code == 400
    _field_error(resp.content.decode(), where, text)
    assert not GateReview.objects.exists() and not GateCriterion.objects.exists()
    world.project.refresh_from_db()
    assert world.project.status == ProjectState.SUBMITTED


def test_the_service_refuses_a_committee_not_covering_the_field_naming_it(world):
    from milestones.services.scheduling import gate_schedule_screening
    from pmflow.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        gate_schedule_screening(
            actor=world.admin,
            project_id=world.project.pk,
            committee_id=world.other_committee.pk,
            due_date=_due(),
            criteria=[{"kind": "should", "title": "创新", "weight": 1}],
            quorum=3,
        )
    assert "不负责领域" in exc.value.fields["committee"][0]
    assert not GateReview.objects.exists()


def test_no_criteria_is_named_beside_the_criteria_table(client, world):
    client.force_login(world.admin)
    data = _post_data(world)
    for i in range(4):
        data[f"criteria-{i}-title"] = ""
    resp = client.post(_schedule_url(world), data)
    html = resp.content.decode()
    assert resp.status_code == 400
    block = html[html.index('id="criteria"') : html.index("</fieldset>", html.index('id="criteria"'))]
    assert "至少需要一项评审指标" in block
    assert not GateReview.objects.exists()


def test_weights_all_zero_are_refused_beside_the_criteria(client, world):
    client.force_login(world.admin)
    resp = client.post(_schedule_url(world), _post_data(world, **{"criteria-1-weight": "0", "criteria-2-weight": "0"}))
    assert resp.status_code == 400 and "权重之和必须大于 0" in resp.content.decode()
    assert not GateReview.objects.exists()


# --- bulk assignment --------------------------------------------------------------------------------
@pytest.fixture
def gate(client, world) -> GateReview:
    client.force_login(world.admin)
    client.post(_schedule_url(world), _post_data(world))
    return GateReview.objects.get(project=world.project)


def test_the_assignment_page_shows_load_and_the_conflict_before_saving(client, world, gate):
    busy = world.members[1]
    for _ in range(2):  # two open assignments elsewhere
        other_gate = GateReview.objects.create(
            kind="screening",
            project=ProjectFactory(),
            committee=world.committee,
            chair=world.committee.chair,
            due_date=_due(),
        )
        ReviewerAssignment.objects.create(gate=other_gate, reviewer=busy)
    resp = client.get(reverse("milestones:gate_assign_reviewers", args=[gate.pk]))
    html = resp.content.decode()
    assert resp.status_code == 200
    row = html[html.index(f'data-reviewer="{busy.username}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-load="2"' in row
    row = html[html.index(f'data-reviewer="{world.conflicted.username}"') :]
    row = row[: row.index("</tr>")]
    assert "disabled" in row and "来自项目承担单位" in row and "conflict-flag" in row


def test_bulk_assignment_assigns_all_at_once_and_notifies_each(client, world, gate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        resp = client.post(
            reverse("milestones:gate_assign_reviewers", args=[gate.pk]), {"reviewers": [str(u.pk) for u in world.members]}
        )
    assert resp.status_code == 302 and resp.url == reverse("milestones:gate_detail", args=[gate.pk])
    assert set(ReviewerAssignment.objects.filter(gate=gate).values_list("reviewer_id", flat=True)) == {
        u.pk for u in world.members
    }
    assert Notification.objects.filter(kind="review_assigned").count() == 4


def test_one_conflicted_reviewer_refuses_the_whole_assignment_naming_them(client, world, gate):
    resp = client.post(
        reverse("milestones:gate_assign_reviewers", args=[gate.pk]),
        {"reviewers": [str(world.members[0].pk), str(world.conflicted.pk)]},
    )
    html = resp.content.decode()
    assert resp.status_code == 400
    field = html[html.index('id="reviewers-field"') : html.index("</fieldset>", html.index('id="reviewers-field"'))]
    assert "同单位专家" in field and "来自项目承担单位" in field and 'class="error"' in field
    assert not ReviewerAssignment.objects.filter(gate=gate).exists()


def test_choosing_nobody_is_an_error_on_the_field(client, world, gate):
    resp = client.post(reverse("milestones:gate_assign_reviewers", args=[gate.pk]), {})
    assert resp.status_code == 400 and "请至少选择一位评审专家" in resp.content.decode()


@pytest.mark.parametrize("who", ["reviewer", "pm_lead", "other_pm"])
def test_assignment_is_refused_to_others(client, world, gate, who):
    user = {"reviewer": world.members[0], "pm_lead": world.pm_lead, "other_pm": PMTeamFactory().lead}[who]
    ReviewerAssignment.objects.create(gate=gate, reviewer=world.members[0])
    client.force_login(user)
    url = reverse("milestones:gate_assign_reviewers", args=[gate.pk])
    resp = client.get(url)
    assert resp.status_code in (403, 404)
    if who != "other_pm":
        assert resp.status_code == 403 and "只有评审委员会主任或管理员可以分配评审专家" in resp.content.decode()
    assert client.post(url, {"reviewers": [str(world.members[1].pk)]}).status_code in (403, 404)
    assert ReviewerAssignment.objects.filter(gate=gate).count() == 1


def test_the_chair_reaches_assignment_from_the_gate_page_and_opens_the_gate(client, world, gate):
    client.force_login(world.committee.chair)
    page = client.get(reverse("milestones:gate_detail", args=[gate.pk])).content.decode()
    assert reverse("milestones:gate_assign_reviewers", args=[gate.pk]) in page
    assert reverse("milestones:gate_transition", args=[gate.pk, "open"]) in page
    client.post(reverse("milestones:gate_assign_reviewers", args=[gate.pk]), {"reviewers": [str(world.members[0].pk)]})
    client.post(reverse("milestones:gate_transition", args=[gate.pk, "open"]))
    gate.refresh_from_db()
    assert gate.status == "open"


def test_the_assignment_page_query_count_is_fixed(client, world, gate, django_assert_num_queries):
    url = reverse("milestones:gate_assign_reviewers", args=[gate.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    more = [UserFactory() for _ in range(6)]
    world.committee.members.add(*more)
    for u in more[:3]:
        ReviewerAssignment.objects.create(gate=gate, reviewer=u)
    with django_assert_num_queries(len(few)):
        resp = client.get(url)
    assert resp.content.decode().count("data-reviewer=") == 11


def test_the_schedule_page_query_count_is_fixed(client, world, django_assert_num_queries):
    client.force_login(world.admin)
    url = _schedule_url(world)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(4):
        c = CommitteeFactory(name=f"另一委员会{i}")
        c.fields.add(world.project.field)
    with django_assert_num_queries(len(few)):
        resp = client.get(url)
    assert resp.content.decode().count("另一委员会") == 4


def test_the_admin_project_page_links_to_scheduling(client, world):
    client.force_login(world.admin)
    html = client.get(reverse("admin:projects_project_change", args=[world.project.pk])).content.decode()
    assert 'id="admin-schedule-screening"' in html and _schedule_url(world) in html


def test_a_submitted_milestones_gate_gets_reviewers_and_is_opened_by_its_chair(client, world):
    """milestone_submit schedules the milestone's gate itself; its chair assigns reviewers from the
    gate page and opens it (the milestone moves to in review)."""
    from milestones.models import Milestone
    from milestones.services.milestones import milestone_submit
    from tests.factories import MilestoneFactory

    Project.objects.filter(pk=world.project.pk).update(status=ProjectState.ACTIVE)
    milestone = MilestoneFactory(project=world.project, status="in_progress")
    _m, gate = milestone_submit(actor=world.admin, milestone_id=milestone.pk, committee_id=world.committee.pk)
    client.force_login(world.committee.chair)
    page = client.get(reverse("milestones:gate_detail", args=[gate.pk])).content.decode()
    url = reverse("milestones:gate_assign_reviewers", args=[gate.pk])
    assert url in page
    html = client.get(url).content.decode()
    assert "来自项目承担单位" in html  # same conflict rule at milestone gates
    resp = client.post(url, {"reviewers": [str(u.pk) for u in world.members[:3]]})
    assert resp.status_code == 302
    client.post(reverse("milestones:gate_transition", args=[gate.pk, "open"]))
    gate.refresh_from_db()
    assert gate.status == "open" and Milestone.objects.get(pk=milestone.pk).status == "in_review"
    assert ReviewerAssignment.objects.filter(gate=gate).count() == 3


def test_the_pm_lead_may_not_assign_milestone_gate_reviewers_even_where_allowed_for_screening(client, world):
    from milestones.services.milestones import milestone_submit
    from tests.factories import MilestoneFactory

    world.project.pm_team.lead_schedules_screening = True
    world.project.pm_team.save(update_fields=["lead_schedules_screening"])
    Project.objects.filter(pk=world.project.pk).update(status=ProjectState.ACTIVE)
    milestone = MilestoneFactory(project=world.project, status="in_progress")
    _m, gate = milestone_submit(actor=world.admin, milestone_id=milestone.pk, committee_id=world.committee.pk)
    client.force_login(world.pm_lead)
    assert client.get(reverse("milestones:gate_assign_reviewers", args=[gate.pk])).status_code == 403


def test_the_admin_edits_the_team_setting_in_the_admin(client, world):
    client.force_login(world.admin)
    html = client.get(reverse("admin:projects_pmteam_change", args=[world.project.pm_team_id])).content.decode()
    assert 'name="lead_schedules_screening"' in html
