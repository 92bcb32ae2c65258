"""django-filter FilterSets for the projects app's list endpoints."""

from __future__ import annotations

import django_filters as df

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


class FieldFilter(df.FilterSet):
    direction = df.CharFilter(field_name="direction__code", max_length=40)
    tier = df.CharFilter(field_name="tier__code", max_length=40)

    class Meta:
        model = Field
        fields = ["direction", "tier"]


class PMTeamFilter(df.FilterSet):
    code = df.CharFilter(max_length=40)

    class Meta:
        model = PMTeam
        fields = ["code"]


class ProjectFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(choices=ProjectState.choices)
    health = df.ChoiceFilter(choices=Health.choices)
    support_mode = df.ChoiceFilter(choices=SupportMode.choices)
    field = df.CharFilter(field_name="field__code", max_length=40)
    direction = df.CharFilter(field_name="field__direction__code", max_length=40)
    tier = df.CharFilter(field_name="field__tier__code", max_length=40)
    pm_team = df.NumberFilter(field_name="pm_team_id", min_value=1, max_value=2**63 - 1)
    lead = df.NumberFilter(field_name="lead_id", min_value=1, max_value=2**63 - 1)
    non_consensus_track = df.BooleanFilter()
    planned_end_before = df.DateFilter(field_name="planned_end", lookup_expr="lte")
    planned_start_after = df.DateFilter(field_name="planned_start", lookup_expr="gte")
    q = df.CharFilter(method="filter_q", max_length=200, label="Search in code and title")

    class Meta:
        model = Project
        fields = ["status", "health", "support_mode", "field", "direction", "tier", "pm_team", "lead", "non_consensus_track"]

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(code__icontains=value) | Q(title__icontains=value))


class ProjectRelatedFilter(df.FilterSet):
    project = df.NumberFilter(field_name="project_id", min_value=1, max_value=2**63 - 1)


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
    pm_team = df.NumberFilter(field_name="pm_team_id", min_value=1, max_value=2**63 - 1)
    health = df.ChoiceFilter(choices=Health.choices)

    class Meta:
        model = KeyTaskList
        fields = ["project", "pm_team", "health"]


class TaskFilter(df.FilterSet):
    task_list = df.NumberFilter(field_name="task_list_id", min_value=1, max_value=2**63 - 1)
    owner = df.NumberFilter(field_name="owner_id", min_value=1, max_value=2**63 - 1)
    status = df.MultipleChoiceFilter(choices=TaskStatus.choices)
    category = df.CharFilter(field_name="category__code", max_length=40)
    due_before = df.DateFilter(field_name="due_date", lookup_expr="lte")
    blocked = df.BooleanFilter()

    class Meta:
        model = Task
        fields = ["task_list", "owner", "status", "category", "blocked"]
