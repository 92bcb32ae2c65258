"""The reviewer's page for a gate shows the other reviewers' submitted scorecards, read-only, once the
reviewer's own card is submitted (the rule: ``scorecards_visible_to``); before that a one-line notice
and nothing of the others' cards; a recused reviewer sees none; the chair's page is unchanged; the
query count does not grow with the number of reviewers and criteria."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milestones.models import CriterionScore, GateCriterion, ReviewerAssignment, Scorecard
from tests.factories import UserFactory
from tests.web.conftest import build_gate, put_scorecard

pytestmark = pytest.mark.django_db

NOTICE_ZH = "提交您的评分表后，可查看其他专家已提交的评分表。"


def _page(client, setup) -> str:
    resp = client.get(reverse("milestones:review_gate", args=[setup.gate.pk]))
    assert resp.status_code == 200
    return resp.content.decode()


def _submitted(setup, reviewer, *, name: str, comment: str, scores=(80, 70), passed=True, rec="go") -> Scorecard:
    reviewer.display_name = name
    reviewer.save(update_fields=["display_name"])
    card = put_scorecard(setup, reviewer, scores=scores, passed=passed, rec=rec)
    Scorecard.objects.filter(pk=card.pk).update(comments=comment)
    return card


def _draft(setup, reviewer, *, name: str, comment: str) -> Scorecard:
    reviewer.display_name = name
    reviewer.save(update_fields=["display_name"])
    a = ReviewerAssignment.objects.get(gate=setup.gate, reviewer=reviewer)
    a.has_conflict = False
    a.save(update_fields=["has_conflict"])
    card = Scorecard.objects.create(assignment=a, recommendation="kill", comments=comment)
    CriterionScore.objects.create(scorecard=card, criterion=setup.should[0], score=3)
    return card


@pytest.fixture
def peers(reference_data):
    """Reviewer 0 is "me"; reviewers 1 and 2 submitted, reviewer 3 holds a draft."""
    setup = build_gate(reviewers=4)
    _submitted(setup, setup.reviewers[1], name="甲专家", comment="甲的意见：路线清晰", scores=(90, 40), rec="go")
    _submitted(setup, setup.reviewers[2], name="乙专家", comment="乙的意见：风险偏高", scores=(50, 20), passed=False, rec="kill")
    _draft(setup, setup.reviewers[3], name="丙专家", comment="丙的草稿意见")
    return setup


def _others_content() -> list[str]:
    return ["甲专家", "甲的意见", "乙专家", "乙的意见", "丙专家", "丙的草稿意见"]


@pytest.mark.parametrize("own", ["none", "draft"])
def test_before_submitting_the_page_shows_the_notice_and_nothing_of_the_others(client, peers, own):
    me = peers.reviewers[0]
    if own == "draft":
        _draft(peers, me, name="我自己", comment="我的草稿")
    else:
        ReviewerAssignment.objects.filter(gate=peers.gate, reviewer=me).update(has_conflict=False)
    client.force_login(me)
    html = _page(client, peers)
    assert 'id="scorecard-form"' in html
    assert NOTICE_ZH in html
    assert 'id="peer-cards"' not in html and "peer-card" not in html.replace("peer-cards-notice", "")
    for text in _others_content():
        assert text not in html


def test_after_submitting_the_page_shows_the_others_submitted_cards_and_not_their_drafts(client, peers):
    me = peers.reviewers[0]
    _submitted(peers, me, name="我自己", comment="我的最终意见", scores=(70, 70))
    client.force_login(me)
    html = _page(client, peers)
    assert NOTICE_ZH not in html
    assert 'id="peer-cards"' in html
    section = html[html.index('id="peer-cards"') :]
    assert section.count('class="peer-card"') == 2  # the two submitted others; not mine, not the draft
    # Names, recommendation, each criterion as stored, the stored weighted score and the comment.
    first, second = section.index("甲专家"), section.index("乙专家")
    assert first < second  # assignment order
    card_a, card_b = section[first:second], section[second:]
    assert "甲的意见：路线清晰" in card_a and "通过" in card_a
    assert "<td>90</td>" in card_a and "<td>40</td>" in card_a and "<td>70.00</td>" in card_a  # 90×0.6 + 40×0.4
    assert "符合政策支持方向" in card_a and "满足" in card_a and "不满足" not in card_a
    assert "乙的意见：风险偏高" in card_b and "终止" in card_b
    assert "<td>50</td>" in card_b and "<td>20</td>" in card_b and "<td>38.00</td>" in card_b
    assert "不满足" in card_b
    assert "支持专家" in card_a  # screening gate: the champion flag is part of the card
    # The draft stays hidden; my own card is shown once, above, not among the others.
    assert "丙专家" not in html and "丙的草稿意见" not in html
    assert "我的最终意见" not in section


def test_a_card_submitted_before_its_reviewer_recused_is_not_shown(client, peers):
    me = peers.reviewers[0]
    put_scorecard(peers, me)
    ReviewerAssignment.objects.filter(gate=peers.gate, reviewer=peers.reviewers[2]).update(has_conflict=True)
    client.force_login(me)
    section = _page(client, peers).split('id="peer-cards"', 1)[1]
    assert section.count('class="peer-card"') == 1  # the recused reviewer's card does not count: hidden


def test_after_submitting_with_no_other_card_the_section_says_so(client, reference_data):
    setup = build_gate(reviewers=3)
    me = setup.reviewers[0]
    put_scorecard(setup, me)
    _draft(setup, setup.reviewers[1], name="丁专家", comment="丁的草稿")
    client.force_login(me)
    html = _page(client, setup)
    assert "其他专家尚未提交评分表。" in html
    assert 'class="peer-card"' not in html
    assert "丁专家" not in html and "丁的草稿" not in html


def test_a_recused_reviewer_sees_none_of_the_cards(client, peers):
    me = peers.reviewers[0]
    _submitted(peers, me, name="我自己", comment="我的最终意见")
    ReviewerAssignment.objects.filter(gate=peers.gate, reviewer=me).update(has_conflict=True)  # recused after submitting
    client.force_login(me)
    html = _page(client, peers)
    assert 'id="recused"' in html
    assert 'id="peer-cards"' not in html and NOTICE_ZH not in html
    for text in [*_others_content(), "我的最终意见"]:
        assert text not in html


def test_an_undeclared_reviewer_sees_neither_the_cards_nor_the_notice(client, peers):
    client.force_login(peers.reviewers[0])
    html = _page(client, peers)
    assert 'id="conflict-declaration"' in html
    assert 'id="peer-cards"' not in html and NOTICE_ZH not in html
    for text in _others_content():
        assert text not in html


def test_the_chairs_page_is_unchanged(client, peers):
    _submitted(peers, peers.reviewers[0], name="我自己", comment="我的最终意见")
    client.force_login(peers.chair)
    resp = client.get(reverse("milestones:gate_detail", args=[peers.gate.pk]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "peer-card" not in html and NOTICE_ZH not in html
    # Every reviewer is listed; the submitted cards in full, the draft as "not yet submitted".
    for text in ["我自己", "我的最终意见", "甲专家", "甲的意见：路线清晰", "乙专家", "乙的意见：风险偏高", "丙专家", "尚未提交"]:
        assert text in html
    assert "丙的草稿意见" not in html
    # The chair is not a reviewer of the gate: the reviewer's page stays closed to them.
    assert client.get(reverse("milestones:review_gate", args=[peers.gate.pk])).status_code == 404


def _world(*, reviewers: int, extra_criteria: int):
    setup = build_gate(reviewers=0)
    for i in range(extra_criteria):
        GateCriterion.objects.create(gate=setup.gate, kind="should", title=f"附加指标{i}", weight=Decimal(5), order=10 + i)
    people = [UserFactory() for _ in range(reviewers)]
    for r in people:
        ReviewerAssignment.objects.create(gate=setup.gate, reviewer=r)
    setup.reviewers = people
    for r in people:
        card = put_scorecard(setup, r)
        for c in setup.gate.criteria.filter(title__startswith="附加指标"):
            CriterionScore.objects.create(scorecard=card, criterion=c, score=55)
    return setup


def test_query_count_is_fixed_with_2_or_5_reviewers(client, reference_data, django_assert_num_queries):
    small = _world(reviewers=2, extra_criteria=0)
    big = _world(reviewers=5, extra_criteria=6)
    # One reviewer on both gates, so the same session and user reads both pages.
    me = UserFactory()
    for setup in (small, big):
        ReviewerAssignment.objects.create(gate=setup.gate, reviewer=me)
        put_scorecard(setup, me)
    client.force_login(me)
    _page(client, small)
    with CaptureQueriesContext(connection) as one:
        html = _page(client, small)
    assert html.count('class="peer-card"') == 2
    with django_assert_num_queries(len(one)):
        html = _page(client, big)
    assert html.count('class="peer-card"') == 5
    assert html.count("<td>55</td>") == 5 * 6  # the others' scores on the extra criteria


def test_the_english_page_shows_the_english_strings(client, peers):
    me = peers.reviewers[0]
    ReviewerAssignment.objects.filter(gate=peers.gate, reviewer=me).update(has_conflict=False)
    client.force_login(me)
    url = reverse("milestones:review_gate", args=[peers.gate.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The scorecards other reviewers have submitted become visible once you submit yours." in html
    assert NOTICE_ZH not in html

    _submitted(peers, me, name="我自己", comment="我的最终意见")
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Scorecards of the other reviewers" in html
    assert "其他专家的评分表" not in html
    assert "Weighted score" in html and "Recommendation" in html
