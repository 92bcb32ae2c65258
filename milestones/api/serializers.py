"""Serializers of the milestones app (representation; input types only — services validate)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from milestones.api.visibility import summary_for_reader
from milestones.models import (
    Assessment,
    AssessmentRecommendation,
    AssessmentRound,
    ChangeKind,
    ChangeRequest,
    DecisionOutcome,
    GateCriterion,
    GateDecision,
    GateKind,
    GateReview,
    Milestone,
    Rating,
    Recommendation,
    ReviewerAssignment,
    Scorecard,
    TrancheRelease,
)
from pmflow.api.base import object_list
from pmflow.api.fields import BoundedDateField, StrictCharField, StrictDecimalField, StrictIdField
from pmflow.api.transitions import available_transitions_field
from pmflow.calendar_api import ProvisionalDateFlagField

MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}


def blank_or_choice(choices: list[tuple[str, str]]) -> serializers.ChoiceField:
    """A read-only choice that may be ``""`` (not set yet). DRF drops ``allow_blank`` from read-only
    model fields, so the schema said "one of the enum" while the API returned ``""``; declared like
    this the schema says "the enum or blank" (``BlankEnum``)."""
    return serializers.ChoiceField(choices=choices, allow_blank=True, read_only=True)


# --- which transitions the transitions endpoint runs (the rest follow from decisions / changes) ----------
MILESTONE_EXPOSED = ("start", "submit", "resume", "conditions_met")
GATE_EXPOSED = ("open", "close", "cancel")
CHANGE_EXPOSED = ("submit", "withdraw", "approve", "reject", "apply")


class MilestoneSerializer(serializers.ModelSerializer):
    tranche_amount = serializers.DecimalField(read_only=True, **MONEY)
    project_code = serializers.CharField(source="project.code", read_only=True)
    # "no calendar data": the due date lies in a year without an entered holiday arrangement
    current_due_provisional = ProvisionalDateFlagField(source="current_due")

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
            "current_due_provisional",
            "tranche_amount",
            "is_final",
            "status",
            "passed_at",
            "created_at",
        ]
        read_only_fields = fields


class MilestoneDetailSerializer(MilestoneSerializer):
    available_transitions = available_transitions_field(Milestone, MILESTONE_EXPOSED)

    class Meta(MilestoneSerializer.Meta):
        fields = [*MilestoneSerializer.Meta.fields, "available_transitions"]
        read_only_fields = fields


class GateReviewSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    due_date_provisional = ProvisionalDateFlagField(source="due_date")

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
            "due_date_provisional",
            "status",
            "opened_at",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields


class GateReviewDetailSerializer(GateReviewSerializer):
    available_transitions = available_transitions_field(GateReview, GATE_EXPOSED)

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
    recommendation = blank_or_choice(Recommendation.choices)

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
    """``computed_summary`` without its per-reviewer part for a reader who may not see the gate's
    scorecards (``visibility.decisions_for`` annotates ``scores_visible``; a row without the
    annotation — the decision just recorded, answered to its chair — is shown whole)."""

    computed_outcome = blank_or_choice(DecisionOutcome.choices)

    def to_representation(self, instance: GateDecision) -> dict:
        data = super().to_representation(instance)
        data["computed_summary"] = summary_for_reader(data["computed_summary"], getattr(instance, "scores_visible", True))
        return data

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
    available_transitions = available_transitions_field(ChangeRequest, CHANGE_EXPOSED)

    class Meta(ChangeRequestSerializer.Meta):
        fields = [*ChangeRequestSerializer.Meta.fields, "available_transitions"]
        read_only_fields = fields


class AssessmentRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentRound
        fields = ["id", "label", "period_start", "period_end", "due_date", "is_open", "opened_at"]
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer):
    # A draft assessment (opened with its round, not yet submitted) has every rating blank.
    scope = blank_or_choice(Rating.choices)
    time = blank_or_choice(Rating.choices)
    cost = blank_or_choice(Rating.choices)
    risk = blank_or_choice(Rating.choices)
    transfer = blank_or_choice(Rating.choices)
    overall = blank_or_choice(Rating.choices)
    recommendation = blank_or_choice(AssessmentRecommendation.choices)

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


def id_field(**kwargs) -> serializers.IntegerField:
    return StrictIdField(**kwargs)


# --- input (types only; the services validate the rules) -------------------------------------------------
class CriterionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=GateCriterion.Kind.choices)
    title = StrictCharField(max_length=200)
    weight = StrictDecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0"), required=False, default=0)


class GateScheduleSerializer(serializers.Serializer):
    project = id_field()
    kind = serializers.ChoiceField(choices=GateKind.choices)
    committee = id_field()
    quorum = serializers.IntegerField(min_value=1, max_value=100, required=False, default=3)
    milestone = id_field(required=False, allow_null=True, default=None)
    due_date = BoundedDateField(required=False, allow_null=True, default=None)
    criteria = object_list(CriterionInputSerializer(), required=False, allow_null=True, default=None, max_length=100)


class ReviewerAssignSerializer(serializers.Serializer):
    reviewer = id_field(help_text="User id of the reviewer.")


class ConflictDeclareSerializer(serializers.Serializer):
    has_conflict = serializers.BooleanField()
    note = StrictCharField(max_length=4000, required=False, allow_blank=True, default="")


class ScorecardInputSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        allow_null=True,
        default=None,
        help_text="`{criterion_id: true|false (must-meet) or 0–100 (should-meet)}`.",
    )
    recommendation = serializers.ChoiceField(choices=Recommendation.choices, required=False, allow_blank=True, default="")
    champion = serializers.BooleanField(required=False, default=False)
    comments = StrictCharField(max_length=20000, required=False, allow_blank=True, default="")


class ConditionInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=300)
    due_date = BoundedDateField()


class GateDecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=DecisionOutcome.choices)
    rationale = StrictCharField(max_length=20000, required=False, allow_blank=True, default="")
    conditions = object_list(ConditionInputSerializer(), required=False, allow_null=True, default=None, max_length=100)
    new_due_date = BoundedDateField(required=False, allow_null=True, default=None)


class ChangeRequestInputSerializer(serializers.Serializer):
    project = id_field()
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    milestone = id_field(required=False, allow_null=True, default=None)
    payload = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)
    reason = StrictCharField(max_length=20000)
    assessment = id_field(required=False, allow_null=True, default=None)


class ChangeRequestPreviewInputSerializer(serializers.Serializer):
    project = id_field()
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    milestone = id_field(required=False, allow_null=True, default=None)
    payload = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)


class ChangeRequestPreviewSerializer(serializers.Serializer):
    payload = serializers.DictField(child=serializers.JSONField())
    before = serializers.DictField(child=serializers.JSONField())
    after = serializers.DictField(child=serializers.JSONField())


class AssessmentRoundOpenSerializer(serializers.Serializer):
    period_start = BoundedDateField()
    period_end = BoundedDateField()
    label = StrictCharField(max_length=40, required=False, allow_null=True, default=None)
    due_date = BoundedDateField(required=False, allow_null=True, default=None)


class AssessmentSubmitSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=Rating.choices)
    time = serializers.ChoiceField(choices=Rating.choices)
    cost = serializers.ChoiceField(choices=Rating.choices)
    risk = serializers.ChoiceField(choices=Rating.choices)
    transfer = serializers.ChoiceField(choices=Rating.choices)
    overall = serializers.ChoiceField(choices=Rating.choices)
    recommendation = serializers.ChoiceField(choices=AssessmentRecommendation.choices)
    comments = StrictCharField(max_length=20000, required=False, allow_blank=True, default="")
