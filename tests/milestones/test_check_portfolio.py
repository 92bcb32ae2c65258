"""``manage.py check_portfolio``: a clean portfolio passes (exit 0); a database broken in one way per
case is caught, the violation named with its rule and object, and the command exits non-zero."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from milestones.models import (
    ChangeKind,
    ChangeRequest,
    ChangeState,
    GateDecision,
    GateKind,
    GateReview,
    GateState,
    Milestone,
    MilestoneState,
    TrancheRelease,
)
from milestones.selectors.portfolio_check import portfolio_check
from pmflow.workdays import is_workday
from projects.models import FundingAward, Project, ProjectState

pytestmark = pytest.mark.django_db

PS = ProjectState
MS = MilestoneState


def _non_workday(after: dt.date) -> dt.date:
    day = after
    while is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _released_milestone() -> Milestone:
    return Milestone.objects.filter(release__isnull=False).select_related("project").order_by("pk").first()


def break_milestone_due(_p: dict) -> str:
    m = Milestone.objects.filter(status=MS.PLANNED).select_related("project").order_by("pk").first()
    Milestone.objects.filter(pk=m.pk).update(current_due=_non_workday(m.current_due))
    return m.project.code


def break_baseline_due(_p: dict) -> str:
    m = Milestone.objects.select_related("project").order_by("pk").first()
    Milestone.objects.filter(pk=m.pk).update(baseline_due=_non_workday(m.baseline_due))
    return m.project.code


def break_gate_due(_p: dict) -> str:
    gate = GateReview.objects.select_related("project").order_by("pk").first()
    GateReview.objects.filter(pk=gate.pk).update(due_date=_non_workday(gate.due_date))
    return gate.project.code


def break_award_cap(_p: dict) -> str:
    award = FundingAward.objects.filter(measure__amount_cap__isnull=False).select_related("project", "measure").first()
    FundingAward.objects.filter(pk=award.pk).update(amount=award.measure.amount_cap + Decimal("0.01"))
    return award.project.code


def break_first_tranche(_p: dict) -> str:
    project = Project.objects.filter(non_consensus_approval__isnull=False).order_by("pk").first()
    Milestone.objects.filter(project=project, sequence=1).update(tranche_amount=project.budget * Decimal("0.5"))
    return project.code


def break_released_over_committed(_p: dict) -> str:
    m = _released_milestone()
    FundingAward.objects.filter(project=m.project).update(status=FundingAward.AwardState.SUPERSEDED)
    return m.project.code


def break_release_not_passed(_p: dict) -> str:
    m = _released_milestone()
    Milestone.objects.filter(pk=m.pk).update(status=MS.PASSED_WITH_CONDITIONS)
    return m.project.code


def break_pending_change(_p: dict) -> str:
    project = Project.objects.filter(status=PS.ACTIVE).order_by("pk").first()
    ChangeRequest.objects.create(
        project=project,
        kind=ChangeKind.CONVERGE_ROUTE,
        payload={"selected": "技术路线A"},  # the old demo's payload, refused by the services
        reason="demo",
        status=ChangeState.SUBMITTED,
        created_by=project.pm_team.lead,
    )
    return project.code


def break_approval_decision(_p: dict) -> str:
    project = Project.objects.filter(status=PS.ACTIVE, non_consensus_approval__isnull=True).order_by("pk").first()
    GateDecision.objects.filter(gate__project=project, gate__kind=GateKind.SCREENING).update(outcome="hold")
    return project.code


def break_milestones_before_approval(_p: dict) -> str:
    project = Project.objects.filter(status=PS.APPROVED).order_by("pk").first()
    Milestone.objects.filter(project=project, sequence=1).update(status=MS.IN_PROGRESS)
    return project.code


def break_passed_without_gate(_p: dict) -> str:
    m = Milestone.objects.filter(status=MS.PASSED).select_related("project").order_by("pk").first()
    GateDecision.objects.filter(gate__milestone=m).update(outcome="hold")
    return m.project.code


def break_in_review_without_gate(_p: dict) -> str:
    m = Milestone.objects.filter(status=MS.IN_REVIEW).select_related("project").order_by("pk").first()
    GateReview.objects.filter(milestone=m).update(status=GateState.CANCELLED)
    return m.project.code


def break_closed_with_open_milestone(_p: dict) -> str:
    m = Milestone.objects.filter(project__status=PS.CLOSED, release__isnull=True).select_related("project").first()
    if m is None:  # every milestone of a closed project was released: reopen the last one's release
        m = Milestone.objects.filter(project__status=PS.CLOSED).select_related("project").order_by("-pk").first()
        TrancheRelease.objects.filter(milestone=m).delete()
    Milestone.objects.filter(pk=m.pk).update(status=MS.IN_PROGRESS)
    return m.project.code


def break_decided_gate_without_decision(_p: dict) -> str:
    project = Project.objects.filter(status=PS.ACTIVE).order_by("pk").first()
    GateReview.objects.create(
        kind=GateKind.COMPARATIVE,
        project=project,
        committee_id=GateReview.objects.values_list("committee_id", flat=True).first(),
        chair_id=GateReview.objects.values_list("chair_id", flat=True).first(),
        quorum=3,
        due_date=Milestone.objects.filter(project=project).values_list("current_due", flat=True).first(),
        status=GateState.DECIDED,
    )
    return project.code


def break_history(_p: dict) -> str:
    project = Project.objects.filter(status=PS.ACTIVE).order_by("pk").first()
    Project.objects.filter(pk=project.pk).update(status=PS.SUSPENDED)
    return project.code


CASES: list[tuple[str, Callable[[dict], str]]] = [
    ("due_not_workday", break_milestone_due),
    ("due_not_workday", break_baseline_due),
    ("due_not_workday", break_gate_due),
    ("award_over_cap", break_award_cap),
    ("first_tranche_over_cap", break_first_tranche),
    ("released_over_committed", break_released_over_committed),
    ("release_not_passed", break_release_not_passed),
    ("pending_change_not_applicable", break_pending_change),
    ("approved_without_decision", break_approval_decision),
    ("milestones_before_approval", break_milestones_before_approval),
    ("passed_without_gate", break_passed_without_gate),
    ("in_review_without_gate", break_in_review_without_gate),
    ("closed_with_open_milestone", break_closed_with_open_milestone),
    ("decided_gate_without_decision", break_decided_gate_without_decision),
    ("state_not_in_history", break_history),
]


@pytest.fixture
def portfolio(reference_data) -> dict:
    """A small benchmark-scale portfolio (bulk generator): every state, releases, awards, a
    non-consensus approval, pending change requests. It passes the validator."""
    call_command("seed_demo", "--projects", "120", "--tasks-per-list", "1", verbosity=0, stdout=io.StringIO())
    return {}


def run_command() -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("check_portfolio", stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_a_clean_portfolio_passes(portfolio):
    assert portfolio_check() == []
    output, error = run_command()
    assert error is None
    assert "no violations" in output


@pytest.mark.parametrize(("rule", "breaker"), CASES, ids=[f"{rule}-{fn.__name__}" for rule, fn in CASES])
def test_each_broken_rule_is_named_with_its_object_and_fails_the_command(portfolio, rule, breaker):
    code = breaker(portfolio)

    violations = [v for v in portfolio_check() if v.rule == rule]
    assert violations, f"{rule} not detected"
    assert any(code in v.obj for v in violations)
    output, error = run_command()
    assert error is not None and "violation" in str(error)
    assert rule in output and code in output


def test_an_award_superseded_from_another_project_after_payment_is_not_a_violation(portfolio):
    """从优、就高、不重复 across projects: a higher award for the same beneficiary and item on another
    project supersedes the paid project's award. The paid project keeps what was paid under it as
    its ceiling (``funding_ceiling``), so its releases are no violation; the new award only tops up."""
    from projects.selectors.funding import funding_ceiling, project_released_total
    from projects.services.funding import funding_award_add
    from tests.factories import make_admin

    paid = (
        FundingAward.objects.filter(
            status=FundingAward.AwardState.ACTIVE,
            project__milestones__release__isnull=False,
            measure__amount_cap__isnull=False,
            measure__ratio_cap__isnull=True,
            measure__one_off=False,
        )
        .select_related("measure", "project")
        .order_by("pk")
        .first()
    )
    assert paid is not None and paid.amount < paid.measure.amount_cap
    released = project_released_total(project_id=paid.project_id)
    assert released > 0
    other = Project.objects.filter(status=PS.ACTIVE).exclude(pk=paid.project_id).order_by("pk").first()
    higher = funding_award_add(
        actor=make_admin(),
        project_id=other.pk,
        beneficiary_id=paid.beneficiary_id,
        measure_code=paid.measure.code,
        amount=paid.measure.amount_cap,
        base_amount=paid.base_amount,
        decision_date=paid.decision_date,
        item_kind=paid.item_kind,
        item_ref=paid.item_ref,
    )
    paid.refresh_from_db()
    assert paid.status == FundingAward.AwardState.SUPERSEDED and paid.superseded_by_id == higher.pk
    assert released <= funding_ceiling(project_id=paid.project_id)
    assert [v for v in portfolio_check() if v.rule == "released_over_committed"] == []
