"""One rule for who reads which scorecards (and sees which gates and reviewer assignments): the web
selector (``scorecards_visible_to(user, gate)``) and the API list (``GET /api/v1/scorecards/``) give
the same cards, for every role and every state of a reviewer's card.

The rule (``milestones.selectors.gates.all_scorecards_visible_to``): programme admins and the gate's
chair read every card, drafts included; a reviewer who declared no conflict reads their own card, and
the other reviewers' submitted cards of that gate once their own is submitted; recused, undeclared
and unassigned users read none.

The world: gate A, where the *subject* reviewer's card is in the state under test, a peer has
submitted, a second peer holds a draft and a third is recused; gate B (same committee and PM team),
where the subject is assigned but undeclared and the peer has submitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from milestones.models import GateCriterion, GateReview, ReviewerAssignment, Scorecard
from milestones.selectors.gates import (
    all_scorecards_visible_to,
    assignments_visible_to,
    gates_visible_to,
    scorecards_visible_to,
)
from milestones.services.gates import assignment_declare_conflict, scorecard_save
from pmflow.rules import is_programme_admin
from tests.api.conftest import client_for
from tests.milestones.conftest import Cast, project_in, review, screening_gate

pytestmark = pytest.mark.django_db

# The subject reviewer's state on gate A.
STATES = ["undeclared", "recused", "declared_no_card", "draft", "submitted", "recused_after_submitting"]
SUBJECT_HAS_CARD = {"draft", "submitted", "recused_after_submitting"}
SUBJECT_SUBMITTED = {"submitted", "recused_after_submitting"}

# Cards in the world: the subject's (gate A, if any), the peer's submitted card and the drafting
# peer's draft (gate A), the peer's submitted card on gate B.
ALL_CARDS = {"peer_submitted", "peer_draft", "gate_b_peer_submitted"}


def _expected(role: str, state: str) -> set[str]:
    """The table: which cards ``role`` reads when the subject's card on gate A is in ``state``."""
    subject_card = {"subject"} if state in SUBJECT_HAS_CARD else set()
    if role in ("admin", "chair"):
        return ALL_CARDS | subject_card
    if role == "subject":
        return {
            "undeclared": set(),
            "recused": set(),
            "declared_no_card": set(),
            "draft": {"subject"},  # own draft only: the others stay hidden until own card is submitted
            "submitted": {"subject", "peer_submitted"},  # never the peer's draft, never gate B
            "recused_after_submitting": set(),  # a recusal hides even one's own card
        }[state]
    if role == "peer":
        # Submitted on both gates: every submitted card of both, but not a card whose author recused
        # after submitting it (it does not count, and the chair's page hides it too).
        return {"peer_submitted", "gate_b_peer_submitted"} | ({"subject"} if state == "submitted" else set())
    if role == "drafting_peer":
        return {"peer_draft"}
    # recused_peer, outsider (committee member not assigned), PM-team lead, project lead.
    return set()


ROLES = ["admin", "chair", "subject", "peer", "drafting_peer", "recused_peer", "outsider", "pm_lead", "project_lead"]
TABLE = [(role, state, _expected(role, state)) for role in ROLES for state in STATES]


@dataclass
class World:
    users: dict[str, Any]
    gate_a: GateReview
    gate_b: GateReview
    cards: dict[int, str]  # scorecard id → label


def _scores(gate: GateReview) -> dict[int, Any]:
    return {c.pk: (True if c.kind == GateCriterion.Kind.MUST else 70) for c in GateCriterion.objects.filter(gate=gate)}


def _declare(gate: GateReview, user: Any, *, conflict: bool) -> None:
    assignment = ReviewerAssignment.objects.get(gate=gate, reviewer=user)
    assignment_declare_conflict(actor=user, assignment_id=assignment.pk, has_conflict=conflict)


def _put_subject(gate: GateReview, subject: Any, state: str) -> None:
    if state == "recused":
        _declare(gate, subject, conflict=True)
    elif state == "declared_no_card":
        _declare(gate, subject, conflict=False)
    elif state == "draft":
        _declare(gate, subject, conflict=False)
        scorecard_save(actor=subject, gate_id=gate.pk, scores=_scores(gate), recommendation="hold")
    elif state == "submitted":
        review(gate, subject, rec="go")
    elif state == "recused_after_submitting":
        review(gate, subject, rec="go")
        _declare(gate, subject, conflict=True)
    else:
        assert state == "undeclared"


def _world(cast: Cast, state: str) -> World:
    subject, peer, drafting_peer, recused_peer, outsider = cast.reviewers
    gate_a = screening_gate(cast, project_in(cast), reviewers=4)
    gate_b = screening_gate(cast, project_in(cast), reviewers=2)
    review(gate_a, peer, rec="go")
    _declare(gate_a, drafting_peer, conflict=False)
    scorecard_save(actor=drafting_peer, gate_id=gate_a.pk, scores=_scores(gate_a), recommendation="kill")
    _declare(gate_a, recused_peer, conflict=True)
    review(gate_b, peer, rec="hold")
    _put_subject(gate_a, subject, state)

    labels = {
        (gate_a.pk, subject.pk): "subject",
        (gate_a.pk, peer.pk): "peer_submitted",
        (gate_a.pk, drafting_peer.pk): "peer_draft",
        (gate_b.pk, peer.pk): "gate_b_peer_submitted",
    }
    cards = {
        pk: labels[(gate_id, reviewer_id)]
        for pk, gate_id, reviewer_id in Scorecard.objects.values_list("pk", "assignment__gate_id", "assignment__reviewer_id")
    }
    users = {
        "admin": cast.admin,
        "chair": cast.chair,
        "subject": subject,
        "peer": peer,
        "drafting_peer": drafting_peer,
        "recused_peer": recused_peer,
        "outsider": outsider,
        "pm_lead": cast.pm_lead,
        "project_lead": cast.project_lead,
    }
    return World(users=users, gate_a=gate_a, gate_b=gate_b, cards=cards)


