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


@pytest.mark.parametrize("kind", [k for k in ChangeKind.values if k != "resume"])
def test_every_kind_has_a_form_with_a_preview_button(client, active_project, kind):
    client.force_login(active_project.pm_team.lead)
    resp = client.get(reverse("milestones:change_request_new"), {"project": active_project.pk, "kind": kind})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="change-request-form"' in html
    assert 'name="step" value="preview"' in html
    assert 'name="reason"' in html
    expected = {
        "reschedule": 'type="date" name="new_due"',
        "rescope": 'name="deliverables"',
        "reallocate_budget": 'name="tranche_',
        "converge_route": 'name="selected_route"',
        "change_team": 'name="lead"',
    }.get(kind)
    if expected:
        assert expected in html
    assert "mm/dd/yyyy" not in html


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


def test_htmx_preview_with_bad_input_shows_the_message(client, active_project):
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


def test_reallocate_budget_form_moves_money_between_tranches_in_wan_yuan(client, active_project):
    ms = list(Milestone.objects.filter(project=active_project).order_by("sequence"))
    client.force_login(active_project.pm_team.lead)
    html = client.get(
        reverse("milestones:change_request_new"), {"project": active_project.pk, "kind": "reallocate_budget"}
    ).content.decode()
    assert f'name="tranche_{ms[0].pk}" value="100"' in html  # 1,000,000 元 shown as 100 万元
    assert "万元" in html
    data = {"project": active_project.pk, "kind": "reallocate_budget", "reason": "前移资金", "step": "preview"}
    amounts = {ms[0].pk: "150", ms[1].pk: "50", ms[2].pk: "100"}  # 万元
    data.update({f"tranche_{pk}": v for pk, v in amounts.items()})
    resp = client.post(reverse("milestones:change_request_new"), data)
    html = resp.content.decode()
    assert resp.status_code == 200, html
    assert 'id="preview-table"' in html, html
    assert "150 万元" in html and "100 万元" in html
    assert not ChangeRequest.objects.exists()
    del data["step"]
    assert client.post(reverse("milestones:change_request_new"), data).status_code == 302
    assert ChangeRequest.objects.get().payload["tranches"][str(ms[0].pk)] == "1500000.00"


def test_reallocate_budget_with_a_different_total_names_the_amount_field_and_saves_nothing(client, active_project):
    ms = list(Milestone.objects.filter(project=active_project).order_by("sequence"))
    client.force_login(active_project.pm_team.lead)
    data = {"project": active_project.pk, "kind": "reallocate_budget", "reason": "前移资金"}
    data.update({f"tranche_{ms[0].pk}": "900", f"tranche_{ms[1].pk}": "100", f"tranche_{ms[2].pk}": "100"})
    resp = client.post(reverse("milestones:change_request_new"), data)
    html = resp.content.decode()
    assert resp.status_code == 400
    assert "调整前后资金总额必须一致：调整前合计 300 万元，调整后合计 1,100 万元" in html
    assert f"M{ms[2].sequence} {ms[2].title}（万元）</a>：调整前后资金总额" in html  # the summary names the field
    assert "tranches" not in html
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


def test_change_team_form_offers_project_leads_to_choose_from(client, active_project):
    newcomer = UserFactory(username="new-lead", first_name="新", last_name="负责人")
    ProjectFactory(lead=newcomer)  # leads another project: offered
    stranger = UserFactory(username="stranger")
    client.force_login(active_project.pm_team.lead)
    url = reverse("milestones:change_request_new")
    html = client.get(url, {"project": active_project.pk, "kind": "change_team"}).content.decode()
    assert f'<option value="{newcomer.pk}">' in html
    assert f'<option value="{stranger.pk}">' not in html
    data = {"project": active_project.pk, "kind": "change_team", "lead": newcomer.pk, "reason": "负责人调动"}
    assert client.post(url, data).status_code == 302
    assert ChangeRequest.objects.get().payload == {"lead_id": newcomer.pk}


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


