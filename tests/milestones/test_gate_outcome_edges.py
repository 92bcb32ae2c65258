"""Edges of the computed outcome (``outcome_compute``, a pure function) that a mutation run showed
nobody checked: the "positive majority" rule exactly at 2/3 and just under it; should-meet weights
that change the outcome when unequal; all-zero weights (the plain mean)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from milestones.models import DecisionOutcome, GateKind
from milestones.selectors.gates import CONSENSUS_SHARE, outcome_compute, weighted_score_of

MUST = SimpleNamespace(pk=1, kind="must", weight=Decimal(0), title="合规")


def should(pk: int, weight: str) -> SimpleNamespace:
    return SimpleNamespace(pk=pk, kind="should", weight=Decimal(weight), title=f"指标{pk}")


def card(rec: str, scores: dict[int, int] | None = None, champion: bool = False) -> dict:
    return {
        "recommendation": rec,
        "champion": champion,
        "scores": {
            MUST.pk: {"passed": True, "score": None},
            **{pk: {"passed": None, "score": s} for pk, s in (scores or {}).items()},
        },
    }


def compute(kind: str, recs: list[str], criteria=None, cards=None) -> dict:
    cards = cards if cards is not None else [card(r) for r in recs]
    return outcome_compute(kind=kind, quorum=len(cards), criteria=criteria or [MUST], cards=cards)


# --- positive majority -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", [GateKind.SCREENING, GateKind.MILESTONE])
def test_positive_majority_exactly_at_two_thirds_is_conditional_go(kind):
    # 3 reviewers: go, conditional go, kill — no recommendation has 2/3, but 2/3 are positive.
    summary = compute(kind, ["go", "conditional_go", "kill"])
    assert summary["consensus"] is False
    assert summary["outcome"] == DecisionOutcome.CONDITIONAL_GO
    assert summary["basis"] == "positive_majority"


@pytest.mark.parametrize("kind", [GateKind.SCREENING, GateKind.MILESTONE])
def test_positive_majority_at_four_of_six_is_conditional_go(kind):
    summary = compute(kind, ["go", "go", "conditional_go", "conditional_go", "kill", "hold"])
    assert Decimal(4) / Decimal(6) >= CONSENSUS_SHARE
    assert summary["outcome"] == DecisionOutcome.CONDITIONAL_GO and summary["basis"] == "positive_majority"


@pytest.mark.parametrize(
    ("kind", "expected"), [(GateKind.SCREENING, DecisionOutcome.KILL), (GateKind.MILESTONE, DecisionOutcome.HOLD)]
)
def test_just_under_two_thirds_positive_is_no_consensus(kind, expected):
    # 3 of 5 positive (60 %) and no recommendation with 2/3.
    summary = compute(kind, ["go", "go", "conditional_go", "kill", "hold"])
    assert summary["consensus"] is False
    assert summary["outcome"] == expected and summary["basis"] == "no_consensus"


def test_consensus_exactly_at_two_thirds_wins_over_positive_majority():
    summary = compute(GateKind.MILESTONE, ["hold", "hold", "go"])
    assert summary["consensus"] is True
    assert summary["outcome"] == DecisionOutcome.HOLD and summary["basis"] == "consensus"
    assert summary["agreement"] == Decimal("0.6667")


# --- weights -----------------------------------------------------------------------------------------
TWO = [should(2, "9"), should(3, "1")]
SPLIT = {"a": {2: 90, 3: 10}, "b": {2: 10, 3: 90}}


def test_unequal_weights_weigh_each_score():
    assert weighted_score_of(criteria=TWO, scores={2: {"score": 90}, 3: {"score": 10}}) == Decimal("82.00")
    assert weighted_score_of(criteria=TWO, scores={2: {"score": 10}, 3: {"score": 90}}) == Decimal("18.00")
    equal = [should(2, "1"), should(3, "1")]
    assert weighted_score_of(criteria=equal, scores={2: {"score": 90}, 3: {"score": 10}}) == Decimal("50.00")


def test_unequal_weights_change_the_outcome_through_the_spread():
    """Two reviewers agree on kill, one is a champion. With equal weights their scores are equal
    (50 and 50: no spread) → kill; weighted 9:1 the same answers are 82 and 18 (spread 32 ≥ 20)
    → the screening gate becomes non-consensus eligible → non_consensus."""
    for weights, expected in [(("1", "1"), DecisionOutcome.KILL), (("9", "1"), DecisionOutcome.NON_CONSENSUS)]:
        criteria = [MUST, should(2, weights[0]), should(3, weights[1])]
        cards = [card("kill", SPLIT["a"], champion=True), card("kill", SPLIT["b"])]
        summary = compute(GateKind.SCREENING, [], criteria=criteria, cards=cards)
        assert summary["outcome"] == expected, (weights, summary)
    assert summary["high_spread"] is True and summary["std"] == Decimal("32.00")


def test_all_zero_weights_take_the_plain_mean():
    zero = [should(2, "0"), should(3, "0")]
    assert weighted_score_of(criteria=zero, scores={2: {"score": 90}, 3: {"score": 11}}) == Decimal("50.50")
    cards = [card("kill", SPLIT["a"], champion=True), card("kill", SPLIT["b"])]
    summary = compute(GateKind.SCREENING, [], criteria=[MUST, *zero], cards=cards)
    assert summary["reviewer_scores"] == ["50.00", "50.00"]
    assert summary["outcome"] == DecisionOutcome.KILL and summary["high_spread"] is False


def test_a_zero_weight_beside_a_positive_one_does_not_count():
    criteria = [should(2, "0"), should(3, "1")]
    assert weighted_score_of(criteria=criteria, scores={2: {"score": 0}, 3: {"score": 80}}) == Decimal("80.00")


def test_no_should_meet_criteria_or_no_scores_give_no_weighted_score():
    assert weighted_score_of(criteria=[MUST], scores={}) is None
    assert weighted_score_of(criteria=TWO, scores={2: {"score": None}}) is None
