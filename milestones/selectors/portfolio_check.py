"""The portfolio validator: checks a whole database against the rules the services enforce.

``portfolio_check()`` returns every violation, each naming its rule and the object. It reads only, and
each rule is one or two set-based queries (never a query per row), so it runs on a 10,000-project
benchmark database in seconds; the one exception is the applicability of pending change requests,
which replays ``milestones.services.change_plans.change_plan`` on each pending request (there are few).

Rules (``RULES``; the code is what ``manage.py check_portfolio`` prints):

- ``due_not_workday``: milestone baseline and current due dates and gate due dates fall on working
  days (``pmflow.workdays``; the services only ever produce working days).
- ``award_over_cap``: an award is within its measure's caps (amount cap; ratio × base, a ratio
  measure needs its base) — ``projects.services.funding.measure_max_amount``.
- ``first_tranche_over_cap``: a project approved on the risk-controlled (non-consensus) track has a
  first tranche of at most its approval's ``first_tranche_share`` of the budget.
- ``released_over_committed``: a project's released tranches do not exceed its funding ceiling
  (``projects.selectors.funding.funding_ceiling``: active awards less what superseded ones had paid,
  plus what was paid under its superseded awards), nor its budget.
- ``release_not_passed``: a tranche is released only for a passed milestone.
- ``pending_change_not_applicable``: every submitted or approved change request can still be applied
  (its change plan validates against the current rows).
- ``approved_without_decision``: a project past approval has a screening gate decided go /
  conditional go, or a non-consensus approval.
- ``milestones_before_approval``: a project never approved has no milestones; one approved but not
  yet active has not started any.
- ``passed_without_gate``: a passed milestone has a decided gate that passed it (conditional go for
  passed with conditions).
- ``in_review_without_gate``: a submitted or in-review milestone has an active gate review.
- ``closed_with_open_milestone``: a closed project has no milestone still open.
- ``decided_gate_without_decision``: a decided gate has its decision row.
- ``state_not_in_history``: a project's state is the one its audit trail last moved it to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, DecimalField, Exists, F, Max, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Floor, Greatest, Round

from milestones.models import (
    ChangeRequest,
    ChangeState,
    DecisionOutcome,
    GateDecision,
    GateReview,
    GateState,
    Milestone,
    MilestoneState,
    NonConsensusApproval,
    TrancheRelease,
)
from milestones.services.change_plans import change_plan
from pmflow.errors import ApplicationError
from pmflow.models import AuditEntry
from pmflow.workdays import is_workday
from projects.models import FundingAward, Project, ProjectState

PS = ProjectState
MS = MilestoneState
MONEY = DecimalField(max_digits=20, decimal_places=2)
#: project states reached only through approval
APPROVED_STATES = (PS.APPROVED, PS.ACTIVE, PS.SUSPENDED, PS.CLOSING, PS.CLOSED)
#: project states before (or instead of) approval: no milestones exist yet
UNAPPROVED_STATES = (PS.DRAFT, PS.SUBMITTED, PS.SCREENING, PS.NON_CONSENSUS, PS.REJECTED)
ACTIVE_GATE_STATES = GateState.ACTIVE_STATES


@dataclass(frozen=True)
class Violation:
    rule: str
    obj: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.obj} — {self.detail}"


def _milestone(code: str, seq: int, pk: int) -> str:
    return f"milestone #{pk} ({code} M{seq})"


def check_due_dates() -> Iterable[Violation]:
    dates: set = set()
    dates.update(Milestone.objects.values_list("baseline_due", flat=True).distinct())
    dates.update(Milestone.objects.values_list("current_due", flat=True).distinct())
    dates.update(GateReview.objects.values_list("due_date", flat=True).distinct())
    off = sorted(d for d in dates if d is not None and not is_workday(d))
    if not off:
        return
    rows = Milestone.objects.filter(Q(baseline_due__in=off) | Q(current_due__in=off)).values_list(
        "pk", "sequence", "project__code", "baseline_due", "current_due"
    )
    off_set = set(off)
    for pk, seq, code, baseline, current in rows.order_by("pk"):
        for name, day in (("baseline_due", baseline), ("current_due", current)):
            if day in off_set:
                yield Violation("due_not_workday", _milestone(code, seq, pk), f"{name} {day.isoformat()} is not a working day")
    gates = GateReview.objects.filter(due_date__in=off).values_list("pk", "project__code", "due_date")
    for pk, code, day in gates.order_by("pk"):
        yield Violation("due_not_workday", f"gate #{pk} ({code})", f"due_date {day.isoformat()} is not a working day")


def check_award_caps() -> Iterable[Violation]:
    ratio_cap = Floor(F("measure__ratio_cap") * F("base_amount") * 100, output_field=MONEY) / 100
    bad = FundingAward.objects.filter(
        Q(measure__amount_cap__isnull=False, amount__gt=F("measure__amount_cap"))
        | Q(measure__ratio_cap__isnull=False, base_amount__isnull=True)
        | Q(measure__ratio_cap__isnull=False, amount__gt=ratio_cap)
    ).values_list("pk", "project__code", "measure__code", "amount", "base_amount", "measure__amount_cap", "measure__ratio_cap")
    for pk, code, measure, amount, base, amount_cap, ratio in bad.order_by("pk"):
        yield Violation(
            "award_over_cap",
            f"award #{pk} ({code}, {measure})",
            f"amount {amount} exceeds the cap (amount cap {amount_cap}, ratio {ratio} × base {base})",
        )


def check_first_tranche_caps() -> Iterable[Violation]:
    share = NonConsensusApproval.objects.filter(project_id=OuterRef("project_id")).values("first_tranche_share")[:1]
    bad = (
        Milestone.objects.filter(sequence=1, project__non_consensus_approval__isnull=False)
        .annotate(cap=Round(F("project__budget") * Subquery(share), 2, output_field=MONEY))
        .filter(tranche_amount__gt=F("cap"))
        .values_list("pk", "sequence", "project__code", "tranche_amount", "cap")
    )
    for pk, seq, code, amount, cap in bad.order_by("pk"):
        yield Violation(
            "first_tranche_over_cap",
            _milestone(code, seq, pk),
            f"first tranche {amount} exceeds the non-consensus cap {cap}",
        )


def check_released() -> Iterable[Violation]:
    released = (
        TrancheRelease.objects.filter(milestone__project_id=OuterRef("pk"))
        .values("milestone__project_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    # The ceiling of ``projects.selectors.funding.funding_ceiling``, per project in one query: an
    # active award adds its amount less ``prior_paid``, a superseded one what had been paid under it
    # (``retained_amount``) — superseding a project's award never lifts nor sinks its ceiling. NULL
    # when the project never had an award: then the budget alone bounds its tranches.
    zero = Value(Decimal(0), output_field=MONEY)
    per_award = Case(
        When(status=FundingAward.AwardState.ACTIVE, then=Greatest(F("amount") - F("prior_paid"), zero)),
        default=Coalesce(F("retained_amount"), zero),
        output_field=MONEY,
    )
    ceiling = (
        FundingAward.objects.filter(project_id=OuterRef("pk"))
        .order_by()
        .values("project_id")
        .annotate(s=Sum(per_award))
        .values("s")
    )
    rows = (
        Project.objects.annotate(
            released=Coalesce(Subquery(released, output_field=MONEY), zero),
            ceiling=Subquery(ceiling, output_field=MONEY),
        )
        .filter(Q(ceiling__isnull=False, released__gt=F("ceiling")) | Q(released__gt=F("budget")))
        .values_list("pk", "code", "released", "ceiling", "budget")
    )
    for pk, code, rel, ceil, budget in rows.order_by("pk"):
        yield Violation(
            "released_over_committed",
            f"project #{pk} ({code})",
            f"released {rel} exceeds its funding ceiling {ceil if ceil is not None else '—'} "
            f"(active awards, superseded ones with what they had paid) or budget {budget}",
        )
    not_passed = TrancheRelease.objects.exclude(milestone__status=MS.PASSED).values_list(
        "milestone_id", "milestone__sequence", "milestone__project__code", "milestone__status"
    )
    for pk, seq, code, status in not_passed.order_by("pk"):
        yield Violation("release_not_passed", _milestone(code, seq, pk), f"tranche released while the milestone is {status}")


def check_pending_changes() -> Iterable[Violation]:
    pending = ChangeRequest.objects.filter(status__in=[ChangeState.SUBMITTED, ChangeState.APPROVED]).select_related(
        "project", "milestone"
    )
    for cr in pending.order_by("pk"):
        try:
            change_plan(kind=cr.kind, project=cr.project, milestone=cr.milestone, payload=cr.payload)
        except ApplicationError as exc:
            fields = getattr(exc, "fields", None) or {}
            detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in fields.items()) or str(exc)
            yield Violation(
                "pending_change_not_applicable",
                f"change request #{cr.pk} ({cr.project.code}, {cr.kind}, {cr.status})",
                detail,
            )


def check_state_combinations() -> Iterable[Violation]:
    approving_gate = GateReview.objects.filter(
        project_id=OuterRef("pk"),
        kind="screening",
        status=GateState.DECIDED,
        decision__outcome__in=[DecisionOutcome.GO, DecisionOutcome.CONDITIONAL_GO],
    )
    nc = NonConsensusApproval.objects.filter(project_id=OuterRef("pk"))
    has_milestones = Milestone.objects.filter(project_id=OuterRef("pk"))
    rows = (
        Project.objects.filter(Q(status__in=APPROVED_STATES) | Q(status=PS.TERMINATED, milestones__isnull=False))
        .distinct()
        .filter(~Exists(approving_gate), ~Exists(nc))
        .values_list("pk", "code", "status")
    )
    for pk, code, status in rows.order_by("pk"):
        yield Violation(
            "approved_without_decision",
            f"project #{pk} ({code})",
            f"{status} without a screening decision to approve it or a non-consensus approval",
        )
    early = (
        Project.objects.filter(status__in=UNAPPROVED_STATES).filter(Exists(has_milestones)).values_list("pk", "code", "status")
    )
    for pk, code, status in early.order_by("pk"):
        yield Violation("milestones_before_approval", f"project #{pk} ({code})", f"{status} project has milestones")
    started = Milestone.objects.filter(project__status=PS.APPROVED).exclude(status=MS.PLANNED)
    for pk, seq, code, status in started.values_list("pk", "sequence", "project__code", "status").order_by("pk"):
        yield Violation("milestones_before_approval", _milestone(code, seq, pk), f"{status} while the project is not yet active")

    passing = GateDecision.objects.filter(gate__milestone_id=OuterRef("pk"), gate__status=GateState.DECIDED)
    passed = Milestone.objects.filter(
        Q(~Exists(passing.filter(outcome__in=[DecisionOutcome.GO, DecisionOutcome.CONDITIONAL_GO])), status=MS.PASSED)
        | Q(~Exists(passing.filter(outcome=DecisionOutcome.CONDITIONAL_GO)), status=MS.PASSED_WITH_CONDITIONS)
    )
    for pk, seq, code, status in passed.values_list("pk", "sequence", "project__code", "status").order_by("pk"):
        yield Violation("passed_without_gate", _milestone(code, seq, pk), f"{status} without a decided gate that passed it")

    active_gate = GateReview.objects.filter(milestone_id=OuterRef("pk"), status__in=ACTIVE_GATE_STATES)
    waiting = Milestone.objects.filter(status__in=[MS.SUBMITTED, MS.IN_REVIEW]).filter(~Exists(active_gate))
    for pk, seq, code, status in waiting.values_list("pk", "sequence", "project__code", "status").order_by("pk"):
        yield Violation("in_review_without_gate", _milestone(code, seq, pk), f"{status} without an active gate review")

    open_in_closed = Milestone.objects.filter(project__status=PS.CLOSED).exclude(status__in=[MS.PASSED, MS.CANCELLED])
    for pk, seq, code, status in open_in_closed.values_list("pk", "sequence", "project__code", "status").order_by("pk"):
        yield Violation("closed_with_open_milestone", _milestone(code, seq, pk), f"{status} in a closed project")

    no_decision = GateReview.objects.filter(status=GateState.DECIDED, decision__isnull=True)
    for pk, code in no_decision.values_list("pk", "project__code").order_by("pk"):
        yield Violation("decided_gate_without_decision", f"gate #{pk} ({code})", "decided without a decision row")


def check_history() -> Iterable[Violation]:
    """The project's state is where the last state-changing audit row of it took it."""
    ct = ContentType.objects.get_for_model(Project)
    last_ids = (
        AuditEntry.objects.filter(content_type=ct)
        .exclude(to_state="")
        .values("object_id")
        .annotate(last=Max("pk"))
        .values("last")
    )
    last_state = dict(AuditEntry.objects.filter(pk__in=Subquery(last_ids)).values_list("object_id", "to_state"))
    for pk, code, status in Project.objects.values_list("pk", "code", "status").order_by("pk").iterator(chunk_size=5000):
        recorded = last_state.get(str(pk))
        if recorded is None and status == PS.DRAFT:
            continue
        if recorded != status:
            yield Violation(
                "state_not_in_history",
                f"project #{pk} ({code})",
                f"state {status}, but its audit trail last moved it to {recorded or 'nothing'}",
            )


RULES: list[tuple[str, Callable[[], Iterable[Violation]]]] = [
    ("due dates on working days", check_due_dates),
    ("awards within their measures' caps", check_award_caps),
    ("non-consensus first tranche within its cap", check_first_tranche_caps),
    ("released within committed, budget; only passed milestones", check_released),
    ("pending change requests applicable", check_pending_changes),
    ("states consistent with approvals, gates and milestones", check_state_combinations),
    ("states consistent with the audit trail", check_history),
]


def portfolio_check() -> list[Violation]:
    """Every violation in the database, rule by rule (empty when the portfolio obeys the rules)."""
    out: list[Violation] = []
    for _name, rule in RULES:
        out.extend(rule())
    return out
