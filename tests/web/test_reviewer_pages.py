"""Reviewer inbox and scorecard pages: conflict declaration first, recusal hides scorecards, submitted
cards are read-only, unassigned users get a friendly 404, and the inbox has a fixed query count."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from milestones.models import ReviewerAssignment, Scorecard
from pmflow.workdays import workdays_between
from tests.factories import UserFactory
from tests.web.conftest import build_gate, put_scorecard

pytestmark = pytest.mark.django_db


def test_inbox_lists_assigned_gates_with_working_days_left(client, gate_setup):
    reviewer = gate_setup.reviewers[0]
    client.force_login(reviewer)
    resp = client.get(reverse("milestones:reviewer_inbox"))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert gate_setup.project.code in html
    left = workdays_between(timezone.localdate(), gate_setup.gate.due_date)
    assert f"剩 {left} 个工作日" in html
    assert "待声明利益冲突" in html


def test_inbox_shows_only_the_reviewers_own_gates(client, reference_data):
    mine = build_gate(reviewers=1)
    other = build_gate(reviewers=1)
    client.force_login(mine.reviewers[0])
    html = client.get(reverse("milestones:reviewer_inbox")).content.decode()
    assert mine.project.code in html
    assert other.project.code not in html


def test_inbox_query_count_does_not_grow_with_the_number_of_gates(client, reference_data, django_assert_num_queries):
    reviewer = UserFactory()
    first = build_gate(reviewers=0)
    ReviewerAssignment.objects.create(gate=first.gate, reviewer=reviewer)
    client.force_login(reviewer)
    url = reverse("milestones:reviewer_inbox")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(6):
        setup = build_gate(reviewers=0)
        ReviewerAssignment.objects.create(gate=setup.gate, reviewer=reviewer)
    with django_assert_num_queries(len(one)):
        resp = client.get(url)
    assert resp.content.decode().count('class="gate-row"') == 7


def test_review_page_asks_for_the_conflict_declaration_before_the_scorecard(client, gate_setup):
    client.force_login(gate_setup.reviewers[0])
    html = client.get(reverse("milestones:review_gate", args=[gate_setup.gate.pk])).content.decode()
    assert 'id="conflict-declaration"' in html
    assert 'id="scorecard-form"' not in html


def test_declared_unconflicted_reviewer_gets_the_scorecard_form(client, gate_setup):
    reviewer = gate_setup.reviewers[0]
    ReviewerAssignment.objects.filter(gate=gate_setup.gate, reviewer=reviewer).update(has_conflict=False)
    client.force_login(reviewer)
    html = client.get(reverse("milestones:review_gate", args=[gate_setup.gate.pk])).content.decode()
    assert 'id="scorecard-form"' in html
    assert f'name="must_{gate_setup.must[0].pk}"' in html
    for c in gate_setup.should:
        assert f'name="score_{c.pk}"' in html
    assert 'name="champion"' in html  # screening gate
    assert 'value="save"' in html and 'value="submit"' in html


def test_champion_flag_is_offered_only_on_screening_gates(client, reference_data):
    setup = build_gate(kind="milestone", reviewers=1)
    ReviewerAssignment.objects.filter(gate=setup.gate).update(has_conflict=False)
    client.force_login(setup.reviewers[0])
    html = client.get(reverse("milestones:review_gate", args=[setup.gate.pk])).content.decode()
    assert 'id="scorecard-form"' in html
    assert 'name="champion"' not in html


def test_recused_reviewer_sees_no_scorecards(client, gate_setup):
    recused, other = gate_setup.reviewers[0], gate_setup.reviewers[1]
    put_scorecard(gate_setup, other, scores=(91, 37))
    ReviewerAssignment.objects.filter(gate=gate_setup.gate, reviewer=recused).update(has_conflict=True)
    client.force_login(recused)
    html = client.get(reverse("milestones:review_gate", args=[gate_setup.gate.pk])).content.decode()
    assert 'id="recused"' in html
    assert 'id="scorecard-form"' not in html
    # the other card's scores appear nowhere as shown text (not a substring test: the page's random
    # CSRF token may contain "91")
    assert re.search(r">\s*(91|37)(\.0+)?\s*<", html) is None
    assert "scorecard-readonly" not in html and "peer-card" not in html
    # …nor the chair's page with everybody's scorecards.
    assert client.get(reverse("milestones:gate_detail", args=[gate_setup.gate.pk])).status_code in (403, 404)


def test_submitted_scorecard_is_read_only(client, gate_setup):
    reviewer = gate_setup.reviewers[0]
    put_scorecard(gate_setup, reviewer, scores=(88, 66))
    client.force_login(reviewer)
    html = client.get(reverse("milestones:review_gate", args=[gate_setup.gate.pk])).content.decode()
    assert "scorecard-readonly" in html
    assert 'id="scorecard-form"' not in html
    assert "88" in html and "66" in html


def test_unassigned_user_gets_a_friendly_not_found(client, gate_setup):
    client.force_login(UserFactory())
    resp = client.get(reverse("milestones:review_gate", args=[gate_setup.gate.pk]))
    assert resp.status_code == 404
    assert b"Traceback" not in resp.content


def test_review_page_query_count_is_fixed(client, reference_data, django_assert_num_queries):
    small = build_gate(reviewers=1)
    put_scorecard(small, small.reviewers[0])
    reviewer = small.reviewers[0]
    big = build_gate(reviewers=0)
    from milestones.models import GateCriterion

    for i in range(8):
        GateCriterion.objects.create(gate=big.gate, kind="should", title=f"指标{i}", weight=10, order=10 + i)
    ReviewerAssignment.objects.create(gate=big.gate, reviewer=reviewer)
    put_scorecard(big, reviewer)
    client.force_login(reviewer)
    client.get(reverse("milestones:review_gate", args=[small.gate.pk]))
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("milestones:review_gate", args=[small.gate.pk])).status_code == 200
    with django_assert_num_queries(len(one)):
        assert client.get(reverse("milestones:review_gate", args=[big.gate.pk])).status_code == 200


def test_anonymous_user_is_sent_to_login(client, gate_setup):
    resp = client.get(reverse("milestones:reviewer_inbox"))
    assert resp.status_code == 302
    assert "login" in resp["Location"]


def _declare(client, gate, *, conflict: bool):
    return client.post(
        reverse("milestones:review_declare", args=[gate.pk]), {"has_conflict": "yes" if conflict else "no", "note": ""}
    )


def test_declaring_a_conflict_recuses_the_reviewer(client, gate_setup):
    pytest.importorskip("milestones.services.gates")
    reviewer = gate_setup.reviewers[0]
    client.force_login(reviewer)
    resp = _declare(client, gate_setup.gate, conflict=True)
    assert resp.status_code == 302
    assert ReviewerAssignment.objects.get(gate=gate_setup.gate, reviewer=reviewer).has_conflict is True
    html = client.get(reverse("milestones:review_gate", args=[gate_setup.gate.pk])).content.decode()
    assert 'id="recused"' in html


def test_draft_save_then_submit_makes_the_scorecard_immutable(client, gate_setup):
    pytest.importorskip("milestones.services.gates")
    reviewer = gate_setup.reviewers[0]
    client.force_login(reviewer)
    assert _declare(client, gate_setup.gate, conflict=False).status_code == 302
    url = reverse("milestones:review_scorecard", args=[gate_setup.gate.pk])
    data = {
        f"must_{gate_setup.must[0].pk}": "pass",
        f"score_{gate_setup.should[0].pk}": "80",
        f"score_{gate_setup.should[1].pk}": "60",
        "recommendation": "go",
        "comments": "草稿",
        "action": "save",
    }
    assert client.post(url, data).status_code == 302
    card = Scorecard.objects.get(assignment__gate=gate_setup.gate, assignment__reviewer=reviewer)
    assert card.submitted_at is None
    assert card.comments == "草稿"
    html = client.get(reverse("milestones:review_gate", args=[gate_setup.gate.pk])).content.decode()
    assert 'value="80"' in html  # the draft comes back into the form

    data.update(action="submit", comments="最终意见")
    assert client.post(url, data).status_code == 302
    card.refresh_from_db()
    assert card.submitted_at is not None
    assert card.comments == "最终意见"

    data.update(action="save", comments="改不了")
    resp = client.post(url, data)
    assert resp.status_code in (400, 409)
    card.refresh_from_db()
    assert card.comments == "最终意见"


def test_scores_out_of_range_are_refused_with_a_field_message(client, gate_setup):
    reviewer = gate_setup.reviewers[0]
    ReviewerAssignment.objects.filter(gate=gate_setup.gate, reviewer=reviewer).update(has_conflict=False)
    client.force_login(reviewer)
    resp = client.post(
        reverse("milestones:review_scorecard", args=[gate_setup.gate.pk]),
        {f"score_{gate_setup.should[0].pk}": "130", "action": "save"},
    )
    assert resp.status_code == 400
    assert not Scorecard.objects.filter(assignment__reviewer=reviewer).exists()


def test_overdue_gate_shows_overdue_working_days(client, reference_data):
    setup = build_gate(reviewers=1, due=dt.date.today() - dt.timedelta(days=10))
    client.force_login(setup.reviewers[0])
    assert "已逾期" in client.get(reverse("milestones:reviewer_inbox")).content.decode()


def test_long_inbox_is_paginated(client, reference_data):
    reviewer = UserFactory()
    for _ in range(27):
        setup = build_gate(reviewers=0)
        ReviewerAssignment.objects.create(gate=setup.gate, reviewer=reviewer)
    client.force_login(reviewer)
    first = client.get(reverse("milestones:reviewer_inbox")).content.decode()
    assert first.count('class="gate-row"') == 25
    assert "page=2" in first
    second = client.get(reverse("milestones:reviewer_inbox"), {"page": 2}).content.decode()
    assert second.count('class="gate-row"') == 2


# --- the inbox by urgency ----------------------------------------------------------------------------
def _inbox_rows(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'class="gate-row" data-gate="(\d+)"', html)]


def _reviewer_portfolio(reviewer):
    """One assignment of ``reviewer`` in each situation; returns gate ids by name."""
    from milestones.models import GateReview

    today = dt.date.today()
    made = {}

    def gate(name, *, status, due, declare=None, submit=False, draft=False):
        setup = build_gate(reviewers=0, status=status, due=due)
        ReviewerAssignment.objects.create(gate=setup.gate, reviewer=reviewer, has_conflict=declare)
        setup.reviewers.append(reviewer)
        if submit:
            put_scorecard(setup, reviewer)
        if draft:
            a = ReviewerAssignment.objects.get(gate=setup.gate, reviewer=reviewer)
            Scorecard.objects.create(assignment=a, recommendation="go")
        made[name] = setup.gate.pk
        return GateReview.objects.get(pk=setup.gate.pk)

    gate("undeclared", status="open", due=today + dt.timedelta(days=9))
    gate("undeclared_late", status="open", due=today - dt.timedelta(days=8))
    gate("draft", status="open", due=today + dt.timedelta(days=4), declare=False, draft=True)
    gate("scheduled_undeclared", status="scheduled", due=today + dt.timedelta(days=30))
    gate("submitted", status="open", due=today + dt.timedelta(days=2), submit=True)
    gate("recused", status="open", due=today + dt.timedelta(days=6), declare=True)
    gate("closed_waiting", status="closed", due=today - dt.timedelta(days=3), submit=True)
    gate("decided_late", status="decided", due=today - dt.timedelta(days=400), submit=True)
    gate("cancelled", status="cancelled", due=today + dt.timedelta(days=1))
    return made


def test_inbox_opens_on_needs_my_action_sorted_by_due_date(client, reference_data):
    reviewer = UserFactory()
    g = _reviewer_portfolio(reviewer)
    client.force_login(reviewer)
    html = client.get(reverse("milestones:reviewer_inbox")).content.decode()
    # to declare (open or scheduled gate) or to score (open gate, a draft is not scored yet)
    assert _inbox_rows(html) == [g["undeclared_late"], g["draft"], g["undeclared"], g["scheduled_undeclared"]]
    assert re.search(r'class="active" aria-current="page">需要我处理 <span class="badge badge-warn">4</span>', html)
    assert re.search(r'data-tab="progress">进行中 <span class="badge">3</span>', html)
    assert re.search(r'data-tab="done">已完成 <span class="badge">2</span>', html)
    progress = client.get(reverse("milestones:reviewer_inbox") + "?tab=progress").content.decode()
    assert _inbox_rows(progress) == [g["closed_waiting"], g["submitted"], g["recused"]]
    done = client.get(reverse("milestones:reviewer_inbox") + "?tab=done").content.decode()
    assert _inbox_rows(done) == [g["cancelled"], g["decided_late"]]


def test_inbox_shows_overdue_only_for_work_still_open(client, reference_data):
    reviewer = UserFactory()
    _reviewer_portfolio(reviewer)
    client.force_login(reviewer)
    action = client.get(reverse("milestones:reviewer_inbox")).content.decode()
    assert action.count("已逾期") == 1  # the open, undeclared gate past its due date
    for tab in ("progress", "done"):
        html = client.get(reverse("milestones:reviewer_inbox") + f"?tab={tab}").content.decode()
        assert "已逾期" not in html and 'class="overdue"' not in html, tab


def test_inbox_query_count_is_the_same_for_every_tab(client, reference_data, django_assert_num_queries):
    reviewer = UserFactory()
    _reviewer_portfolio(reviewer)
    client.force_login(reviewer)
    url = reverse("milestones:reviewer_inbox")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _reviewer_portfolio(reviewer)
    for tab in ("action", "progress", "done"):
        with django_assert_num_queries(len(one)):
            assert client.get(f"{url}?tab={tab}").status_code == 200


def test_a_decided_gate_offers_no_declaration_and_is_not_overdue(client, reference_data):
    setup = build_gate(reviewers=1, status="decided", due=dt.date.today() - dt.timedelta(days=90))
    client.force_login(setup.reviewers[0])
    html = client.get(reverse("milestones:review_gate", args=[setup.gate.pk])).content.decode()
    assert 'id="declaration-closed"' in html
    assert 'id="conflict-declaration"' not in html and reverse("milestones:review_declare", args=[setup.gate.pk]) not in html
    assert "已逾期" not in html
