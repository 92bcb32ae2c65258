"""Reads about gate reviews: the computed outcome, the reviewer's inbox, the chair's view, and who
sees which gates, reviewer assignments and scorecards (the one implementation of those rules: the web
and the API both use it).

The computed outcome (``outcome_compute``) is a pure function over the submitted scorecards of
unconflicted reviewers. Its rules, in order:

1. **Quorum** — fewer submitted scorecards than the gate's quorum → ``hold``. Without a quorum the
   chair may only hold the gate (or cancel it); ``gate_decide`` refuses every other outcome.
2. **Must-meet veto** — a must-meet criterion failed by a majority (more than half) of the
   reviewers → ``kill`` at a screening (or comparative) gate, ``recycle`` at a milestone or final
   gate: a milestone that misses its exam is revised and resubmitted (DESIGN.md §3 "closing ←
   recycle from a failed final acceptance"); ending a funded project is a separate, deliberate step.
3. **Consensus** — the most common recommendation has ≥ 2/3 of the votes → that recommendation
   (at a screening gate ``recycle`` reads as ``hold``: there is no milestone to rework).
4. **No consensus** — if ≥ 2/3 recommend go or conditional go → ``conditional_go``; otherwise a
   screening gate → ``kill``, a milestone/final gate → ``hold``.
5. **Non-consensus** — at a screening gate with quorum, no consensus *or* a score spread (population
   standard deviation of the reviewers' weighted scores) ≥ ``PMFLOW['NON_CONSENSUS_SPREAD_THRESHOLD']``
   (default 20 points), and at least one champion, the gate is ``non_consensus_eligible``; a computed
   ``kill`` that is not a must-meet veto then becomes ``non_consensus`` (DESIGN.md §4: "instead of
   rejected"). The chair may still choose ``non_consensus`` against a veto, with a rationale.

Weighted score of one reviewer = Σ weight × score / Σ weight over the should-meet criteria; the
gate's weighted score is the mean over reviewers.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from milestones.models import (
    CriterionScore,
    DecisionOutcome,
    GateCriterion,
    GateKind,
    GateReview,
    GateState,
    Recommendation,
    ReviewerAssignment,
    Scorecard,
)
from pmflow.errors import Forbidden, NotFound
from pmflow.rules import is_programme_admin
from pmflow.workdays import workdays_between
from projects.models import PMTeamMembership

CONSENSUS_SHARE = Decimal(2) / Decimal(3)
DEFAULT_SPREAD_THRESHOLD = 20
POSITIVE = {Recommendation.GO, Recommendation.CONDITIONAL_GO}
# Most cautious first: used to break ties between equally common recommendations.
CAUTION = [Recommendation.KILL, Recommendation.RECYCLE, Recommendation.HOLD, Recommendation.CONDITIONAL_GO, Recommendation.GO]


def spread_threshold() -> Decimal:
    return Decimal(str(settings.PMFLOW.get("NON_CONSENSUS_SPREAD_THRESHOLD", DEFAULT_SPREAD_THRESHOLD)))


def weighted_score_of(*, criteria: Iterable[Any], scores: dict[int, dict[str, Any]]) -> Decimal | None:
    """Σ weight × score / Σ weight over should-meet criteria (plain mean if all weights are 0);
    None when the gate has no should-meet criteria or none is scored."""
    should = [c for c in criteria if c.kind == GateCriterion.Kind.SHOULD]
    pairs = [(Decimal(c.weight), scores.get(c.pk, {}).get("score")) for c in should]
    pairs = [(w, Decimal(s)) for w, s in pairs if s is not None]
    if not pairs:
        return None
    total_weight = sum(w for w, _ in pairs)
    if total_weight == 0:
        value = sum(s for _, s in pairs) / len(pairs)
    else:
        value = sum(w * s for w, s in pairs) / total_weight
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def must_meet_failed_ids(*, criteria: Iterable[Any], scores: dict[int, dict[str, Any]]) -> list[int]:
    return [c.pk for c in criteria if c.kind == GateCriterion.Kind.MUST and scores.get(c.pk, {}).get("passed") is False]


def outcome_compute(*, kind: str, quorum: int, criteria: list[Any], cards: list[dict[str, Any]]) -> dict[str, Any]:
    """The recommended outcome for a gate (rules in the module docstring).

    ``criteria``: objects with ``pk``, ``kind``, ``weight``, ``title``. ``cards``: the submitted
    scorecards of unconflicted reviewers as ``{"recommendation", "champion", "scores":
    {criterion_id: {"passed": bool|None, "score": int|None}}}``. Pure: no database access.
    """
    n = len(cards)
    quorum_met = n >= quorum
    must = [c for c in criteria if c.kind == GateCriterion.Kind.MUST]
    failed_by_majority = [
        c.pk for c in must if sum(1 for card in cards if card["scores"].get(c.pk, {}).get("passed") is False) * 2 > n
    ]
    weighted = [weighted_score_of(criteria=criteria, scores=card["scores"]) for card in cards]
    values = [w for w in weighted if w is not None]
    mean = (sum(values) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if values else None
    std = Decimal(str(statistics.pstdev([float(v) for v in values]))).quantize(Decimal("0.01")) if values else None
    recs = Counter(card["recommendation"] for card in cards if card["recommendation"])
    if recs:
        top = max(recs.values())
        leading = next(r for r in CAUTION if recs.get(r) == top)
        agreement = (Decimal(top) / Decimal(n)).quantize(Decimal("0.0001"))
    else:
        leading, agreement = "", Decimal(0)
    consensus = n > 0 and Decimal(recs.get(leading, 0)) / Decimal(n) >= CONSENSUS_SHARE
    positive_share = Decimal(sum(recs.get(r, 0) for r in POSITIVE)) / Decimal(n) if n else Decimal(0)
    champions = sum(1 for card in cards if card.get("champion"))
    high_spread = std is not None and std >= spread_threshold()
    screening = kind == GateKind.SCREENING
    eligible = screening and quorum_met and (not consensus or high_spread) and champions >= 1

    if not quorum_met:
        outcome, why = DecisionOutcome.HOLD, "quorum_not_met"
    elif failed_by_majority:
        veto_kill = kind in (GateKind.SCREENING, GateKind.COMPARATIVE)
        outcome, why = (DecisionOutcome.KILL if veto_kill else DecisionOutcome.RECYCLE), "must_meet_failed"
    elif consensus:
        outcome, why = DecisionOutcome(leading), "consensus"
        if screening and outcome == DecisionOutcome.RECYCLE:
            outcome = DecisionOutcome.HOLD
    elif positive_share >= CONSENSUS_SHARE:
        outcome, why = DecisionOutcome.CONDITIONAL_GO, "positive_majority"
    elif screening:
        outcome, why = DecisionOutcome.KILL, "no_consensus"
    else:
        outcome, why = DecisionOutcome.HOLD, "no_consensus"
    if eligible and outcome == DecisionOutcome.KILL and why != "must_meet_failed":
        outcome, why = DecisionOutcome.NON_CONSENSUS, "non_consensus"

    return {
        "kind": kind,
        "submitted": n,
        "quorum": quorum,
        "quorum_met": quorum_met,
        "must_meet_failed": bool(failed_by_majority),
        "must_meet_failed_criteria": failed_by_majority,
        "weighted_score": mean,
        "reviewer_scores": [str(w) if w is not None else None for w in weighted],
        "agreement": agreement,
        "agreement_recommendation": leading,
        "consensus": bool(consensus),
        "recommendations": dict(recs),
        "std": std,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
        "spread_threshold": spread_threshold(),
        "high_spread": bool(high_spread),
        "champions": champions,
        "non_consensus_eligible": bool(eligible),
        "non_consensus_allowed": bool(eligible),
        "outcome": str(outcome),
        "outcome_label": str(DecisionOutcome(outcome).label),
        "basis": why,
    }


# Which outcomes the chair may record, given the gate's kind and its computed outcome: the one rule
# ``gate_decide`` enforces and the decision form offers (only the accepted ones, with the reason for
# the others).
ALLOWED_OUTCOMES: dict[str, set[str]] = {
    GateKind.SCREENING: {
        DecisionOutcome.GO,
        DecisionOutcome.CONDITIONAL_GO,
        DecisionOutcome.HOLD,
        DecisionOutcome.KILL,
        DecisionOutcome.NON_CONSENSUS,
    },
    GateKind.MILESTONE: {
        DecisionOutcome.GO,
        DecisionOutcome.CONDITIONAL_GO,
        DecisionOutcome.HOLD,
        DecisionOutcome.RECYCLE,
        DecisionOutcome.KILL,
    },
    GateKind.FINAL: {
        DecisionOutcome.GO,
        DecisionOutcome.CONDITIONAL_GO,
        DecisionOutcome.HOLD,
        DecisionOutcome.RECYCLE,
        DecisionOutcome.KILL,
    },
    GateKind.COMPARATIVE: {DecisionOutcome.GO, DecisionOutcome.CONDITIONAL_GO, DecisionOutcome.HOLD, DecisionOutcome.KILL},
}


def decision_refusal(*, kind: str, outcome: str, summary: dict[str, Any]) -> str | None:
    """Why ``gate_decide`` refuses ``outcome`` for a gate of ``kind`` with the computed ``summary``
    (``outcome_compute``), or None when it accepts it. Pure."""
    if outcome not in ALLOWED_OUTCOMES.get(kind, ()):
        return _("“%(outcome)s”不适用于%(kind)s。") % {
            "outcome": DecisionOutcome(outcome).label,
            "kind": GateKind(kind).label,
        }
    if outcome == DecisionOutcome.NON_CONSENSUS and not summary["non_consensus_eligible"]:
        return _("只有未形成共识（或评分分歧大）且至少有一位支持专家的立项筛选评审可以转入非共识通道。")
    if not summary["quorum_met"] and outcome != DecisionOutcome.HOLD:
        return _("已提交评分的专家（%(n)d 人）未达到法定人数（%(q)d 人），只能暂缓或取消本次评审。") % {
            "n": summary["submitted"],
            "q": summary["quorum"],
        }
    return None


def decision_options(*, kind: str, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Every decision outcome as ``{"value", "label", "refusal"}`` (``refusal`` None when offered),
    in the order of ``DecisionOutcome``."""
    return [
        {"value": value, "label": label, "refusal": decision_refusal(kind=kind, outcome=value, summary=summary)}
        for value, label in DecisionOutcome.choices
    ]