# --- the kind chooser ------------------------------------------------------------------------------
def test_new_change_request_without_a_kind_is_the_kind_chooser_not_a_404(client, active_project):
    client.force_login(active_project.pm_team.lead)
    resp = client.get(reverse("milestones:change_request_new"), {"project": active_project.pk})
    html = resp.content.decode()
    assert resp.status_code == 200
    chooser = html[html.index('id="change-kinds"') : html.index("</ul>", html.index('id="change-kinds"'))]
    for kind in ["reschedule", "rescope", "reallocate_budget", "converge_route", "suspend", "terminate", "change_team"]:
        assert f"kind={kind}" in chooser, kind
        assert str(ChangeKind(kind).label) in chooser
    # An active project cannot be resumed: listed apart, with the reason, and no link.
    assert "kind=resume" not in html
    unavailable = html[html.index('id="unavailable-kinds"') :]
    assert str(ChangeKind.RESUME.label) in unavailable and "不能恢复" in unavailable


def test_project_page_button_opens_the_chooser_for_a_project_without_change_requests(client, active_project):
    client.force_login(active_project.pm_team.lead)
    html = client.get(reverse("projects:detail", args=[active_project.pk])).content.decode()
    href = f"{reverse('milestones:change_request_new')}?project={active_project.pk}"
    assert f'href="{href}"' in html
    assert client.get(href).status_code == 200


def test_chooser_of_a_suspended_project_offers_resume_and_terminate_not_suspend(client, active_project):
    Project.objects.filter(pk=active_project.pk).update(status="suspended")
    client.force_login(active_project.pm_team.lead)
    html = client.get(reverse("milestones:change_request_new"), {"project": active_project.pk}).content.decode()
    chooser = html[html.index('id="change-kinds"') : html.index('id="unavailable-kinds"')]
    assert "kind=resume" in chooser and "kind=terminate" in chooser
    assert "kind=suspend" not in chooser


def test_chooser_of_a_closed_project_offers_nothing(client, active_project):
    Project.objects.filter(pk=active_project.pk).update(status="closed")
    client.force_login(active_project.pm_team.lead)
    html = client.get(reverse("milestones:change_request_new"), {"project": active_project.pk}).content.decode()
    assert 'id="no-change-kinds"' in html
    assert "kind=" not in html.split('id="unavailable-kinds"')[0].split("<main")[-1]


def test_a_kind_the_project_cannot_take_shows_the_chooser_with_the_reason(client, active_project):
    client.force_login(active_project.pm_team.lead)
    resp = client.get(reverse("milestones:change_request_new"), {"project": active_project.pk, "kind": "resume"})
    assert resp.status_code == 200
    assert 'id="change-kinds"' in resp.content.decode()
    assert "不能恢复" in resp.content.decode()
    resp = client.post(
        reverse("milestones:change_request_new"), {"project": active_project.pk, "kind": "resume", "reason": "复工"}
    )
    assert resp.status_code == 409
    assert not ChangeRequest.objects.exists()


def test_chooser_has_a_fixed_number_of_queries(client, active_project, django_assert_num_queries):
    client.force_login(active_project.pm_team.lead)
    url = reverse("milestones:change_request_new")
    client.get(url, {"project": active_project.pk})
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, {"project": active_project.pk})
    MilestoneFactory(project=active_project, sequence=4, baseline_due=dt.date(2028, 9, 29), current_due=dt.date(2028, 9, 29))
    TechnologyRoute.objects.create(project=active_project, name="光量子路线")
    with django_assert_num_queries(len(ctx)):
        client.get(url, {"project": active_project.pk})


def test_someone_outside_the_pm_team_cannot_open_the_chooser(client, active_project):
    client.force_login(UserFactory())
    assert client.get(reverse("milestones:change_request_new"), {"project": active_project.pk}).status_code == 404


# --- bad input: the field's label next to the field, no payload keys, nothing saved ------------------
def _field_block(html: str, field_id: str) -> str:
    """The ``<div class="field">`` that holds the input ``field_id``."""
    at = html.index(f'id="{field_id}"')
    start = html.rindex('<div class="field', 0, at)
    return html[start : html.index("</div>", at)]


