"""Admin for reference data, PM teams, projects (with transition buttons), plans, routes, key task
lists and funding awards. Project creation and draft edits go through the project services; state
changes only through the transition buttons (``pmflow.admin_fsm``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pmflow.admin_fsm import FSMTransitionAdminMixin, ProgrammeAdminAccessMixin
from pmflow.errors import ApplicationError
from projects.admin_funding import FundingAwardServiceAdminMixin
from projects.models import (
    Direction,
    Field,
    FundingAward,
    KeyTaskList,
    PlanVersion,
    PMTeam,
    PMTeamMembership,
    Policy,
    Project,
    ProjectState,
    SupportMeasure,
    Task,
    TaskCategory,
    TaskListDirty,
    TechnologyRoute,
    Tier,
)
from projects.services.projects import (
    PROJECT_INPUT_FIELDS,
    project_create,
    project_input_clean,
    project_transition_direct,
    project_update,
)
from projects.services.teams import pm_team_lead_membership_ensure


class PmflowAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    pass


# --- reference data -----------------------------------------------------------------------------------
@admin.register(Direction)
class DirectionAdmin(PmflowAdmin):
    list_display = ("code", "name_zh", "name_en", "order")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Tier)
class TierAdmin(PmflowAdmin):
    list_display = ("code", "name_zh", "name_en", "focus_zh", "order")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Field)
class FieldAdmin(PmflowAdmin):
    list_display = ("code", "name_zh", "name_en", "direction", "tier", "order")
    list_filter = ("direction", "tier")
    search_fields = ("code", "name_zh", "name_en")
    list_select_related = ("direction", "tier")


@admin.register(TaskCategory)
class TaskCategoryAdmin(PmflowAdmin):
    list_display = ("code", "name_zh", "name_en", "order")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(SupportMeasure)
class SupportMeasureAdmin(PmflowAdmin):
    list_display = ("code", "name_zh", "clause", "amount_cap", "ratio_cap", "ratio_base", "overlap_group", "one_off")
    list_filter = ("overlap_group", "one_off", "ratio_base")
    search_fields = ("code", "name_zh", "name_en", "clause")


@admin.register(Policy)
class PolicyAdmin(PmflowAdmin):
    list_display = ("code", "title", "effective_from", "effective_to", "overlap_rule")
    search_fields = ("code", "title")


# --- PM teams -------------------------------------------------------------------------------------------
class PMTeamMembershipInline(ProgrammeAdminAccessMixin, admin.TabularInline):
    model = PMTeamMembership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(PMTeam)
class PMTeamAdmin(PmflowAdmin):
    list_display = ("code", "name", "lead", "term_start", "term_end", "non_consensus_quota")
    list_filter = ("fields__direction", "fields__tier", "fields")
    search_fields = ("code", "name", "lead__username", "lead__display_name")
    list_select_related = ("lead",)
    filter_horizontal = ("fields",)
    raw_id_fields = ("lead",)
    inlines = [PMTeamMembershipInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The lead acts for the team only as a member (role lead): keep that true after any edit.
        pm_team_lead_membership_ensure(actor=request.user, team_id=form.instance.pk)


@admin.register(PMTeamMembership)
class PMTeamMembershipAdmin(PmflowAdmin):
    list_display = ("team", "user", "role")
    list_filter = ("role", "team")
    search_fields = ("team__name", "team__code", "user__username", "user__display_name")
    list_select_related = ("team", "user")
    raw_id_fields = ("user",)


# --- projects -------------------------------------------------------------------------------------------
class PlanVersionInline(ProgrammeAdminAccessMixin, admin.StackedInline):
    """Plan versions are appended by ``plan_version_add``; none is edited here."""

    model = PlanVersion
    extra = 0
    can_delete = False
    fields = (
        "version",
        "is_baseline",
        "objectives",
        "scope",
        "deliverables",
        "budget_breakdown",
        "change_note",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TechnologyRouteInline(ProgrammeAdminAccessMixin, admin.TabularInline):
    model = TechnologyRoute
    extra = 0
    can_delete = False
    fields = ("name", "family", "status", "lessons_learned", "decided_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProjectAdminForm(forms.ModelForm):
    """Validated by the same rules as the service (``_clean_project_input`` via project_create /
    project_update), so the admin cannot save a project the API would refuse."""

    class Meta:
        model = Project
        fields = list(PROJECT_INPUT_FIELDS)


@admin.register(Project)
class ProjectAdmin(FSMTransitionAdminMixin, PmflowAdmin):
    form = ProjectAdminForm
    change_form_template = "admin/projects/project/change_form.html"  # + a link to schedule screening
    list_display = (
        "code",
        "title",
        "field",
        "direction",
        "tier",
        "pm_team",
        "status",
        "health",
        "budget",
        "planned_start",
        "planned_end",
        "non_consensus_track",
    )
    list_filter = (
        "status",
        "field__direction",
        "field__tier",
        "field",
        "pm_team",
        "support_mode",
        "health",
        "non_consensus_track",
        "sandbox_supervision",
    )
    search_fields = ("code", "title", "performer__name", "lead__username", "lead__display_name", "pm_team__name")
    list_select_related = ("field__direction", "field__tier", "pm_team", "performer", "lead")
    raw_id_fields = ("lead",)
    date_hierarchy = "planned_start"
    inlines = [PlanVersionInline, TechnologyRouteInline]
    readonly_fields = ("code", "health", "non_consensus_track", "milestone_template", "created_by", "created_at", "updated_at")

    @admin.display(description=_("方向"), ordering="field__direction__order")
    def direction(self, obj: Project) -> Any:
        return obj.field.direction

    @admin.display(description=_("梯次"), ordering="field__tier__order")
    def tier(self, obj: Project) -> Any:
        return obj.field.tier

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        # A new project has no plan, routes or audit trail yet.
        return [] if obj is None else super().get_inlines(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != ProjectState.DRAFT:
            # After submission a project changes only through change requests and transitions.
            fields += [f for f in PROJECT_INPUT_FIELDS if f not in fields]
        return fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        admin_self = self

        class ServiceValidatedForm(form_class):  # type: ignore[misc, valid-type]
            def _post_clean(self) -> None:
                # Validate through the service's own cleaning; the model instance is not built or
                # saved by the form (save_model calls the service).
                if self.errors:
                    return
                data = {k: self.cleaned_data[k] for k in PROJECT_INPUT_FIELDS if k in self.cleaned_data}
                current = admin_self.model.objects.get(pk=self.instance.pk) if self.instance.pk else None
                try:
                    project_input_clean(data, current=current)
                except ApplicationError as exc:
                    for name, messages in exc.fields.items():
                        for m in messages:
                            self.add_error(name if name in self.fields else None, m)

        return ServiceValidatedForm

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        data = {k: form.cleaned_data[k] for k in PROJECT_INPUT_FIELDS if k in form.cleaned_data}
        if change and not data:
            return  # nothing editable (the project is past draft)
        if change:
            saved = project_update(actor=request.user, project_id=obj.pk, data=data)
        else:
            saved = project_create(actor=request.user, data=data)
        # The admin needs the saved instance (pk, str) for its log entry and redirect.
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k not in ("_state", "status")})

    def fsm_transition_run(self, request: HttpRequest, obj: Any, name: str, reason: str) -> Any:
        return project_transition_direct(actor=request.user, project_id=obj.pk, name=name, reason=reason)


@admin.register(PlanVersion)
class PlanVersionAdmin(PmflowAdmin):
    """Read-only: versions are appended by the service and never edited."""

    list_display = ("project", "version", "is_baseline", "created_by", "created_at")
    list_filter = ("is_baseline", "project__pm_team", "project__field")
    search_fields = ("project__code", "project__title", "objectives", "change_note")
    list_select_related = ("project", "created_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TechnologyRoute)
class TechnologyRouteAdmin(PmflowAdmin):
    """Read-only: routes are added by ``route_add`` and selected/dropped by route convergence."""

    list_display = ("project", "name", "family", "status", "decided_at")
    list_filter = ("status", "project__pm_team", "project__field")
    search_fields = ("project__code", "name", "family", "lessons_learned")
    list_select_related = ("project",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- key task lists and funding -------------------------------------------------------------------------
class TaskInline(ProgrammeAdminAccessMixin, admin.TabularInline):
    model = Task
    extra = 0
    fields = ("title", "category", "owner", "start_date", "due_date", "weight", "progress", "blocked", "status")
    readonly_fields = ("status",)
    raw_id_fields = ("owner",)


@admin.register(KeyTaskList)
class KeyTaskListAdmin(PmflowAdmin):
    list_display = ("title", "pm_team", "project", "weighted_progress", "health", "recalculated_at")
    list_filter = ("health", "pm_team")
    search_fields = ("title", "pm_team__name", "project__code")
    list_select_related = ("pm_team", "project")
    readonly_fields = (
        "weighted_progress",
        "health",
        "count_not_started",
        "count_on_track",
        "count_at_risk",
        "count_overdue",
        "count_blocked",
        "count_done",
        "recalculated_at",
    )
    inlines = [TaskInline]


@admin.register(Task)
class TaskAdmin(PmflowAdmin):
    list_display = ("title", "task_list", "category", "owner", "due_date", "progress", "status", "blocked")
    list_filter = ("status", "category", "blocked", "task_list__pm_team")
    search_fields = ("title", "task_list__title", "owner__username", "owner__display_name")
    list_select_related = ("task_list", "category", "owner")
    raw_id_fields = ("owner",)
    readonly_fields = ("status",)


@admin.register(FundingAward)
class FundingAwardAdmin(FundingAwardServiceAdminMixin, PmflowAdmin):
    list_display = ("project", "beneficiary", "measure", "amount", "status", "created_at")
    list_filter = ("status", "measure", "project__pm_team")
    search_fields = ("project__code", "beneficiary__name", "measure__name_zh", "note")
    list_select_related = ("project", "beneficiary", "measure")
    readonly_fields = ("status", "superseded_by", "created_by", "created_at")


@admin.register(TaskListDirty)
class TaskListDirtyAdmin(PmflowAdmin):
    """Read-only view of the recalculation outbox: lists changed and not yet recalculated (an old row
    means the minute-level sweep is not running; see docs/operations.md)."""

    list_display = ("task_list", "created_at")
    list_filter = ("task_list__pm_team",)
    search_fields = ("task_list__title", "task_list__project__code")
    list_select_related = ("task_list",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
