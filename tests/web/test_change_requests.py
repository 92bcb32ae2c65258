"""Change-request pages: a form for each kind, an htmx preview of what it would change (nothing saved),
submitting, the detail page with approve / reject / apply for the chair or admin, friendly 404/403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milestones.models import ChangeKind, ChangeRequest, GateReview, Milestone
from projects.models import Project, TechnologyRoute
from tests.factories import GateReviewFactory, MilestoneFactory, ProjectFactory, UserFactory, make_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_project(reference_data):
    project = ProjectFactory(planned_start=dt.date(2026, 1, 5), planned_end=dt.date(2028, 12, 29))
    Project.objects.filter(pk=project.pk).update(status="active")
    project.refresh_from_db()
    for seq, due in enumerate([dt.date(2026, 9, 30), dt.date(2027, 6, 30), dt.date(2028, 6, 30)], start=1):
        MilestoneFactory(project=project, sequence=seq, baseline_due=due, current_due=due)
    TechnologyRoute.objects.create(project=project, name="离子阱路线")
    TechnologyRoute.objects.create(project=project, name="超导路线")
    return project


@pytest.mark.parametrize("kind", ChangeKind.values)
def test_every_kind_has_a_form_with_a_preview_button(client, active_project, kind):
    client.force_login(active_project.pm_team.lead)
    resp = client.get(reverse("milestones:change_request_new"), {"project": active_project.pk, "kind": kind})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="change-request-form"' in html
    assert reverse("milestones:change_request_preview") in html
    assert 'name="reason"' in html
    expected = {
        "reschedule": 'name="new_due"',
        "rescope": 'name="deliverables"',
        "reallocate_budget": 'name="tranche_',
        "converge_route": 'name="selected_route"',
        "change_team": 'name="pm_team"',
    }.get(kind)
    if expected:
        assert expected in html


def test_unknown_kind_and_unseen_project_are_not_found(client, active_project):
    client.force_login(active_project.pm_team.lead)
    url = reverse("milestones:change_request_new")
    assert client.get(url, {"project": active_project.pk, "kind": "teleport"}).status_code == 404
    client.force_login(UserFactory())
    resp = client.get(url, {"project": active_project.pk, "kind": "reschedule"})
    assert resp.status_code == 404
    assert b"Traceback" not in resp.content


def _preview_m1_to_october_30(client, project, m1):
    """The project lead previews moving M1 to 2026-10-30 (htmx)."""
    client.force_login(project.pm_team.lead)
    return client.post(
        reverse("milestones:change_request_preview"),
        {"project": project.pk, "kind": "reschedule", "milestone": m1.pk, "new_due": "2026-10-30"},
        HTTP_HX_REQUEST="true",
    )


def test_preview_shows_the_dates_a_reschedule_would_move_and_saves_nothing(client, active_project):
    pytest.importorskip("milestones.services.changes")
    m1 = Milestone.objects.get(project=active_project, sequence=1)
    resp = _preview_m1_to_october_30(client, active_project, m1)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="preview-table"' in html, html
    assert "2026-10-30" in html
    assert "2026-09-30" in html
    assert not ChangeRequest.objects.exists()
    m1.refresh_from_db()
    assert m1.current_due == dt.date(2026, 9, 30)


def test_preview_with_bad_input_shows_the_message(client, active_project):
    client.force_login(active_project.pm_team.lead)
    resp = client.post(
        reverse("milestones:change_request_preview"),
        {"project": active_project.pk, "kind": "reschedule", "new_due": "not-a-date"},
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 200
    assert "alert-error" in resp.content.decode()


def test_submitting_a_reschedule_then_chair_approves_and_applies(client, active_project):
    pytest.importorskip("milestones.services.changes")
    m1 = Milestone.objects.get(project=active_project, sequence=1)
    client.force_login(active_project.pm_team.lead)
    resp = client.post(
        reverse("milestones:change_request_new"),
        {
            "project": active_project.pk,
            "kind": "reschedule",
            "milestone": m1.pk,
            "new_due": "2026-10-30",
            "reason": "国庆假期后完成样机联调。",
        },
    )
    assert resp.status_code == 302
    cr = ChangeRequest.objects.get()
    assert cr.status == "submitted"
    admin = make_admin()
    client.force_login(admin)
    html = client.get(reverse("milestones:change_request_detail", args=[cr.pk])).content.decode()
    assert reverse("milestones:change_request_transition", args=[cr.pk, "approve"]) in html
    assert reverse("milestones:change_request_transition", args=[cr.pk, "reject"]) in html
    client.post(reverse("milestones:change_request_transition", args=[cr.pk, "approve"]), {"note": "同意"})
    client.post(reverse("milestones:change_request_transition", args=[cr.pk, "apply"]))
    cr.refresh_from_db()
    assert cr.status == "applied"
    m1.refresh_from_db()
    assert m1.current_due == dt.date(2026, 10, 30)
    assert m1.baseline_due == dt.date(2026, 9, 30)
    html = client.get(reverse("milestones:change_request_detail", args=[cr.pk])).content.decode()
    assert 'id="before-after"' in html


def test_pm_member_sees_no_approve_button(client, active_project):
    cr = ChangeRequest.objects.create(
        project=active_project, kind="suspend", reason="资金未到位", created_by=active_project.pm_team.lead
    )
    ChangeRequest.objects.filter(pk=cr.pk).update(status="submitted")
    client.force_login(active_project.pm_team.lead)
    html = client.get(reverse("milestones:change_request_detail", args=[cr.pk])).content.decode()
    assert reverse("milestones:change_request_transition", args=[cr.pk, "approve"]) not in html


def test_change_request_list_query_count_is_fixed(client, active_project, django_assert_num_queries):
    lead = active_project.pm_team.lead
    ChangeRequest.objects.create(project=active_project, kind="suspend", reason="r", created_by=lead)
    client.force_login(lead)
    url = reverse("milestones:change_request_list")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    m = Milestone.objects.filter(project=active_project).first()
    for _ in range(8):
        ChangeRequest.objects.create(project=active_project, kind="reschedule", milestone=m, reason="r", created_by=lead)
    with django_assert_num_queries(len(ctx)):
        resp = client.get(url)
    assert resp.content.decode().count("/changes/") >= 9


def test_another_teams_change_request_is_not_found(client, active_project):
    cr = ChangeRequest.objects.create(project=active_project, kind="suspend", reason="r", created_by=active_project.pm_team.lead)
    client.force_login(UserFactory())
    assert client.get(reverse("milestones:change_request_detail", args=[cr.pk])).status_code == 404
    assert client.post(reverse("milestones:change_request_transition", args=[cr.pk, "approve"])).status_code == 404


def test_submitted_request_shows_what_applying_it_would_change(client, active_project):
    pytest.importorskip("milestones.services.changes")
    m2 = Milestone.objects.get(project=active_project, sequence=2)
    lead = active_project.pm_team.lead
    client.force_login(lead)
    client.post(
        reverse("milestones:change_request_new"),
        {"project": active_project.pk, "kind": "rescope", "milestone": m2.pk, "deliverables": "工程样机两台", "reason": "聚焦"},
    )
    cr = ChangeRequest.objects.get()
    html = client.get(reverse("milestones:change_request_detail", args=[cr.pk])).content.decode()
    assert 'id="pending-changes"' in html
    assert "工程样机两台" in html
    assert "M2" in html


def test_reallocate_budget_form_moves_money_between_tranches(client, active_project):
    pytest.importorskip("milestones.services.changes")
    ms = list(Milestone.objects.filter(project=active_project).order_by("sequence"))
    client.force_login(active_project.pm_team.lead)
    data = {"project": active_project.pk, "kind": "reallocate_budget", "reason": "前移资金"}
    amounts = {ms[0].pk: "1500000.00", ms[1].pk: "500000.00", ms[2].pk: "1000000.00"}
    data.update({f"tranche_{pk}": v for pk, v in amounts.items()})
    resp = client.post(reverse("milestones:change_request_preview"), data, HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert 'id="preview-table"' in html, html
    assert "1500000" in html
    # A different total is refused with the reason, nothing saved.
    data[f"tranche_{ms[0].pk}"] = "9000000.00"
    resp = client.post(reverse("milestones:change_request_new"), data)
    assert resp.status_code == 400
    assert not ChangeRequest.objects.exists()


def test_converge_route_form_selects_one_route_and_keeps_lessons(client, active_project):
    pytest.importorskip("milestones.services.changes")
    ion, sc = list(TechnologyRoute.objects.filter(project=active_project).order_by("id"))
    client.force_login(active_project.pm_team.lead)
    data = {
        "project": active_project.pk,
        "kind": "converge_route",
        "selected_route": ion.pk,
        f"lessons_{sc.pk}": "低温系统成本过高。",
        "reason": "比选后收敛",
    }
    resp = client.post(reverse("milestones:change_request_new"), data)
    assert resp.status_code == 302, resp.content.decode()[-1500:]
    cr = ChangeRequest.objects.get()
    assert cr.payload["selected_route_id"] == ion.pk
    assert cr.payload["dropped"] == {str(sc.pk): "低温系统成本过高。"}


def test_change_team_form_names_the_new_lead_by_username(client, active_project):
    pytest.importorskip("milestones.services.changes")
    newcomer = UserFactory(username="new-lead")
    client.force_login(active_project.pm_team.lead)
    data = {"project": active_project.pk, "kind": "change_team", "lead_username": "new-lead", "reason": "负责人调动"}
    assert client.post(reverse("milestones:change_request_new"), data).status_code == 302
    assert ChangeRequest.objects.get().payload == {"lead_id": newcomer.pk}
    data["lead_username"] = "nobody-here"
    resp = client.post(reverse("milestones:change_request_new"), data)
    assert resp.status_code == 400
    assert "nobody-here" in resp.content.decode()


def test_preview_names_a_scheduled_gate_that_a_reschedule_moves(client, active_project):
    m1 = Milestone.objects.get(project=active_project, sequence=1)
    gate = GateReviewFactory(project=active_project, milestone=m1, kind="milestone", due_date=dt.date(2026, 9, 30))
    resp = _preview_m1_to_october_30(client, active_project, m1)
    html = resp.content.decode()
    assert resp.status_code == 200, html
    assert f"gatereview:{gate.pk}" not in html  # a readable name, not the copy's key
    assert f"{GateReview._meta.verbose_name} M1" in html
    assert str(GateReview._meta.get_field("due_date").verbose_name) in html
    gate.refresh_from_db()
    assert gate.due_date == dt.date(2026, 9, 30)  # a preview saves nothing
