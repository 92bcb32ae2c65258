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

MAX_ID = 2**63 - 1


def id_filter(field_name: str) -> df.NumberFilter:
    return df.NumberFilter(field_name=field_name, min_value=1, max_value=MAX_ID)


class MilestoneFilter(df.FilterSet):
    project = id_filter("project_id")
    status = df.MultipleChoiceFilter(choices=MilestoneState.choices)
    is_final = df.BooleanFilter()
    due_before = df.DateFilter(field_name="current_due", lookup_expr="lte")
    due_after = df.DateFilter(field_name="current_due", lookup_expr="gte")

    class Meta:
        model = Milestone
        fields = ["project", "status", "is_final"]


class GateReviewFilter(df.FilterSet):
    project = id_filter("project_id")
    milestone = id_filter("milestone_id")
    chair = id_filter("chair_id")
    kind = df.ChoiceFilter(choices=GateKind.choices)
    status = df.MultipleChoiceFilter(choices=GateState.choices)
    due_before = df.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = GateReview
        fields = ["project", "milestone", "chair", "kind", "status"]


class ReviewerAssignmentFilter(df.FilterSet):
    gate = id_filter("gate_id")
    reviewer = id_filter("reviewer_id")
    has_conflict = df.BooleanFilter()

    class Meta:
        model = ReviewerAssignment
        fields = ["gate", "reviewer", "has_conflict"]


class ScorecardFilter(df.FilterSet):
    gate = id_filter("assignment__gate_id")
    reviewer = id_filter("assignment__reviewer_id")
    submitted = df.BooleanFilter(field_name="submitted_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Scorecard
        fields = ["gate", "reviewer"]


class GateDecisionFilter(df.FilterSet):
    gate = id_filter("gate_id")
    project = id_filter("gate__project_id")
    outcome = df.ChoiceFilter(choices=DecisionOutcome.choices)

    class Meta:
        model = GateDecision
        fields = ["gate", "project", "outcome"]


class ChangeRequestFilter(df.FilterSet):
    project = id_filter("project_id")
    milestone = id_filter("milestone_id")
    kind = df.ChoiceFilter(choices=ChangeKind.choices)
    status = df.MultipleChoiceFilter(choices=ChangeState.choices)

    class Meta:
        model = ChangeRequest
        fields = ["project", "milestone", "kind", "status"]


class AssessmentRoundFilter(df.FilterSet):
    is_open = df.BooleanFilter()

    class Meta:
        model = AssessmentRound
        fields = ["is_open"]


class AssessmentFilter(df.FilterSet):
    round = id_filter("round_id")
    project = id_filter("project_id")
    overall = df.ChoiceFilter(choices=Rating.choices)

    class Meta:
        model = Assessment
        fields = ["round", "project", "overall"]


class TrancheReleaseFilter(df.FilterSet):
    milestone = id_filter("milestone_id")
    project = id_filter("milestone__project_id")

    class Meta:
        model = TrancheRelease
        fields = ["milestone", "project"]