BAD_INPUT = {
    # kind → (form data builder(project, milestones, routes), field id, message fragment)
    "reschedule_weekend": (
        "reschedule",
        lambda p, ms, rs: {"milestone": ms[0].pk, "new_due": "2026-10-31"},
        "id_new_due",
        "不是工作日",
    ),
    "reschedule_past_end": (
        "reschedule",
        lambda p, ms, rs: {"milestone": ms[2].pk, "new_due": "2029-01-05"},
        "id_new_due",
        "项目结束日延展至",
    ),
    "reschedule_no_date": ("reschedule", lambda p, ms, rs: {"milestone": ms[0].pk}, "id_new_due", "必填"),
    "reschedule_no_milestone": ("reschedule", lambda p, ms, rs: {"new_due": "2026-10-30"}, "id_milestone", "必填"),
    "reschedule_extend_backwards": (
        "reschedule",
        lambda p, ms, rs: {"milestone": ms[2].pk, "new_due": "2028-12-28", "extend_end_to": "2028-06-30"},
        "id_extend_end_to",
        "延长后的结束日必须晚于",
    ),
    "rescope_nothing": ("rescope", lambda p, ms, rs: {"milestone": ms[1].pk}, "id_deliverables", "请填写新的交付物"),
    "rescope_unchanged": (
        "rescope",
        lambda p, ms, rs: {"milestone": ms[1].pk, "deliverables": ms[1].deliverables or "x"},
        "id_deliverables",
        "",
    ),
    "reallocate_negative": (
        "reallocate_budget",
        lambda p, ms, rs: {f"tranche_{ms[0].pk}": "-1", f"tranche_{ms[1].pk}": "201", f"tranche_{ms[2].pk}": "100"},
        "id_tranche_{m0}",
        "0",
    ),
    "converge_no_lessons": (
        "converge_route",
        lambda p, ms, rs: {"selected_route": rs[0].pk},
        "id_lessons_{r1}",
        "经验总结",
    ),
    "converge_no_route": ("converge_route", lambda p, ms, rs: {}, "id_selected_route", "必填"),
    "change_team_nothing": ("change_team", lambda p, ms, rs: {}, "id_pm_team", "请选择新的项目经理团队或新的项目负责人"),
    "change_team_bad_lead": ("change_team", lambda p, ms, rs: {"lead": "999999"}, "id_lead", "选择"),
    "suspend_no_reason": ("suspend", lambda p, ms, rs: {"reason": ""}, "id_reason", "必填"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_shown_next_to_the_field_with_its_label_and_nothing_is_saved(client, active_project, case):
    kind, build, field_id, fragment = BAD_INPUT[case]
    ms = list(Milestone.objects.filter(project=active_project).order_by("sequence"))
    if case == "rescope_unchanged":
        Milestone.objects.filter(pk=ms[1].pk).update(deliverables="样机一台")
        ms[1].deliverables = "样机一台"
    rs = list(TechnologyRoute.objects.filter(project=active_project).order_by("id"))
    field_id = field_id.format(m0=ms[0].pk, r1=rs[1].pk)
    data = {"project": active_project.pk, "kind": kind, "reason": "理由", **build(active_project, ms, rs)}
    before = {m.pk: (m.current_due, m.tranche_amount, m.deliverables) for m in ms}
    client.force_login(active_project.pm_team.lead)
    for step in ("preview", "") if field_id != "id_reason" else ("",):  # no reason needed to preview
        resp = client.post(reverse("milestones:change_request_new"), {**data, "step": step})
        html = resp.content.decode()
        assert resp.status_code in (400, 409), (case, step, resp.status_code)
        block = _field_block(html, field_id)
        assert 'class="error"' in block, (case, step, block)
        assert fragment in block, (case, step, block)
        label = block.split("<label", 1)[1].split(">", 1)[1].split("</label>", 1)[0]
        assert f'<a href="#{field_id}">{label}</a>：' in html  # the summary names the field by its label
        for key in ("new_due", "extend_end_to", "selected_route_id", "selected", "tranches", "pm_team_id", "lead_id", "dropped"):
            assert f"{key}:" not in html and f"（{key}）" not in html, key
    assert not ChangeRequest.objects.exists()
    assert {
        m.pk: (m.current_due, m.tranche_amount, m.deliverables) for m in Milestone.objects.filter(project=active_project)
    } == before


# --- a request that cannot be applied: no approve, no apply, the reason shown ---------------------
def _submitted(project, kind, payload, milestone=None):
    cr = ChangeRequest.objects.create(
        project=project, kind=kind, milestone=milestone, payload=payload, reason="r", created_by=project.pm_team.lead
    )
    ChangeRequest.objects.filter(pk=cr.pk).update(status="submitted")
    return cr


def test_an_inapplicable_request_offers_no_approve_and_says_why(client, active_project):
    # The old demo's payload: a key the plan refuses.
    cr = _submitted(active_project, "converge_route", {"selected": 1})
    admin = make_admin()
    client.force_login(admin)
    url = reverse("milestones:change_request_detail", args=[cr.pk])
    html = client.get(url).content.decode()
    assert 'id="not-applicable"' in html
    assert "不接受此字段" in html
    assert "selected" not in html.split('id="not-applicable"')[1].split("</div>")[0]
    assert reverse("milestones:change_request_transition", args=[cr.pk, "approve"]) not in html
    assert reverse("milestones:change_request_transition", args=[cr.pk, "reject"]) in html
    # Posting approve anyway is refused by the service with the reason, and nothing changes.
    resp = client.post(reverse("milestones:change_request_transition", args=[cr.pk, "approve"]), follow=True)
    assert "批准失败" in resp.content.decode()
    cr.refresh_from_db()
    assert cr.status == "submitted"


def test_a_suspend_request_on_a_suspended_project_cannot_be_approved(client, active_project):
    cr = _submitted(active_project, "suspend", {})
    Project.objects.filter(pk=active_project.pk).update(status="suspended")
    client.force_login(make_admin())
    html = client.get(reverse("milestones:change_request_detail", args=[cr.pk])).content.decode()
    assert "不能暂停" in html
    assert reverse("milestones:change_request_transition", args=[cr.pk, "approve"]) not in html


def test_an_approved_request_the_world_overtook_offers_no_apply_and_can_be_rejected(client, active_project):
    m1 = Milestone.objects.get(project=active_project, sequence=1)
    lead = active_project.pm_team.lead
    client.force_login(lead)
    data = {"project": active_project.pk, "kind": "reschedule", "milestone": m1.pk, "new_due": "2026-10-30", "reason": "r"}
    assert client.post(reverse("milestones:change_request_new"), data).status_code == 302
    cr = ChangeRequest.objects.get()
    admin = make_admin()
    client.force_login(admin)
    client.post(reverse("milestones:change_request_transition", args=[cr.pk, "approve"]), {"note": "同意"})
    cr.refresh_from_db()
    assert cr.status == "approved"
    Milestone.objects.filter(pk=m1.pk).update(status="passed")  # meanwhile M1 passed its gate
    url = reverse("milestones:change_request_detail", args=[cr.pk])
    html = client.get(url).content.decode()
    assert 'id="not-applicable"' in html
    assert reverse("milestones:change_request_transition", args=[cr.pk, "apply"]) not in html
    # Applying anyway: a clear message, the request not changed.
    resp = client.post(reverse("milestones:change_request_transition", args=[cr.pk, "apply"]), follow=True)
    assert "执行失败" in resp.content.decode()
    assert "milestone_id" not in resp.content.decode()
    cr.refresh_from_db()
    assert cr.status == "approved"
    # Not stuck: the decider rejects it with the reason.
    client.post(reverse("milestones:change_request_transition", args=[cr.pk, "reject"]), {"note": "M1 已通过，无需调整"})
    cr.refresh_from_db()
    assert cr.status == "rejected"


# --- every kind applied through the pages (the browser journey covers the clicks) ------------------
def _file(client, project, kind, data):
    client.force_login(project.pm_team.lead)
    url = reverse("milestones:change_request_new")
    body = {"project": project.pk, "kind": kind, "reason": f"{kind} 理由", **data}
    resp = client.post(url, {**body, "step": "preview"})
    assert resp.status_code == 200 and 'id="preview-table"' in resp.content.decode(), resp.content.decode()[-3000:]
    resp = client.post(url, body)
    assert resp.status_code == 302, resp.content.decode()[-3000:]
    return ChangeRequest.objects.latest("pk")


def _approve_and_apply(client, cr, decider):
    client.force_login(decider)
    for name in ("approve", "apply"):
        html = client.get(reverse("milestones:change_request_detail", args=[cr.pk])).content.decode()
        assert reverse("milestones:change_request_transition", args=[cr.pk, name]) in html, name
        client.post(reverse("milestones:change_request_transition", args=[cr.pk, name]), {"note": "同意"})
    cr.refresh_from_db()
    assert cr.status == "applied"


def test_every_kind_filed_approved_and_applied_through_the_pages(client, active_project):
    p = active_project
    ms = list(Milestone.objects.filter(project=p).order_by("sequence"))
    ion, sc = list(TechnologyRoute.objects.filter(project=p).order_by("id"))
    gate = GateReviewFactory(project=p, milestone=ms[0], kind="milestone", due_date=dt.date(2026, 9, 30))
    chair, admin = gate.chair, make_admin()
    other_lead = UserFactory(username="lead-two")
    ProjectFactory(lead=other_lead)
    cases = [
        ("reschedule", {"milestone": ms[0].pk, "new_due": "2026-10-30"}, chair),
        ("rescope", {"milestone": ms[1].pk, "deliverables": "工程样机两台", "acceptance_criteria": "连续运行 72 小时"}, chair),
        ("reallocate_budget", {f"tranche_{ms[0].pk}": "120", f"tranche_{ms[1].pk}": "80", f"tranche_{ms[2].pk}": "100"}, chair),
        ("converge_route", {"selected_route": ion.pk, f"lessons_{sc.pk}": "低温系统成本过高。"}, chair),
        ("change_team", {"lead": other_lead.pk}, chair),
        ("suspend", {}, admin),
        ("resume", {}, admin),
        ("terminate", {}, admin),
    ]
    for kind, data, decider in cases:
        cr = _file(client, p, kind, data)
        _approve_and_apply(client, cr, decider)
        client.force_login(p.pm_team.lead)
        html = client.get(reverse("milestones:change_request_detail", args=[cr.pk])).content.decode()
        assert 'id="before-after"' in html, kind
    p.refresh_from_db()
    assert p.status == "terminated"
    assert p.lead_id == other_lead.pk
    assert Milestone.objects.get(pk=ms[0].pk).current_due == dt.date(2026, 10, 30)
    assert Milestone.objects.get(pk=ms[1].pk).deliverables == "工程样机两台"
    assert str(Milestone.objects.get(pk=ms[0].pk).tranche_amount) == "1200000.00"
    assert TechnologyRoute.objects.get(pk=ion.pk).status == "selected"


def test_chair_approves_a_suspend_but_an_admin_applies_it(client, active_project):
    gate = GateReviewFactory(
        project=active_project,
        milestone=Milestone.objects.get(project=active_project, sequence=1),
        kind="milestone",
        due_date=dt.date(2026, 9, 30),
    )
    cr = _file(client, active_project, "suspend", {})
    client.force_login(gate.chair)
    client.post(reverse("milestones:change_request_transition", args=[cr.pk, "approve"]), {"note": "同意"})
    html = client.get(reverse("milestones:change_request_detail", args=[cr.pk])).content.decode()
    assert reverse("milestones:change_request_transition", args=[cr.pk, "apply"]) not in html
    assert 'id="admin-applies"' in html


def test_the_pm_withdraws_a_submitted_request(client, active_project):
    cr = _file(client, active_project, "suspend", {})
    url = reverse("milestones:change_request_detail", args=[cr.pk])
    assert reverse("milestones:change_request_transition", args=[cr.pk, "withdraw"]) in client.get(url).content.decode()
    client.post(reverse("milestones:change_request_transition", args=[cr.pk, "withdraw"]))
    cr.refresh_from_db()
    assert cr.status == "withdrawn"


def test_detail_page_shows_what_was_asked_with_labels_not_payload_keys(client, active_project):
    ion, sc = list(TechnologyRoute.objects.filter(project=active_project).order_by("id"))
    cr = _file(client, active_project, "converge_route", {"selected_route": ion.pk, f"lessons_{sc.pk}": "成本过高。"})
    html = client.get(reverse("milestones:change_request_detail", args=[cr.pk])).content.decode()
    payload = html[html.index('id="cr-payload"') :].split("</dl>")[0]
    assert "选定路线" in payload and "离子阱路线" in payload and "放弃“超导路线”" in payload
    assert "selected_route_id" not in payload and "dropped" not in payload
