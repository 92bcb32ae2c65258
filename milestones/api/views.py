"""API views of the milestones app: thin — visibility-filtered reads; every write calls the same
service as the web UI and the admin (transitions through the maps below, payload actions through
their own service)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from milestones.api import filters, visibility
from milestones.api.serializers import (
    CHANGE_EXPOSED,
    GATE_EXPOSED,
    MILESTONE_EXPOSED,
    AssessmentRoundOpenSerializer,
    AssessmentRoundSerializer,
    AssessmentSerializer,
    AssessmentSubmitSerializer,
    ChangeRequestDetailSerializer,
    ChangeRequestInputSerializer,
    ChangeRequestPreviewInputSerializer,
    ChangeRequestPreviewSerializer,
    ChangeRequestSerializer,
    ConflictDeclareSerializer,
    GateDecideSerializer,
    GateDecisionSerializer,
    GateReviewDetailSerializer,
    GateReviewSerializer,
    GateScheduleSerializer,
    MilestoneDetailSerializer,
    MilestoneSerializer,
    ReviewerAssignmentSerializer,
    ReviewerAssignSerializer,
    ScorecardInputSerializer,
    ScorecardSerializer,
    TrancheReleaseSerializer,
)
from milestones.models import ChangeRequest, GateReview, Milestone
from milestones.services import assessments as assessment_services
from milestones.services import changes as change_services
from milestones.services import decisions as decision_services
from milestones.services import gates as gate_services
from milestones.services import milestones as milestone_services
from milestones.services import tranches as tranche_services
from pmflow.api.base import ApiReadOnlyViewSet, validated
from pmflow.api.transitions import TransitionViewSetMixin, transition_action
from pmflow.errors import Forbidden
from pmflow.rules import is_programme_admin
from projects.api import visibility as project_visibility

# name → fn(actor, pk, reason): the services the admin's transition buttons call too
MILESTONE_SERVICES = milestone_services.MILESTONE_TRANSITIONS
GATE_SERVICES = gate_services.GATE_TRANSITIONS
CHANGE_SERVICES = change_services.CHANGE_REQUEST_TRANSITIONS
assert tuple(MILESTONE_SERVICES) == MILESTONE_EXPOSED
assert tuple(GATE_SERVICES) == GATE_EXPOSED
assert tuple(CHANGE_SERVICES) == CHANGE_EXPOSED


class MilestoneViewSet(TransitionViewSetMixin, ApiReadOnlyViewSet):
    """Milestones of visible projects. Transitions `start`, `submit` (schedules its gate), `resume`,
    `conditions_met`; the gate outcomes move a milestone through `POST /gate-reviews/{id}/decision/`."""

    serializer_class = MilestoneSerializer
    detail_serializer_class = MilestoneDetailSerializer
    filterset_class = filters.MilestoneFilter
    ordering_fields = ["project", "sequence", "current_due", "baseline_due", "status"]
    fsm_model = Milestone
    transition_services = MILESTONE_SERVICES
    transitions = transition_action(Milestone, MilestoneDetailSerializer, MILESTONE_EXPOSED)

    def get_queryset(self) -> Any:
        return visibility.milestones_for(self.request.user).order_by("project_id", "sequence")

    @extend_schema(request=None, responses={201: TrancheReleaseSerializer})
    @action(detail=True, methods=["post"], url_path="tranche-release")
    def tranche_release(self, request: Request, pk: Any = None) -> Response:
        milestone = self.get_object()
        release = tranche_services.tranche_release(actor=request.user, milestone_id=milestone.pk)
        return Response(TrancheReleaseSerializer(release, context=self.get_serializer_context()).data, status=201)


class GateReviewViewSet(TransitionViewSetMixin, ApiReadOnlyViewSet):
    """Gate reviews you chair, are assigned to, or whose project your PM team owns."""

    serializer_class = GateReviewSerializer
    detail_serializer_class = GateReviewDetailSerializer
    filterset_class = filters.GateReviewFilter
    ordering_fields = ["due_date", "status", "kind", "created_at"]
    fsm_model = GateReview
    transition_services = GATE_SERVICES
    transitions = transition_action(GateReview, GateReviewDetailSerializer, GATE_EXPOSED)

    def get_queryset(self) -> Any:
        return visibility.gates_for(self.request.user).order_by("due_date", "id")

    @extend_schema(request=GateScheduleSerializer, responses={201: GateReviewDetailSerializer})
    def create(self, request: Request) -> Response:
        data = validated(GateScheduleSerializer, request.data)
        project = self.visible_object(project_visibility.projects_for(request.user), data.pop("project"))
        criteria = [dict(c) for c in data.pop("criteria") or []] or None
        gate = gate_services.gate_schedule(
            actor=request.user,
            project_id=project.pk,
            committee_id=data.pop("committee"),
            milestone_id=data.pop("milestone"),
            criteria=criteria,
            **data,
        )
        return self.detail_response(self.get_queryset().get(pk=gate.pk), status=201)

    @extend_schema(request=ReviewerAssignSerializer, responses={201: ReviewerAssignmentSerializer})
    @action(detail=True, methods=["post"], url_path="reviewers")
    def reviewers(self, request: Request, pk: Any = None) -> Response:
        gate = self.get_object()
        data = validated(ReviewerAssignSerializer, request.data)
        assignment = gate_services.gate_assign_reviewer(actor=request.user, gate_id=gate.pk, reviewer_id=data["reviewer"])
        return Response(ReviewerAssignmentSerializer(assignment).data, status=201)

    @extend_schema(request=GateDecideSerializer, responses={201: GateDecisionSerializer})
    @action(detail=True, methods=["post"], url_path="decision")
    def decision(self, request: Request, pk: Any = None) -> Response:
        gate = self.get_object()
        data = validated(GateDecideSerializer, request.data)
        conditions = [dict(c) for c in data.pop("conditions") or []] or None
        decision = decision_services.gate_decide(actor=request.user, gate_id=gate.pk, conditions=conditions, **data)
        return Response(GateDecisionSerializer(decision).data, status=201)


class ReviewerAssignmentViewSet(ApiReadOnlyViewSet):
    """Assignments of gates you chair, and your own."""

    serializer_class = ReviewerAssignmentSerializer
    filterset_class = filters.ReviewerAssignmentFilter
    ordering_fields = ["assigned_at", "declared_at"]

    def get_queryset(self) -> Any:
        return visibility.assignments_for(self.request.user).order_by("gate_id", "id")

    @extend_schema(request=ConflictDeclareSerializer, responses={200: ReviewerAssignmentSerializer})
    @action(detail=True, methods=["post"], url_path="conflict")
    def conflict(self, request: Request, pk: Any = None) -> Response:
        assignment = self.get_object()
        data = validated(ConflictDeclareSerializer, request.data)
        row = gate_services.assignment_declare_conflict(actor=request.user, assignment_id=assignment.pk, **data)
        return Response(ReviewerAssignmentSerializer(row).data)

    @extend_schema(request=ScorecardInputSerializer, responses={200: ScorecardSerializer})
    @action(detail=True, methods=["post"], url_path="scorecard")
    def scorecard(self, request: Request, pk: Any = None) -> Response:
        """Save your draft scorecard for this assignment (created on first save)."""
        assignment = self.get_object()
        data = validated(ScorecardInputSerializer, request.data)
        card = gate_services.scorecard_save(actor=request.user, assignment_id=assignment.pk, **data)
        return Response(ScorecardSerializer(visibility.scorecards_for(request.user).get(pk=card.pk)).data)

    @extend_schema(request=ScorecardInputSerializer, responses={200: ScorecardSerializer})
    @action(detail=True, methods=["post"], url_path="scorecard/submit")
    def scorecard_submit(self, request: Request, pk: Any = None) -> Response:
        """Submit your scorecard (fields given are saved first); it is immutable afterwards."""
        assignment = self.get_object()
        data = {k: v for k, v in validated(ScorecardInputSerializer, request.data, partial=True).items()}
        card = gate_services.scorecard_submit(actor=request.user, assignment_id=assignment.pk, **data)
        return Response(ScorecardSerializer(visibility.scorecards_for(request.user).get(pk=card.pk)).data)


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
    transition_services = CHANGE_SERVICES
    transitions = transition_action(ChangeRequest, ChangeRequestDetailSerializer, CHANGE_EXPOSED)

    def get_queryset(self) -> Any:
        return visibility.change_requests_for(self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=ChangeRequestInputSerializer, responses={201: ChangeRequestDetailSerializer})
    def create(self, request: Request) -> Response:
        """File a draft change request (submit it with the `submit` transition)."""
        data = validated(ChangeRequestInputSerializer, request.data)
        project = self.visible_object(project_visibility.projects_for(request.user), data["project"])
        cr = change_services.change_request_create(
            actor=request.user,
            project_id=project.pk,
            kind=data["kind"],
            payload=data["payload"],
            reason=data["reason"],
            milestone_id=data["milestone"],
            assessment_id=data["assessment"],
        )
        return self.detail_response(self.get_queryset().get(pk=cr.pk), status=201)

    @extend_schema(request=ChangeRequestPreviewInputSerializer, responses={200: ChangeRequestPreviewSerializer})
    @action(detail=False, methods=["post"], url_path="preview")
    def preview(self, request: Request) -> Response:
        """What a change request would change now (before / after copies). Saves nothing."""
        data = validated(ChangeRequestPreviewInputSerializer, request.data)
        project = self.visible_object(project_visibility.projects_for(request.user), data["project"])
        if not request.user.has_perm("milestones.file_change", project):
            raise Forbidden()
        result = change_services.change_request_preview(
            project_id=project.pk, kind=data["kind"], payload=data["payload"], milestone_id=data["milestone"]
        )
        return Response(ChangeRequestPreviewSerializer(result).data)


class AssessmentRoundViewSet(ApiReadOnlyViewSet):
    serializer_class = AssessmentRoundSerializer
    filterset_class = filters.AssessmentRoundFilter
    ordering_fields = ["period_start", "due_date"]

    def get_queryset(self) -> Any:
        return visibility.rounds_for(self.request.user).order_by("-period_start", "-id")

    @extend_schema(request=AssessmentRoundOpenSerializer, responses={201: AssessmentRoundSerializer})
    def create(self, request: Request) -> Response:
        """Open a round (programme admins): every active project gets an assessment row."""
        if not is_programme_admin(request.user):
            raise Forbidden()
        data = validated(AssessmentRoundOpenSerializer, request.data)
        rnd = assessment_services.assessment_round_open(**data)
        return self.detail_response(rnd, status=201)


class AssessmentViewSet(ApiReadOnlyViewSet):
    serializer_class = AssessmentSerializer
    filterset_class = filters.AssessmentFilter
    ordering_fields = ["submitted_at", "overall"]

    def get_queryset(self) -> Any:
        return visibility.assessments_for(self.request.user).order_by("round_id", "project_id", "id")

    @extend_schema(request=AssessmentSubmitSerializer, responses={200: AssessmentSerializer})
    @action(detail=True, methods=["post"], url_path="submit")
    def submit(self, request: Request, pk: Any = None) -> Response:
        assessment = self.get_object()
        data = validated(AssessmentSubmitSerializer, request.data)
        row = assessment_services.assessment_submit(actor=request.user, assessment_id=assessment.pk, **data)
        return Response(AssessmentSerializer(row).data)


class TrancheReleaseViewSet(ApiReadOnlyViewSet):
    serializer_class = TrancheReleaseSerializer
    filterset_class = filters.TrancheReleaseFilter
    ordering_fields = ["released_at", "amount"]

    def get_queryset(self) -> Any:
        return visibility.releases_for(self.request.user).order_by("-released_at", "-id")
