"""django-filter FilterSets for the milestones app's list endpoints."""

from __future__ import annotations

import django_filters as df

from milestones.models import (
    Assessment,
    AssessmentRound,
    ChangeKind,
    ChangeRequest,
    ChangeState,
    DecisionOutcome,
    GateDecision,
    GateKind,
    GateReview,
    GateState,
    Milestone,
    MilestoneState,
    Rating,
    ReviewerAssignment,
    Scorecard,
    TrancheRelease,
)
from pmflow.api.filters import StrictBooleanFilter, StrictFilterSet, id_filter


class MilestoneFilter(StrictFilterSet):
    project = id_filter("project_id")
    status = df.MultipleChoiceFilter(choices=MilestoneState.choices)
    is_final = StrictBooleanFilter()
    due_before = df.DateFilter(field_name="current_due", lookup_expr="lte")
    due_after = df.DateFilter(field_name="current_due", lookup_expr="gte")

    class Meta:
        model = Milestone
        fields = ["project", "status", "is_final"]


class GateReviewFilter(StrictFilterSet):
    project = id_filter("project_id")
    milestone = id_filter("milestone_id")
    chair = id_filter("chair_id")
    kind = df.ChoiceFilter(choices=GateKind.choices)
    status = df.MultipleChoiceFilter(choices=GateState.choices)
    due_before = df.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = GateReview
        fields = ["project", "milestone", "chair", "kind", "status"]


class ReviewerAssignmentFilter(StrictFilterSet):
    gate = id_filter("gate_id")
    reviewer = id_filter("reviewer_id")
    has_conflict = StrictBooleanFilter()

    class Meta:
        model = ReviewerAssignment
        fields = ["gate", "reviewer", "has_conflict"]


class ScorecardFilter(StrictFilterSet):
    gate = id_filter("assignment__gate_id")
    reviewer = id_filter("assignment__reviewer_id")
    submitted = StrictBooleanFilter(field_name="submitted_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Scorecard
        fields = ["gate", "reviewer"]


class GateDecisionFilter(StrictFilterSet):
    gate = id_filter("gate_id")
    project = id_filter("gate__project_id")
    outcome = df.ChoiceFilter(choices=DecisionOutcome.choices)

    class Meta:
        model = GateDecision
        fields = ["gate", "project", "outcome"]


class ChangeRequestFilter(StrictFilterSet):
    project = id_filter("project_id")
    milestone = id_filter("milestone_id")
    kind = df.ChoiceFilter(choices=ChangeKind.choices)
    status = df.MultipleChoiceFilter(choices=ChangeState.choices)

    class Meta:
        model = ChangeRequest
        fields = ["project", "milestone", "kind", "status"]


class AssessmentRoundFilter(StrictFilterSet):
    is_open = StrictBooleanFilter()

    class Meta:
        model = AssessmentRound
        fields = ["is_open"]


class AssessmentFilter(StrictFilterSet):
    round = id_filter("round_id")
    project = id_filter("project_id")
    overall = df.ChoiceFilter(choices=Rating.choices)

    class Meta:
        model = Assessment
        fields = ["round", "project", "overall"]


class TrancheReleaseFilter(StrictFilterSet):
    milestone = id_filter("milestone_id")
    project = id_filter("milestone__project_id")

    class Meta:
        model = TrancheRelease
        fields = ["milestone", "project"]
