"""django-filter FilterSets for the projects app's list endpoints."""

from __future__ import annotations

import django_filters as df

from pmflow.api.filters import StrictBooleanFilter, StrictFilterSet, id_filter
from projects.models import (
    Field,
    FundingAward,
    KeyTaskList,
    PlanVersion,
    PMTeam,
    Project,
    ProjectState,
    Task,
    TaskStatus,
    TechnologyRoute,
)
from projects.models.projects import Health, SupportMode


class FieldFilter(StrictFilterSet):
    direction = df.CharFilter(field_name="direction__code", max_length=40)
    tier = df.CharFilter(field_name="tier__code", max_length=40)

    class Meta:
        model = Field
        fields = ["direction", "tier"]


class PMTeamFilter(StrictFilterSet):
    code = df.CharFilter(max_length=40)

    class Meta:
        model = PMTeam
        fields = ["code"]


class ProjectFilter(StrictFilterSet):
    status = df.MultipleChoiceFilter(choices=ProjectState.choices)
    health = df.ChoiceFilter(choices=Health.choices)
    support_mode = df.ChoiceFilter(choices=SupportMode.choices)
    field = df.CharFilter(field_name="field__code", max_length=40)
    direction = df.CharFilter(field_name="field__direction__code", max_length=40)
    tier = df.CharFilter(field_name="field__tier__code", max_length=40)
    pm_team = id_filter("pm_team_id")
    lead = id_filter("lead_id")
    non_consensus_track = StrictBooleanFilter()
    planned_end_before = df.DateFilter(field_name="planned_end", lookup_expr="lte")
    planned_start_after = df.DateFilter(field_name="planned_start", lookup_expr="gte")
    q = df.CharFilter(method="filter_q", max_length=200, label="Search in code and title")

    class Meta:
        model = Project
        fields = ["status", "health", "support_mode", "field", "direction", "tier", "pm_team", "lead", "non_consensus_track"]

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(code__icontains=value) | Q(title__icontains=value))


class ProjectRelatedFilter(StrictFilterSet):
    project = id_filter("project_id")


class PlanVersionFilter(ProjectRelatedFilter):
    class Meta:
        model = PlanVersion
        fields = ["project", "is_baseline"]


class TechnologyRouteFilter(ProjectRelatedFilter):
    family = df.CharFilter(max_length=100)
    status = df.ChoiceFilter(choices=TechnologyRoute.RouteState.choices)

    class Meta:
        model = TechnologyRoute
        fields = ["project", "family", "status"]


class FundingAwardFilter(ProjectRelatedFilter):
    status = df.ChoiceFilter(choices=FundingAward.AwardState.choices)
    measure = df.CharFilter(field_name="measure__code", max_length=40)

    class Meta:
        model = FundingAward
        fields = ["project", "status", "measure"]


class KeyTaskListFilter(ProjectRelatedFilter):
    pm_team = id_filter("pm_team_id")
    health = df.ChoiceFilter(choices=Health.choices)

    class Meta:
        model = KeyTaskList
        fields = ["project", "pm_team", "health"]


class TaskFilter(StrictFilterSet):
    task_list = id_filter("task_list_id")
    owner = id_filter("owner_id")
    status = df.MultipleChoiceFilter(choices=TaskStatus.choices)
    category = df.CharFilter(field_name="category__code", max_length=40)
    due_before = df.DateFilter(field_name="due_date", lookup_expr="lte")
    blocked = StrictBooleanFilter()

    class Meta:
        model = Task
        fields = ["task_list", "owner", "status", "category", "blocked"]