def _api_ids(user: Any, url: str) -> set[int]:
    response = client_for(user).get(url, {"page_size": 100})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == len(body["results"])
    return {row["id"] for row in body["results"]}


@pytest.mark.parametrize(("role", "state", "expected"), TABLE, ids=[f"{r}-{s}" for r, s, _e in TABLE])
def test_web_selector_and_api_list_give_the_same_scorecards(cast, role, state, expected):
    world = _world(cast, state)
    user = world.users[role]
    web_a = {c.pk for c in scorecards_visible_to(user, world.gate_a)}
    web_b = {c.pk for c in scorecards_visible_to(user, world.gate_b)}
    api = _api_ids(user, "/api/v1/scorecards/")
    assert api == web_a | web_b
    assert {world.cards[pk] for pk in api} == expected
    assert {c.pk for c in all_scorecards_visible_to(user)} == api
    # The per-gate selector never lets another gate's card through.
    assert all(world.cards[pk] != "gate_b_peer_submitted" for pk in web_a)
    assert all(world.cards[pk] == "gate_b_peer_submitted" for pk in web_b)


def test_an_anonymous_user_reads_no_scorecard_anywhere(cast):
    world = _world(cast, "submitted")
    assert list(scorecards_visible_to(AnonymousUser(), world.gate_a)) == []
    assert list(all_scorecards_visible_to(AnonymousUser())) == []
    assert client_for(None).get("/api/v1/scorecards/").status_code in (401, 403)


def test_an_inactive_reviewer_reads_no_scorecard(cast):
    world = _world(cast, "submitted")
    subject = world.users["subject"]
    subject.is_active = False
    assert list(scorecards_visible_to(subject, world.gate_a)) == []
    assert list(all_scorecards_visible_to(subject)) == []


@pytest.mark.parametrize("role", ["subject", "peer", "chair"])
def test_scorecards_across_any_number_of_gates_are_one_query(cast, role):
    """Set-based: no query per gate (the API lists the cards of every gate at once)."""
    world = _world(cast, "submitted")
    user = world.users[role]
    is_programme_admin(user)  # cached on the user object, as the API's token authentication does
    with CaptureQueriesContext(connection) as few:
        n_few = len(list(all_scorecards_visible_to(user)))
    for _ in range(3):
        gate = screening_gate(cast, project_in(cast), reviewers=2)
        review(gate, cast.reviewers[0], rec="go")
        review(gate, cast.reviewers[1], rec="go")
    with CaptureQueriesContext(connection) as many:
        n_many = len(list(all_scorecards_visible_to(user)))
    assert len(few.captured_queries) == len(many.captured_queries) == 1
    assert n_many == n_few + 6


@pytest.mark.parametrize("role", ROLES)
def test_gates_web_permission_selector_and_api_agree(cast, role):
    """``gates_visible_to`` is ``milestones.view_gate`` as a set; the API lists exactly it."""
    world = _world(cast, "recused")
    user = world.users[role]
    by_rule = {g.pk for g in (world.gate_a, world.gate_b) if user.has_perm("milestones.view_gate", g)}
    assert {g.pk for g in gates_visible_to(user)} == by_rule
    assert _api_ids(user, "/api/v1/gate-reviews/") == by_rule
    expected = {
        "admin": {world.gate_a.pk, world.gate_b.pk},
        "chair": {world.gate_a.pk, world.gate_b.pk},
        "pm_lead": {world.gate_a.pk, world.gate_b.pk},
        "subject": {world.gate_a.pk, world.gate_b.pk},  # recused on A, undeclared on B: still assigned
        "peer": {world.gate_a.pk, world.gate_b.pk},
        "drafting_peer": {world.gate_a.pk},
        "recused_peer": {world.gate_a.pk},
        "outsider": set(),
        "project_lead": set(),
    }[role]
    assert by_rule == expected


@pytest.mark.parametrize("role", ROLES)
def test_assignments_web_selector_and_api_agree(cast, role):
    """Chair and admins every assignment of the gate; a reviewer their own; nobody else any."""
    world = _world(cast, "recused")
    user = world.users[role]
    every = set(ReviewerAssignment.objects.values_list("pk", flat=True))
    own = set(ReviewerAssignment.objects.filter(reviewer=user).values_list("pk", flat=True))
    selected = {a.pk for a in assignments_visible_to(user)}
    assert _api_ids(user, "/api/v1/assignments/") == selected
    assert selected == (every if role in ("admin", "chair") else own)
