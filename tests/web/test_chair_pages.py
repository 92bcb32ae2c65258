"""The chair's gate pages: every scorecard, the computed outcome and spread chart, open/close buttons,
the decision form (rationale when departing), the non-consensus option and approval form, fixed
query counts and friendly 403/404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from milestones.models import GateDecision, GateReview, ReviewerAssignment
from projects.models import Project
from tests.factories import UserFactory, make_admin
from tests.web.conftest import build_gate, put_scorecard

pytestmark = pytest.mark.django_db


def _gate_services():
    return pytest.importorskip("milestones.services.gates")


def _decisions():
    return pytest.importorskip("milestones.services.decisions")


def _selector():
    return pytest.importorskip("milestones.selectors.gates")


def test_chair_list_shows_the_gates_they_chair_with_submitted_counts(client, reference_data):
    mine = build_gate(reviewers=3)
    other = build_gate(reviewers=1)
    put_scorecard(mine, mine.reviewers[0])
    client.force_login(mine.chair)
    resp = client.get(reverse("milestones:chair_gates"))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert mine.project.code in html
    assert other.project.code not in html
    assert "1 / 3" in html


def test_chair_list_query_count_is_fixed(client, reference_data, django_assert_num_queries):
    first = build_gate(reviewers=2)
    client.force_login(first.chair)
    url = reverse("milestones:chair_gates")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(5):
        s = build_gate(reviewers=2)
        GateReview.objects.filter(pk=s.gate.pk).update(chair=first.chair)
    with django_assert_num_queries(len(one)):
        resp = client.get(url)
    assert resp.content.decode().count(reverse("milestones:gate_detail", args=[first.gate.pk])) == 1
    assert resp.content.decode().count("/gates/") >= 6


def test_gate_page_shows_every_scorecard_the_outcome_and_the_spread_chart(client, gate_setup):
    _selector()
    put_scorecard(gate_setup, gate_setup.reviewers[0], scores=(90, 80))
    put_scorecard(gate_setup, gate_setup.reviewers[1], scores=(40, 30), rec="kill")
    ReviewerAssignment.objects.filter(gate=gate_setup.gate, reviewer=gate_setup.reviewers[2]).update(has_conflict=True)
    client.force_login(gate_setup.chair)
    resp = client.get(reverse("milestones:gate_detail", args=[gate_setup.gate.pk]))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="computed-outcome"' in html
    assert "<svg" in html and html.count("<circle") == 2
    assert "回避评审" in html
    for r in gate_setup.reviewers[:2]:
        assert str(r) in html


def test_gate_page_query_count_is_fixed(client, reference_data, django_assert_num_queries):
    _selector()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = build_gate(reviewers=2)
    put_scorecard(small, small.reviewers[0])
    big = build_gate(reviewers=7)
    for r in big.reviewers[:6]:
        put_scorecard(big, r)
    GateReview.objects.filter(pk=big.gate.pk).update(chair=small.chair)
    client.force_login(small.chair)
    client.get(reverse("milestones:gate_detail", args=[small.gate.pk]))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("milestones:gate_detail", args=[small.gate.pk]))
    with django_assert_num_queries(len(ctx)):
        assert client.get(reverse("milestones:gate_detail", args=[big.gate.pk])).status_code == 200


def test_reviewer_of_the_gate_gets_a_friendly_forbidden_on_the_chair_page(client, gate_setup):
    client.force_login(gate_setup.reviewers[0])
    resp = client.get(reverse("milestones:gate_detail", args=[gate_setup.gate.pk]))
    assert resp.status_code == 403
    assert b"Traceback" not in resp.content


def test_stranger_gets_not_found_for_the_chair_page(client, gate_setup):
    client.force_login(UserFactory())
    assert client.get(reverse("milestones:gate_detail", args=[gate_setup.gate.pk])).status_code == 404
    assert client.get(reverse("milestones:gate_detail", args=[999999])).status_code == 404


def test_programme_admin_sees_every_gate(client, gate_setup):
    _selector()
    client.force_login(make_admin())
    assert gate_setup.project.code in client.get(reverse("milestones:chair_gates")).content.decode()
    assert client.get(reverse("milestones:gate_detail", args=[gate_setup.gate.pk])).status_code == 200


def test_open_and_close_buttons_move_the_gate(client, reference_data):
    _gate_services()
    _selector()
    setup = build_gate(status="scheduled", reviewers=1)
    client.force_login(setup.chair)
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    assert reverse("milestones:gate_transition", args=[setup.gate.pk, "open"]) in html
    assert client.post(reverse("milestones:gate_transition", args=[setup.gate.pk, "open"])).status_code == 302
    setup.gate.refresh_from_db()
    assert setup.gate.status == "open"
    assert client.post(reverse("milestones:gate_transition", args=[setup.gate.pk, "close"])).status_code == 302
    setup.gate.refresh_from_db()
    assert setup.gate.status == "closed"


def _closed_split_gate(champion: bool):
    setup = build_gate(reviewers=3)
    put_scorecard(setup, setup.reviewers[0], scores=(95, 90), rec="go", champion=champion)
    put_scorecard(setup, setup.reviewers[1], scores=(30, 20), rec="kill")
    put_scorecard(setup, setup.reviewers[2], scores=(60, 55), rec="hold")
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    Project.objects.filter(pk=setup.project.pk).update(status="screening")
    return setup


def test_non_consensus_option_is_offered_only_when_allowed(client, reference_data):
    _selector()
    with_champion = _closed_split_gate(champion=True)
    without = _closed_split_gate(champion=False)
    client.force_login(with_champion.chair)
    html = client.get(reverse("milestones:gate_detail", args=[with_champion.gate.pk])).content.decode()
    assert 'value="non_consensus"' in html
    client.force_login(without.chair)
    html = client.get(reverse("milestones:gate_detail", args=[without.gate.pk])).content.decode()
    assert 'id="decision-form"' in html
    assert 'value="non_consensus"' not in html


def test_departing_from_the_computed_outcome_without_rationale_is_refused(client, reference_data):
    _decisions()
    setup = _closed_split_gate(champion=False)
    client.force_login(setup.chair)
    resp = client.post(reverse("milestones:gate_decide", args=[setup.gate.pk]), {"outcome": "go", "rationale": ""})
    assert resp.status_code == 400
    assert not GateDecision.objects.filter(gate=setup.gate).exists()
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]), {"outcome": "go", "rationale": "主任意见：技术路线有前景。"}
    )
    assert resp.status_code == 302
    assert GateDecision.objects.get(gate=setup.gate).outcome == "go"


def test_non_consensus_path_then_approval_with_the_pm_lead_endorsement(client, reference_data):
    _decisions()
    setup = _closed_split_gate(champion=True)
    client.force_login(setup.chair)
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]),
        {"outcome": "non_consensus", "rationale": "专家意见分歧，有支持专家。"},
    )
    assert resp.status_code == 302, resp.content.decode()[-2000:]
    setup.project.refresh_from_db()
    assert setup.project.status == "non_consensus"
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    assert 'id="non-consensus-approval"' in html
    resp = client.post(
        reverse("milestones:non_consensus_approve", args=[setup.gate.pk]),
        {"endorsement_by": setup.project.pm_team.lead_id, "endorsement": "项目经理团队背书，按风险可控方案推进。"},
    )
    assert resp.status_code == 302
    setup.project.refresh_from_db()
    assert setup.project.status == "approved"


def test_conditional_go_with_condition_rows_creates_tasks_with_due_dates(client, reference_data):
    _decisions()
    import datetime as dt

    from milestones.models import Milestone
    from projects.models import Task
    from tests.factories import MilestoneFactory

    setup = build_gate(kind="milestone", reviewers=3)
    Project.objects.filter(pk=setup.project.pk).update(status="active")
    milestone = MilestoneFactory(project=setup.project, sequence=1)
    Milestone.objects.filter(pk=milestone.pk).update(status="in_review")
    GateReview.objects.filter(pk=setup.gate.pk).update(milestone=milestone)
    for r in setup.reviewers:
        put_scorecard(setup, r, scores=(75, 70), rec="conditional_go")
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    client.force_login(setup.chair)
    due1, due2 = dt.date.today() + dt.timedelta(days=30), dt.date.today() + dt.timedelta(days=60)
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]),
        {
            "outcome": "conditional_go",
            "condition_title_1": "补充第三方测试报告",
            "condition_due_1": due1.isoformat(),
            "condition_title_2": "完成中试线验收",
            "condition_due_2": due2.isoformat(),
        },
    )
    assert resp.status_code == 302, resp.content.decode()[-1500:]
    tasks = Task.objects.filter(gate_decision__gate=setup.gate).order_by("due_date")
    assert [(t.title, t.due_date) for t in tasks] == [("补充第三方测试报告", due1), ("完成中试线验收", due2)]
    milestone.refresh_from_db()
    assert milestone.status == "passed_with_conditions"
    html = client.get(reverse("milestones:gate_detail", args=[setup.gate.pk])).content.decode()
    assert 'id="decision-outcome"' in html


def test_condition_row_without_a_due_date_is_refused(client, reference_data):
    _decisions()
    from milestones.models import Milestone
    from tests.factories import MilestoneFactory

    setup = build_gate(kind="milestone", reviewers=3)
    Project.objects.filter(pk=setup.project.pk).update(status="active")
    milestone = MilestoneFactory(project=setup.project, sequence=1)
    Milestone.objects.filter(pk=milestone.pk).update(status="in_review")
    GateReview.objects.filter(pk=setup.gate.pk).update(milestone=milestone)
    for r in setup.reviewers:
        put_scorecard(setup, r, scores=(75, 70), rec="conditional_go")
    GateReview.objects.filter(pk=setup.gate.pk).update(status="closed")
    client.force_login(setup.chair)
    resp = client.post(
        reverse("milestones:gate_decide", args=[setup.gate.pk]),
        {"outcome": "conditional_go", "condition_title_1": "补充测试报告"},
    )
    assert resp.status_code == 400
    assert not GateDecision.objects.filter(gate=setup.gate).exists()


def test_opening_an_already_open_gate_is_a_friendly_conflict_message(client, gate_setup):
    _gate_services()
    client.force_login(gate_setup.chair)
    resp = client.post(reverse("milestones:gate_transition", args=[gate_setup.gate.pk, "open"]), follow=True)
    assert resp.status_code == 200
    assert 'id="messages"' in resp.content.decode()
    gate_setup.gate.refresh_from_db()
    assert gate_setup.gate.status == "open"


def test_unknown_gate_transition_is_not_found(client, gate_setup):
    client.force_login(gate_setup.chair)
    assert client.post(reverse("milestones:gate_transition", args=[gate_setup.gate.pk, "explode"])).status_code == 404
