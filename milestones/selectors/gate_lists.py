"""The reviewer's inbox and the chair's gate list, by urgency.

Each row falls in one of three tabs, computed in SQL (one ``CASE``) so that the tab filter, the
per-tab counts and the page are each one query whatever the number of gates:

- ``action`` — *needs my action* (the default tab).
  A reviewer: an assignment still to declare (gate scheduled or open) or, declared without conflict,
  still to score (gate open; a draft counts as not scored).
  A chair (or programme admin): a gate to open (scheduled), to close (open, and every reviewer is in
  or the due date has come), to decide (closed), or a decided screening gate whose project waits in
  ``non_consensus`` for the chair's risk-controlled approval.
- ``progress`` — still running but waiting on someone else (reviewers scoring, the chair deciding).
- ``done`` — decided or cancelled gates.

"Overdue" means something only for work still open: a row says whether it is (``open_work``) and the
pages show the working days left only then.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from milestones.models import GateKind, GateReview, GateState, ReviewerAssignment
from pmflow.rules import is_programme_admin
from projects.models import ProjectState

ACTION, PROGRESS, DONE = "action", "progress", "done"
TABS = (ACTION, PROGRESS, DONE)
FINAL_GATE_STATES = (GateState.DECIDED, GateState.CANCELLED)


def tab_of(value: Any) -> str:
    """The tab named in a query string, ``action`` for anything else."""
    return value if value in TABS else ACTION


def _outstanding_q(prefix: str = "") -> Q:
    """Assignments whose reviewer is not in yet: undeclared, or unconflicted without a submitted card."""
    return Q(**{f"{prefix}has_conflict__isnull": True}) | Q(
        **{f"{prefix}has_conflict": False, f"{prefix}scorecard__submitted_at__isnull": True}
    )


def _tab_filters(*, action: Q, done: Q) -> dict[str, Q]:
    """Each tab as a plain predicate (the same partition as one ``CASE``: done wins, then action, the
    rest is progress), so the page's query can use the indexes on status and due date instead of
    computing a bucket for every row."""
    return {DONE: done, ACTION: action & ~done, PROGRESS: ~done & ~action}


def _counts(qs: QuerySet[Any], tabs: dict[str, Q]) -> dict[str, int]:
    """The number of rows in each tab: one pass with conditional counts."""
    return qs.order_by().aggregate(**{tab: Count("pk", filter=q) for tab, q in tabs.items()})


# --- reviewer --------------------------------------------------------------------------------------
def reviewer_action_q() -> Q:
    """An assignment that needs its reviewer: declare (scheduled/open gate), or score (open gate)."""
    undeclared = Q(has_conflict__isnull=True, gate__status__in=[GateState.SCHEDULED, GateState.OPEN])
    unscored = Q(has_conflict=False, scorecard__submitted_at__isnull=True, gate__status=GateState.OPEN)
    return undeclared | unscored


def reviewer_assignments_by_tab(user: Any, tab: str) -> tuple[QuerySet[ReviewerAssignment], dict[str, int]]:
    """The user's assignments in ``tab`` (soonest due first; the done tab latest first) and the
    number of assignments in each tab. Two queries (counts, rows) when paged."""
    base = ReviewerAssignment.objects.filter(reviewer_id=user.pk)
    tabs = _tab_filters(action=reviewer_action_q(), done=Q(gate__status__in=FINAL_GATE_STATES))
    order = ("-gate__due_date", "-gate_id") if tab == DONE else ("gate__due_date", "gate_id")
    rows = base.filter(tabs[tab]).select_related("gate__project", "gate__milestone", "scorecard").order_by(*order)
    return rows, _counts(base, tabs)


# --- chair -----------------------------------------------------------------------------------------
def chair_action_q(today: dt.date) -> Q:
    """A gate that needs its chair: open it, close it (everyone in or due), decide it, or approve its
    non-consensus project."""
    outstanding = ReviewerAssignment.objects.filter(_outstanding_q(), gate_id=OuterRef("pk"))
    return (
        Q(status__in=[GateState.SCHEDULED, GateState.CLOSED])
        | (Q(status=GateState.OPEN) & (Q(due_date__lte=today) | ~Exists(outstanding)))
        | Q(status=GateState.DECIDED, kind=GateKind.SCREENING, project__status=ProjectState.NON_CONSENSUS)
    )


def chair_gates_by_tab(user: Any, tab: str) -> tuple[QuerySet[GateReview], dict[str, int]]:
    """The gates ``user`` chairs (a programme admin: every gate) in ``tab``, with submitted /
    assigned / recused counts, and the number of gates in each tab. Two queries (counts, rows) besides
    the admin-group check."""
    gates = GateReview.objects.all()
    if not is_programme_admin(user):
        gates = gates.filter(chair_id=user.pk)
    action = chair_action_q(timezone.localdate())
    tabs = _tab_filters(action=action, done=Q(status__in=FINAL_GATE_STATES) & ~action)
    order = ("-due_date", "-id") if tab == DONE else ("due_date", "id")
    # Per-row counts as correlated subqueries: evaluated for the page's rows only, after the LIMIT
    # (grouped joins counted the assignments of every gate in the tab before sorting).
    assigned = ReviewerAssignment.objects.filter(gate_id=OuterRef("pk"))
    rows = (
        gates.filter(tabs[tab])
        .select_related("project", "milestone")
        .annotate(
            n_assigned=_row_count(assigned),
            n_recused=_row_count(assigned.filter(has_conflict=True)),
            n_submitted=_row_count(assigned.filter(scorecard__submitted_at__isnull=False)),
        )
        .order_by(*order)
    )
    return rows, _counts(gates, tabs)


def _row_count(qs: QuerySet[Any]) -> Coalesce:
    counted = qs.order_by().values("gate_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
