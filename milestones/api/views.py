"""API views of the milestones app: thin — visibility-filtered reads, transitions through the
services, and the payload actions once their services exist."""

from __future__ import annotations

from typing import Any

from milestones.api import filters, visibility
from milestones.api.serializers import (
    AssessmentRoundSerializer,
    AssessmentSerializer,
    ChangeRequestDetailSerializer,
    ChangeRequestSerializer,
    GateDecisionSerializer,
    GateReviewDetailSerializer,
    GateReviewSerializer,
    MilestoneDetailSerializer,
    MilestoneSerializer,
    ReviewerAssignmentSerializer,
    ScorecardSerializer,
    TrancheReleaseSerializer,
)
from milestones.models import ChangeRequest, GateReview, Milestone
from pmflow.api.base import ApiReadOnlyViewSet
from pmflow.api.transitions import TransitionViewSetMixin, generic_runner, transition_action


def service_runner(module: str, candidates: list[str], model: type, name: str) -> Any:
    """The resource's own transition service if its module defines one of ``candidates`` (called
    with ``actor``, ``<model>_id``, ``name``, ``reason``), else the generic ``transition_run``."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError:
        return generic_runner(model)
    key = f"{model._meta.model_name}_id"
    for attr in candidates:
        fn = getattr(mod, attr, None)
        if fn is not None:

            def run(*, actor: Any, pk: Any, name: str, reason: str, _fn: Any = fn) -> Any:
                return _fn(actor=actor, **{key: pk}, name=name, reason=reason)

            return run
    return generic_runner(model)


class MilestoneViewSet(TransitionViewSetMixin, ApiReadOnlyViewSet):
    serializer_class = MilestoneSerializer
    detail_serializer_class = MilestoneDetailSerializer
    filterset_class = filters.MilestoneFilter
    ordering_fields = ["project", "sequence", "current_due", "baseline_due", "status"]
    fsm_model = Milestone

    def get_queryset(self) -> Any:
        return visibility.milestones_for(self.request.user).order_by("project_id", "sequence")

    def transition_runner(self, name: str) -> Any:
        return service_runner("milestones.services.milestones", ["milestone_transition"], Milestone, name)

    transitions = transition_action(Milestone, MilestoneDetailSerializer)


class GateReviewViewSet(TransitionViewSetMixin, ApiReadOnlyViewSet):
    serializer_class = GateReviewSerializer
    detail_serializer_class = GateReviewDetailSerializer
    filterset_class = filters.GateReviewFilter
    ordering_fields = ["due_date", "status", "kind", "created_at"]
    fsm_model = GateReview

    def get_queryset(self) -> Any:
        return visibility.gates_for(self.request.user).order_by("due_date", "id")

    def transition_runner(self, name: str) -> Any:
        return service_runner("milestones.services.gates", ["gate_transition"], GateReview, name)

    transitions = transition_action(GateReview, GateReviewDetailSerializer)


class ReviewerAssignmentViewSet(ApiReadOnlyViewSet):
    serializer_class = ReviewerAssignmentSerializer
    filterset_class = filters.ReviewerAssignmentFilter
    ordering_fields = ["assigned_at", "declared_at"]

    def get_queryset(self) -> Any:
        return visibility.assignments_for(self.request.user).order_by("gate_id", "id")


class ScorecardViewSet(ApiReadOnlyViewSet):
    serializer_class = ScorecardSerializer
    filterset_class = filters.ScorecardFilter
    ordering_fields = ["updated_at", "submitted_at", "weighted_score"]

    def get_queryset(self) -> Any:
        return visibility.scorecards_for(self.request.user).order_by("assignment__gate_id", "id")


class GateDecisionViewSet(ApiReadOnlyViewSet):
    serializer_class = GateDecisionSerializer
    filterset_class = filters.GateDecisionFilter
    ordering_fields = ["decided_at", "outcome"]

    def get_queryset(self) -> Any:
        return visibility.decisions_for(self.request.user).order_by("-decided_at", "-id")


class ChangeRequestViewSet(TransitionViewSetMixin, ApiReadOnlyViewSet):
    serializer_class = ChangeRequestSerializer
    detail_serializer_class = ChangeRequestDetailSerializer
    filterset_class = filters.ChangeRequestFilter
    ordering_fields = ["created_at", "submitted_at", "status", "kind"]
    fsm_model = ChangeRequest

    def get_queryset(self) -> Any:
        return visibility.change_requests_for(self.request.user).order_by("-created_at", "-id")

    def transition_runner(self, name: str) -> Any:
        return service_runner("milestones.services.changes", ["change_request_transition"], ChangeRequest, name)

    transitions = transition_action(ChangeRequest, ChangeRequestDetailSerializer)


class AssessmentRoundViewSet(ApiReadOnlyViewSet):
    serializer_class = AssessmentRoundSerializer
    filterset_class = filters.AssessmentRoundFilter
    ordering_fields = ["period_start", "due_date"]

    def get_queryset(self) -> Any:
        return visibility.rounds_for(self.request.user).order_by("-period_start", "-id")


class AssessmentViewSet(ApiReadOnlyViewSet):
    serializer_class = AssessmentSerializer
    filterset_class = filters.AssessmentFilter
    ordering_fields = ["submitted_at", "overall"]

    def get_queryset(self) -> Any:
        return visibility.assessments_for(self.request.user).order_by("round_id", "project_id", "id")


class TrancheReleaseViewSet(ApiReadOnlyViewSet):
    serializer_class = TrancheReleaseSerializer
    filterset_class = filters.TrancheReleaseFilter
    ordering_fields = ["released_at", "amount"]

    def get_queryset(self) -> Any:
        return visibility.releases_for(self.request.user).order_by("-released_at", "-id")
