"""Serializers of the milestones app (representation; input types only — services validate)."""

from __future__ import annotations

from rest_framework import serializers

from milestones.models import (
    Assessment,
    AssessmentRound,
    ChangeRequest,
    GateDecision,
    GateReview,
    Milestone,
    ReviewerAssignment,
    Scorecard,
    TrancheRelease,
)
from pmflow.api.transitions import available_transitions_field

MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}


class MilestoneSerializer(serializers.ModelSerializer):
    tranche_amount = serializers.DecimalField(read_only=True, **MONEY)
    project_code = serializers.CharField(source="project.code", read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "project",
            "project_code",
            "sequence",
            "title",
            "deliverables",
            "acceptance_criteria",
            "baseline_due",
            "current_due",
            "tranche_amount",
            "is_final",
            "status",
            "passed_at",
            "created_at",
        ]
        read_only_fields = fields


class MilestoneDetailSerializer(MilestoneSerializer):
    available_transitions = available_transitions_field(Milestone)

    class Meta(MilestoneSerializer.Meta):
        fields = [*MilestoneSerializer.Meta.fields, "available_transitions"]
        read_only_fields = fields


class GateReviewSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    committee_name = serializers.CharField(source="committee.name", read_only=True)

    class Meta:
        model = GateReview
        fields = [
            "id",
            "kind",
            "project",
            "project_code",
            "milestone",
            "route_family",
            "committee",
            "committee_name",
            "chair",
            "quorum",
            "due_date",
            "status",
            "opened_at",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields


class GateReviewDetailSerializer(GateReviewSerializer):
    available_transitions = available_transitions_field(GateReview)

    class Meta(GateReviewSerializer.Meta):
        fields = [*GateReviewSerializer.Meta.fields, "available_transitions"]
        read_only_fields = fields


class ReviewerAssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewerAssignment
        fields = ["id", "gate", "reviewer", "has_conflict", "conflict_note", "declared_at", "assigned_at"]
        read_only_fields = fields


class ScorecardSerializer(serializers.ModelSerializer):
    gate = serializers.IntegerField(source="assignment.gate_id", read_only=True)
    reviewer = serializers.IntegerField(source="assignment.reviewer_id", read_only=True)
    weighted_score = serializers.DecimalField(read_only=True, allow_null=True, max_digits=6, decimal_places=2)

    class Meta:
        model = Scorecard
        fields = [
            "id",
            "assignment",
            "gate",
            "reviewer",
            "recommendation",
            "champion",
            "comments",
            "weighted_score",
            "must_meet_failed",
            "submitted_at",
            "updated_at",
        ]
        read_only_fields = fields


class GateDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateDecision
        fields = [
            "id",
            "gate",
            "outcome",
            "computed_outcome",
            "computed_summary",
            "rationale",
            "new_due_date",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class ChangeRequestSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "project",
            "project_code",
            "kind",
            "milestone",
            "payload",
            "before",
            "after",
            "reason",
            "status",
            "created_by",
            "decided_by",
            "decision_note",
            "assessment",
            "created_at",
            "submitted_at",
            "decided_at",
            "applied_at",
        ]
        read_only_fields = fields


class ChangeRequestDetailSerializer(ChangeRequestSerializer):
    available_transitions = available_transitions_field(ChangeRequest)

    class Meta(ChangeRequestSerializer.Meta):
        fields = [*ChangeRequestSerializer.Meta.fields, "available_transitions"]
        read_only_fields = fields


class AssessmentRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentRound
        fields = ["id", "label", "period_start", "period_end", "due_date", "is_open", "opened_at"]
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Assessment
        fields = [
            "id",
            "round",
            "project",
            "scope",
            "time",
            "cost",
            "risk",
            "transfer",
            "overall",
            "recommendation",
            "comments",
            "submitted_by",
            "submitted_at",
        ]
        read_only_fields = fields


class TrancheReleaseSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(read_only=True, **MONEY)
    project = serializers.IntegerField(source="milestone.project_id", read_only=True)

    class Meta:
        model = TrancheRelease
        fields = ["id", "milestone", "project", "amount", "released_by", "released_at"]
        read_only_fields = fields
