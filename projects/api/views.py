"""API views of the projects app: thin — type-check the body, call one service, return the row."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from pmflow.api.base import ApiReadOnlyViewSet, validated
from pmflow.api.fields import ascii_id
from pmflow.api.transitions import TransitionViewSetMixin, transition_action
from projects.api import filters, visibility
from projects.api.serializers import (
    DirectionSerializer,
    FieldSerializer,
    FundingAwardInputSerializer,
    FundingAwardSerializer,
    KeyTaskListInputSerializer,
    KeyTaskListSerializer,
    NonConsensusApprovalSerializer,
    NonConsensusApproveSerializer,
    PlanVersionInputSerializer,
    PlanVersionSerializer,
    PMTeamCreateSerializer,
    PMTeamMemberAddSerializer,
    PMTeamSerializer,
    PolicySerializer,
    ProjectDetailSerializer,
    ProjectInputSerializer,
    ProjectSerializer,
    SupportMeasureSerializer,
    TaskCategorySerializer,
    TaskInputSerializer,
    TaskProgressSerializer,
    TaskSerializer,
    TechnologyRouteInputSerializer,
    TechnologyRouteSerializer,
    TierSerializer,
)
from projects.models import Direction, Field, Policy, Project, SupportMeasure, TaskCategory, Tier


# --- reference data (read-only, every signed-in user) --------------------------------------------------------
class DirectionViewSet(ApiReadOnlyViewSet):
    queryset = Direction.objects.all()
    serializer_class = DirectionSerializer
    ordering_fields = ["order", "code"]


class TierViewSet(ApiReadOnlyViewSet):
    queryset = Tier.objects.all()
    serializer_class = TierSerializer
    ordering_fields = ["order", "code"]


class FieldViewSet(ApiReadOnlyViewSet):
    queryset = Field.objects.select_related("direction", "tier")
    serializer_class = FieldSerializer
    filterset_class = filters.FieldFilter
    ordering_fields = ["order", "code"]


class TaskCategoryViewSet(ApiReadOnlyViewSet):
    queryset = TaskCategory.objects.all()
    serializer_class = TaskCategorySerializer
    ordering_fields = ["order", "code"]


class SupportMeasureViewSet(ApiReadOnlyViewSet):
    queryset = SupportMeasure.objects.all()
    serializer_class = SupportMeasureSerializer
    ordering_fields = ["order", "code", "amount_cap"]


class PolicyViewSet(ApiReadOnlyViewSet):
    queryset = Policy.objects.order_by("effective_from")
    serializer_class = PolicySerializer
    ordering_fields = ["effective_from", "code"]


# --- PM teams -------------------------------------------------------------------------------------------------
class PMTeamViewSet(ApiReadOnlyViewSet):
    serializer_class = PMTeamSerializer
    filterset_class = filters.PMTeamFilter
    ordering_fields = ["code", "name", "term_start"]

    def get_queryset(self) -> Any:
        return visibility.pm_teams_for(self.request.user).order_by("code")

    @extend_schema(request=PMTeamCreateSerializer, responses={201: PMTeamSerializer})
    def create(self, request: Request) -> Response:
        from projects.services.teams import pm_team_create

        data = validated(PMTeamCreateSerializer, request.data)
        team = pm_team_create(actor=request.user, **data)
        return self.detail_response(team, status=201)

    @extend_schema(request=PMTeamMemberAddSerializer, responses={201: PMTeamSerializer})
    @action(detail=True, methods=["post"], url_path="members")
    def members(self, request: Request, pk: Any = None) -> Response:
        from projects.services.teams import pm_team_member_add

        team = self.get_object()
        data = validated(PMTeamMemberAddSerializer, request.data)
        pm_team_member_add(actor=request.user, team_id=team.pk, **data)
        return self.detail_response(team, status=201)


# --- projects ---------------------------------------------------------------------------------------------------
def conditional(request: Request, etag: str | None, respond: Any) -> Any:
    """A 304 when ``If-None-Match`` names ``etag``, else ``respond()`` with the ETag set."""
    if etag is not None and etag in {t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")}:
        return Response(status=304, headers={"ETag": etag})
    response = respond()
    if etag is not None and response.status_code == 200:
        response["ETag"] = etag
    return response


def _project_service(name: str) -> Any:
    def run(actor: Any, pk: Any, reason: str) -> Project:
        from projects.services.projects import project_transition_direct

        return project_transition_direct(actor=actor, project_id=pk, name=name, reason=reason)

    return run


#: the project transitions a person takes directly (as in the admin and the web UI); the others happen
#: only through gate decisions and milestone submissions (Project.EFFECT_ONLY_TRANSITIONS)
PROJECT_SERVICES = {
    name: _project_service(name) for name in Project.TRANSITION_PERMISSIONS if name not in Project.EFFECT_ONLY_TRANSITIONS
}


class ProjectViewSet(TransitionViewSetMixin, ApiReadOnlyViewSet):
    """Projects visible to the user. ``available_transitions`` is on the detail endpoint only."""

    serializer_class = ProjectSerializer
    detail_serializer_class = ProjectDetailSerializer
    filterset_class = filters.ProjectFilter
    ordering_fields = ["code", "title", "created_at", "planned_start", "planned_end", "budget", "status", "health"]
    fsm_model = Project
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return visibility.projects_for(self.request.user)

    def _pk(self) -> int:
        """The project id in the URL; 404 unless a positive 64-bit integer of ASCII digits."""
        from django.http import Http404

        pk = ascii_id(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        if pk is None:
            raise Http404
        return pk

    def get_object(self) -> Project:
        """The visible project named by the URL (one prepared statement; see fast_list), else 404."""
        from django.http import Http404

        from projects.api.fast_list import visible_project

        project = visible_project(self.request.user, self._pk())
        if project is None:
            raise Http404
        self.check_object_permissions(self.request, project)
        return project

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One project you may see, with the transitions you may take on it now. Conditional GET:
        ``ETag`` from the portfolio data version and the transitions; ``If-None-Match`` → 304."""
        from django.http import Http404

        from projects.api.fast_list import project_detail, project_detail_etag

        pk = self._pk()
        data = project_detail(request.user, pk)
        if data is None:
            raise Http404
        return conditional(request, project_detail_etag(request, pk, data), lambda: Response(data))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Projects you may see, 50 a page (one query for the page and its total; see fast_list).
        Conditional GET on the default list: ``ETag`` from the portfolio data version."""
        from projects.api.fast_list import compiled_list_applies, project_list_etag, project_page, project_page_compiled

        if compiled_list_applies(request):
            return conditional(
                request,
                project_list_etag(request, self.paginator),
                lambda: project_page_compiled(request.user, request, self.paginator),
            )
        return project_page(self.filter_queryset(self.get_queryset()), request, self.paginator)

    transition_services = PROJECT_SERVICES
    transitions = transition_action(Project, ProjectDetailSerializer, PROJECT_SERVICES)

    @extend_schema(request=NonConsensusApproveSerializer, responses={201: NonConsensusApprovalSerializer})
    @action(detail=True, methods=["post"], url_path="non-consensus-approval")
    def non_consensus_approval(self, request: Request, pk: Any = None) -> Response:
        """Approve a `non_consensus` project on the risk-controlled track (screening chair or admin,
        endorsed by the PM-team lead; counted against the team's yearly quota)."""
        from milestones.services.decisions import non_consensus_approve

        project = self.get_object()
        data = validated(NonConsensusApproveSerializer, request.data)
        approval = non_consensus_approve(actor=request.user, project_id=project.pk, **data)
        return Response(NonConsensusApprovalSerializer(approval).data, status=201)

    @extend_schema(request=ProjectInputSerializer, responses={201: ProjectDetailSerializer})
    def create(self, request: Request) -> Response:
        from projects.services.projects import project_create

        data = validated(ProjectInputSerializer, request.data)
        project = project_create(actor=request.user, data=data)
        return self.detail_response(self.get_queryset().get(pk=project.pk), status=201)

    @extend_schema(request=ProjectInputSerializer, responses={200: ProjectDetailSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        from projects.services.projects import project_update

        project = self.get_object()
        data = validated(ProjectInputSerializer, request.data, partial=True)
        project_update(actor=request.user, project_id=project.pk, data=data)
        return self.detail_response(self.get_queryset().get(pk=project.pk))


class PlanVersionViewSet(ApiReadOnlyViewSet):
    """培育方案 versions; POST appends a version (the first is the baseline)."""

    serializer_class = PlanVersionSerializer
    filterset_class = filters.PlanVersionFilter
    ordering_fields = ["project", "version", "created_at"]

    def get_queryset(self) -> Any:
        return visibility.plan_versions_for(self.request.user).order_by("project_id", "version")

    @extend_schema(request=PlanVersionInputSerializer, responses={201: PlanVersionSerializer})
    def create(self, request: Request) -> Response:
        from projects.services.plans import plan_version_add

        data = validated(PlanVersionInputSerializer, request.data)
        project = self.visible_object(visibility.projects_for(request.user), data.pop("project"))
        data["budget_breakdown"] = {k: str(v) for k, v in data.get("budget_breakdown", {}).items()}
        version = plan_version_add(actor=request.user, project_id=project.pk, **data)
        return self.detail_response(version, status=201)


class TechnologyRouteViewSet(ApiReadOnlyViewSet):
    serializer_class = TechnologyRouteSerializer
    filterset_class = filters.TechnologyRouteFilter
    ordering_fields = ["project", "name", "status"]

    def get_queryset(self) -> Any:
        return visibility.routes_for(self.request.user).order_by("project_id", "id")

    @extend_schema(request=TechnologyRouteInputSerializer, responses={201: TechnologyRouteSerializer})
    def create(self, request: Request) -> Response:
        from projects.services.projects import route_add

        data = validated(TechnologyRouteInputSerializer, request.data)
        project = self.visible_object(visibility.projects_for(request.user), data.pop("project"))
        route = route_add(actor=request.user, project_id=project.pk, **data)
        return self.detail_response(route, status=201)


# --- funding ----------------------------------------------------------------------------------------------------
class FundingAwardViewSet(ApiReadOnlyViewSet):
    serializer_class = FundingAwardSerializer
    filterset_class = filters.FundingAwardFilter
    ordering_fields = ["created_at", "amount"]

    def get_queryset(self) -> Any:
        return visibility.awards_for(self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=FundingAwardInputSerializer, responses={201: FundingAwardSerializer})
    def create(self, request: Request) -> Response:
        """Add an award under a support measure (programme admins); caps and 从优、就高、不重复 apply."""
        from projects.services.funding import funding_award_add

        data = validated(FundingAwardInputSerializer, request.data)
        project = self.visible_object(visibility.projects_for(request.user), data.pop("project"))
        award = funding_award_add(
            actor=request.user,
            project_id=project.pk,
            beneficiary_id=data["beneficiary"],
            measure_code=data["measure"],
            amount=data["amount"],
            base_amount=data["base_amount"],
            note=data["note"],
            decision_date=data["decision_date"],
            item_kind=data["item_kind"],
            item_ref=data["item_ref"],
        )
        return self.detail_response(self.get_queryset().get(pk=award.pk), status=201)


# --- task lists ----------------------------------------------------------------------------------------------------
class KeyTaskListViewSet(ApiReadOnlyViewSet):
    serializer_class = KeyTaskListSerializer
    filterset_class = filters.KeyTaskListFilter
    ordering_fields = ["title", "weighted_progress", "health", "created_at"]

    def get_queryset(self) -> Any:
        return visibility.task_lists_for(self.request.user).order_by("pm_team_id", "title", "id")

    @extend_schema(request=KeyTaskListInputSerializer, responses={201: KeyTaskListSerializer})
    def create(self, request: Request) -> Response:
        from projects.services.tasks import task_list_create

        data = validated(KeyTaskListInputSerializer, request.data)
        team = self.visible_object(visibility.pm_teams_for(request.user), data["pm_team"])
        task_list = task_list_create(actor=request.user, pm_team_id=team.pk, title=data["title"], project_id=data["project"])
        return self.detail_response(task_list, status=201)


class TaskViewSet(ApiReadOnlyViewSet):
    serializer_class = TaskSerializer
    filterset_class = filters.TaskFilter
    ordering_fields = ["due_date", "start_date", "progress", "status", "title"]

    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return visibility.tasks_for(self.request.user).order_by("task_list_id", "due_date", "id")

    @extend_schema(request=TaskInputSerializer, responses={201: TaskSerializer})
    def create(self, request: Request) -> Response:
        from projects.services.tasks import task_create

        data = validated(TaskInputSerializer, request.data)
        task_list = self.visible_object(visibility.task_lists_for(request.user), data.pop("task_list"))
        task = task_create(actor=request.user, task_list_id=task_list.pk, **_ids(data))
        return self.detail_response(self.get_queryset().get(pk=task.pk), status=201)

    @extend_schema(request=TaskInputSerializer, responses={200: TaskSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """Change a task's plan fields (only those given)."""
        from projects.services.tasks import task_update

        task = self.get_object()
        data = validated(TaskInputSerializer, request.data, partial=True)
        data.pop("task_list", None)
        progress = {k: data.pop(k) for k in ("progress", "done_date", "blocked") if k in data}
        if progress:
            from projects.services.tasks import task_update_progress

            task_update_progress(actor=request.user, task_id=task.pk, **progress)
        if data:
            task_update(actor=request.user, task_id=task.pk, **_ids(data))
        return self.detail_response(self.get_queryset().get(pk=task.pk))

    @extend_schema(request=TaskProgressSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"], url_path="progress")
    def progress(self, request: Request, pk: Any = None) -> Response:
        """Report progress (0–100), a done date or the blocked flag; the status is recomputed."""
        from projects.services.tasks import task_update_progress

        task = self.get_object()
        data = validated(TaskProgressSerializer, request.data, partial=True)
        task_update_progress(actor=request.user, task_id=task.pk, **data)
        return self.detail_response(self.get_queryset().get(pk=task.pk))


def _ids(data: dict[str, Any]) -> dict[str, Any]:
    """API names (``category``, ``owner``, ``milestone``) → the services' ``*_id`` arguments."""
    out = dict(data)
    for name in ("category", "owner", "milestone"):
        if name in out:
            out[f"{name}_id"] = out.pop(name)
    return out