def summary_jsonable(summary: dict[str, Any]) -> dict[str, Any]:
    """The computed outcome with Decimals as strings (for the decision row and the audit log)."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in summary.items()}


def _card_input(card: Scorecard) -> dict[str, Any]:
    return {
        "recommendation": card.recommendation,
        "champion": card.champion,
        "scores": {s.criterion_id: {"passed": s.passed, "score": s.score} for s in card.scores.all()},
    }


def counted_scorecards(gate: GateReview | Any) -> QuerySet[Scorecard]:
    """Submitted scorecards of reviewers who declared no conflict: the ones the outcome counts."""
    gate_id = gate.pk if isinstance(gate, GateReview) else gate
    return (
        Scorecard.objects.filter(assignment__gate_id=gate_id, assignment__has_conflict=False, submitted_at__isnull=False)
        .select_related("assignment__reviewer")
        .prefetch_related("scores")
        .order_by("assignment_id")
    )


def gate_computed_outcome(*, gate: GateReview) -> dict[str, Any]:
    """The computed outcome of ``gate`` from the database (3 queries)."""
    criteria = list(GateCriterion.objects.filter(gate_id=gate.pk))
    cards = [_card_input(c) for c in counted_scorecards(gate)]
    return outcome_compute(kind=gate.kind, quorum=gate.quorum, criteria=criteria, cards=cards)


# --- who sees what -------------------------------------------------------------------------------
def gates_for_reviewer(user: Any) -> list[dict[str, Any]]:
    """The gates ``user`` is assigned to (newest due first is not useful: soonest due first), with
    the assignment, the scorecard if any and the working days left. One query."""
    today = timezone.localdate()
    assignments = (
        ReviewerAssignment.objects.filter(reviewer_id=user.pk)
        .exclude(gate__status=GateState.CANCELLED)
        .select_related("gate__project", "gate__milestone", "scorecard")
        .order_by("gate__due_date", "gate_id")
    )
    rows = []
    for a in assignments:
        try:
            card = a.scorecard
        except Scorecard.DoesNotExist:
            card = None
        rows.append(
            {
                "assignment": a,
                "gate": a.gate,
                "due_date": a.gate.due_date,
                "workdays_left": workdays_between(today, a.gate.due_date),
                "recused": a.has_conflict is True,
                "declared": a.has_conflict is not None,
                "scorecard": card,
                "submitted": card is not None and card.submitted_at is not None,
            }
        )
    return rows


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def gates_visible_to(user: Any) -> QuerySet[GateReview]:
    """Gate reviews ``user`` may see (``milestones.view_gate`` in milestones/rules.py, as one set):
    programme admins all; the gate's chair; its assigned reviewers, recused or not (a reviewer sees
    only the gates assigned to them); members of the PM team owning the project. The one
    implementation for lists: the API (``milestones.api.visibility.gates_for``) uses it.

    One query besides the admin-group check; the conditions are uncorrelated subqueries run once."""
    qs = GateReview.objects.select_related("project", "milestone", "committee", "chair")
    if not _active(user):
        return qs.none()
    if is_programme_admin(user):
        return qs
    assigned = Q(pk__in=ReviewerAssignment.objects.filter(reviewer_id=user.pk).values("gate_id"))
    team = Q(project__pm_team_id__in=PMTeamMembership.objects.filter(user_id=user.pk).values("team_id"))
    return qs.filter(Q(chair_id=user.pk) | assigned | team)


def assignments_visible_to(user: Any) -> QuerySet[ReviewerAssignment]:
    """Reviewer assignments ``user`` may see: programme admins all; a gate's chair every assignment
    of that gate (the chair's page); a reviewer their own (the inbox), whether declared, recused or
    not. The PM team sees the gate, not who reviews it. One query besides the admin-group check."""
    qs = ReviewerAssignment.objects.select_related("gate", "reviewer")
    if not _active(user):
        return qs.none()
    if is_programme_admin(user):
        return qs
    return qs.filter(Q(gate__chair_id=user.pk) | Q(reviewer_id=user.pk))


def all_scorecards_visible_to(user: Any) -> QuerySet[Scorecard]:
    """The scorecards of every gate that ``user`` may read; the one implementation of the rule,
    used by the web (``scorecards_visible_to``) and the API (``milestones.api.visibility``).

    Programme admins and the gate's chair: every card, drafts included. A reviewer who declared no
    conflict: their own card, and the other unconflicted reviewers' *submitted* cards of the same
    gate once their own is submitted (so nobody anchors on the others' scores; a card whose reviewer
    recused does not count and is not shown, as on the chair's page). Recused, undeclared or
    unassigned users: none (a reviewer who recuses after submitting loses sight of their own card too).

    A set-based filter over all gates: one query besides the admin-group check, whatever the number
    of gates (the "own card submitted" condition is an uncorrelated subquery of the user's gates)."""
    qs = Scorecard.objects.select_related("assignment__gate", "assignment__reviewer")
    if not _active(user):
        return qs.none()
    if is_programme_admin(user):
        return qs
    unconflicted = ReviewerAssignment.objects.filter(reviewer_id=user.pk, has_conflict=False)
    own_submitted_gates = unconflicted.filter(scorecard__submitted_at__isnull=False).values("gate_id")
    return qs.filter(
        Q(assignment__gate__chair_id=user.pk)
        | Q(assignment__reviewer_id=user.pk, assignment__has_conflict=False)
        | Q(submitted_at__isnull=False, assignment__has_conflict=False, assignment__gate_id__in=own_submitted_gates)
    )


def scorecards_visible_to(user: Any, gate: GateReview) -> QuerySet[Scorecard]:
    """The scorecards of ``gate`` that ``user`` may read (rule: ``all_scorecards_visible_to``), with
    their criterion scores, in assignment order. Two queries besides the admin-group check."""
    return (
        all_scorecards_visible_to(user)
        .filter(assignment__gate_id=gate.pk)
        .prefetch_related(Prefetch("scores", queryset=CriterionScore.objects.select_related("criterion")))
        .order_by("assignment_id")
    )


def gate_detail_for_chair(*, actor: Any, gate_id: Any) -> dict[str, Any]:
    """Everything the chair needs to decide: the gate, its criteria, every assignment with its
    scorecard and scores, and the computed outcome. Chair of the gate or programme admin only."""
    try:
        gate = GateReview.objects.select_related("project__pm_team", "milestone", "chair", "committee").get(pk=gate_id)
    except (GateReview.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc
    if not (is_programme_admin(actor) or gate.chair_id == actor.pk):
        if actor.has_perm("milestones.view_gate", gate):
            raise Forbidden()
        raise NotFound()
    criteria = list(GateCriterion.objects.filter(gate_id=gate.pk).order_by("kind", "order", "id"))
    assignments = list(
        ReviewerAssignment.objects.filter(gate_id=gate.pk)
        .select_related("reviewer", "scorecard")
        .prefetch_related("scorecard__scores")
        .order_by("id")
    )
    rows = []
    cards = []
    for a in assignments:
        try:
            card = a.scorecard
        except Scorecard.DoesNotExist:
            card = None
        scores = {s.criterion_id: s for s in card.scores.all()} if card else {}
        rows.append(
            {
                "assignment": a,
                "reviewer": a.reviewer,
                "recused": a.has_conflict is True,
                "scorecard": card,
                "scores": [scores.get(c.pk) for c in criteria],
                "counted": card is not None and card.submitted_at is not None and a.has_conflict is False,
            }
        )
        if card is not None and card.submitted_at is not None and a.has_conflict is False:
            cards.append(_card_input(card))
    summary = outcome_compute(kind=gate.kind, quorum=gate.quorum, criteria=criteria, cards=cards)
    decision = getattr(gate, "decision", None) if gate.status == GateState.DECIDED else None
    return {"gate": gate, "criteria": criteria, "rows": rows, "summary": summary, "decision": decision}
