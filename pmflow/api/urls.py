"""REST API under /api/v1/ and the OpenAPI schema at /api/schema/ (mounted at /api/)."""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from milestones.api import views as mv
from milestones.api.evidence import EvidenceViewSet
from pmflow.api import views as core
from pmflow.api.auth import TokenObtainView
from pmflow.api.docs import RedocView, SchemaView, SwaggerView
from pmflow.api.fallback import api_not_found
from pmflow.api.settings import api_setting
from pmflow.portfolio.audit_api import AuditEntryViewSet
from projects.api import views as pv


class Router(DefaultRouter):
    include_root_view = False
    include_format_suffixes = False


router = Router()
# reference data
router.register("directions", pv.DirectionViewSet, basename="direction")
router.register("tiers", pv.TierViewSet, basename="tier")
router.register("fields", pv.FieldViewSet, basename="field")
router.register("task-categories", pv.TaskCategoryViewSet, basename="taskcategory")
router.register("support-measures", pv.SupportMeasureViewSet, basename="supportmeasure")
router.register("policies", pv.PolicyViewSet, basename="policy")
# projects
router.register("pm-teams", pv.PMTeamViewSet, basename="pmteam")
router.register("projects", pv.ProjectViewSet, basename="project")
router.register("plan-versions", pv.PlanVersionViewSet, basename="planversion")
router.register("routes", pv.TechnologyRouteViewSet, basename="route")
router.register("funding-awards", pv.FundingAwardViewSet, basename="fundingaward")
router.register("task-lists", pv.KeyTaskListViewSet, basename="tasklist")
router.register("tasks", pv.TaskViewSet, basename="task")
# milestones and gates
router.register("milestones", mv.MilestoneViewSet, basename="milestone")
router.register("gate-reviews", mv.GateReviewViewSet, basename="gatereview")
router.register("assignments", mv.ReviewerAssignmentViewSet, basename="assignment")
router.register("scorecards", mv.ScorecardViewSet, basename="scorecard")
router.register("decisions", mv.GateDecisionViewSet, basename="decision")
router.register("change-requests", mv.ChangeRequestViewSet, basename="changerequest")
router.register("assessment-rounds", mv.AssessmentRoundViewSet, basename="assessmentround")
router.register("assessments", mv.AssessmentViewSet, basename="assessment")
router.register("tranche-releases", mv.TrancheReleaseViewSet, basename="tranchereleases")
router.register("evidence", EvidenceViewSet, basename="evidence")
# core
router.register("notifications", core.NotificationViewSet, basename="notification")
router.register("audit", AuditEntryViewSet, basename="audit")

v1 = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="api")),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(), name="api-docs"),
    path("redoc/", RedocView.as_view(), name="api-redoc"),
]
if api_setting("BENCH_VIEWS"):
    urlpatterns.append(path("bench/bare/", core.bench_bare_json, name="api-bench-bare"))
    urlpatterns.append(path("bench/floor/", core.BenchFloorView.as_view(), name="api-bench-floor"))
# Anything else under /api/ answers with the API's error body, not an HTML page.
urlpatterns.append(re_path(r"^.*$", api_not_found))
