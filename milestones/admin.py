"""Admin for committees, milestone templates (edited as new versions), milestones, gate reviews and
the records around them. State changes go only through the transition buttons, which call the same
services as every other interface; decisions, scorecards and releases are records, read-only here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from milestones.models import (
    Assessment,
    AssessmentRound,
    ChangeRequest,
    Committee,
    CriterionScore,
    Evidence,
    GateCriterion,
    GateDecision,
    GateReview,
    Milestone,
    MilestoneTemplate,
    MilestoneTemplateStep,
    NonConsensusApproval,
    ReviewerAssignment,
    Scorecard,
    TrancheRelease,
)
from milestones.services.changes import CHANGE_REQUEST_TRANSITIONS
from milestones.services.gates import GATE_TRANSITIONS
from milestones.services.milestones import MILESTONE_TRANSITIONS
from milestones.services.templates import milestone_template_revise, milestone_template_steps_clean
from milestones.services.tranches import tranche_release
from pmflow.admin_fsm import FSMTransitionAdminMixin, ProgrammeAdminAccessMixin, ReadOnlyAdminMixin
from pmflow.errors import ApplicationError, InvalidInput
from pmflow.transitions import transition_run


class PmflowAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    pass


class ReadOnlyPmflowAdmin(ReadOnlyAdminMixin, PmflowAdmin):
    pass


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


def _error_text(exc: ApplicationError) -> str:
    if exc.fields:
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
    return exc.message


# --- committees ---------------------------------------------------------------------------------------
@admin.register(Committee)
class CommitteeAdmin(PmflowAdmin):
    list_display = ("name", "chair")
    search_fields = ("name", "chair__username", "chair__display_name")
    list_select_related = ("chair",)
    raw_id_fields = ("chair",)
    filter_horizontal = ("members", "fields")


# --- milestone templates: every save is a new version ------------------------------------------------
STEP_FIELDS = ("title_zh", "title_en", "span_share", "tranche_share", "acceptance_hint")


def _steps_from_formset(formset: BaseInlineFormSet) -> list[dict[str, Any]]:
    rows = []
    for index, form in enumerate(formset.forms):
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE"):
            continue
        if not any(data.get(k) not in (None, "") for k in STEP_FIELDS):
            continue
        rows.append((data.get("sequence") or 10_000 + index, index, {k: data.get(k) for k in STEP_FIELDS}))
    return [step for _seq, _i, step in sorted(rows, key=lambda r: (r[0], r[1]))]


class TemplateStepFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            milestone_template_steps_clean(_steps_from_formset(self))
        except InvalidInput as exc:
            raise forms.ValidationError([m for msgs in exc.fields.values() for m in msgs]) from exc

    def validate_unique(self) -> None:
        # Sequences are renumbered by the service when the new version is written.
        return None


class MilestoneTemplateStepInline(admin.TabularInline):
    model = MilestoneTemplateStep
    formset = TemplateStepFormSet
    fields = ("sequence", *STEP_FIELDS)
    extra = 0
    min_num = 1

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


@admin.register(MilestoneTemplate)
class MilestoneTemplateAdmin(PmflowAdmin):
    """Saving a template (new or changed) writes version N+1 of its tier's template through
    ``milestone_template_revise`` and makes it current; the version shown is never modified, so
    projects created from it keep their milestones."""

    list_display = ("tier", "version", "is_current", "note", "created_at")
    list_filter = ("tier", "is_current")
    list_select_related = ("tier",)
    inlines = [MilestoneTemplateStepInline]
    readonly_fields = ("version", "is_current", "created_at")
    fields = ("tier", "note", "version", "is_current", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("tier")
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: MilestoneTemplate, form: Any, change: bool) -> None:
        # Nothing is written here: save_related writes the new version from the whole form.
        return None

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        formset = next(fs for fs in formsets if fs.model is MilestoneTemplateStep)
        # The admin's change message reads what the formsets saved: nothing, here.
        for fs in formsets:
            fs.new_objects, fs.changed_objects, fs.deleted_objects = [], [], []
        if change and not form.has_changed() and not formset.has_changed():
            return
        tier = form.instance.tier if change else form.cleaned_data["tier"]
        template = milestone_template_revise(
            actor=request.user, tier=tier, steps=_steps_from_formset(formset), note=form.cleaned_data.get("note", "")
        )
        # The admin's log entry and redirect use the new version.
        form.instance.pk = template.pk
        form.instance.version = template.version
        form.instance.is_current = True
        if change:
            messages.info(request, _("已保存为第 %(v)d 版并设为当前版本；原版本保持不变。") % {"v": template.version})


@admin.register(MilestoneTemplateStep)
class MilestoneTemplateStepAdmin(ReadOnlyPmflowAdmin):
    list_display = ("template", "sequence", "title_zh", "span_share", "tranche_share")
    list_filter = ("template__tier",)
    list_select_related = ("template__tier",)


# --- milestones -----------------------------------------------------------------------------------------
class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ("file", "description", "uploaded_by", "uploaded_at")
    readonly_fields = fields


class TrancheReleaseInline(ReadOnlyInline):
    model = TrancheRelease
    fields = ("amount", "released_by", "released_at")
    readonly_fields = fields


@admin.register(Milestone)
class MilestoneAdmin(FSMTransitionAdminMixin, PmflowAdmin):
    list_display = (
        "project",
        "sequence",
        "title",
        "status",
        "baseline_due",
        "current_due",
        "tranche_amount",
        "is_final",
        "released",
    )
    list_filter = ("status", "is_final", "project__field__tier")
    search_fields = ("project__code", "project__title", "title")
    list_select_related = ("project", "release")
    readonly_fields = (
        "project",
        "sequence",
        "title",
        "deliverables",
        "acceptance_criteria",
        "baseline_due",
        "current_due",
        "tranche_amount",
        "is_final",
        "template_step",
        "passed_at",
        "created_at",
    )
    inlines = [EvidenceInline, TrancheReleaseInline]
    # Gate outcomes come from gate decisions, reviews start when the gate opens, cancellation comes
    # from an approved change request.
    fsm_hidden_transitions = frozenset({"open_review", "pass_gate", "pass_with_conditions", "hold", "recycle", "fail", "cancel"})
    actions = ["release_tranches"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("已拨付"), boolean=True)
    def released(self, obj: Milestone) -> bool:
        return hasattr(obj, "release")

    def fsm_transition_run(self, request: HttpRequest, obj: Any, name: str, reason: str) -> Any:
        return MILESTONE_TRANSITIONS[name](request.user, obj.pk, reason)

    @admin.action(description=gettext_lazy("拨付所选里程碑的资金"))
    def release_tranches(self, request: HttpRequest, queryset: QuerySet[Milestone]) -> None:
        total, count = Decimal(0), 0
        for milestone in queryset.order_by("project_id", "sequence"):
            try:
                release = tranche_release(actor=request.user, milestone_id=milestone.pk)
            except ApplicationError as exc:
                messages.error(request, f"{milestone}: {_error_text(exc)}")
            else:
                total += release.amount
                count += 1
        if count:
            messages.success(request, _("已拨付 %(n)d 笔，共 %(total)s 元。") % {"n": count, "total": total})


@admin.register(TrancheRelease)
class TrancheReleaseAdmin(ReadOnlyPmflowAdmin):
    list_display = ("milestone", "amount", "released_by", "released_at")
    list_select_related = ("milestone__project", "released_by")
    search_fields = ("milestone__project__code",)
    date_hierarchy = "released_at"


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyPmflowAdmin):
    list_display = ("milestone", "description", "uploaded_by", "uploaded_at")
    list_select_related = ("milestone__project", "uploaded_by")


# --- gate reviews -------------------------------------------------------------------------------------
class GateCriterionInline(ReadOnlyInline):
    model = GateCriterion
    fields = ("kind", "title", "weight", "order")
    readonly_fields = fields
    show_change_link = False


class ReviewerAssignmentInline(ReadOnlyInline):
    model = ReviewerAssignment
    fields = ("reviewer", "has_conflict", "conflict_note", "declared_at", "assigned_at")
    readonly_fields = fields


@admin.register(GateReview)
class GateReviewAdmin(FSMTransitionAdminMixin, PmflowAdmin):
    list_display = ("__str__", "kind", "project", "milestone", "committee", "chair", "quorum", "due_date", "status")
    list_filter = ("status", "kind", "committee")
    search_fields = ("project__code", "project__title")
    list_select_related = ("project", "milestone__project", "committee", "chair")
    readonly_fields = (
        "kind",
        "project",
        "milestone",
        "committee",
        "chair",
        "quorum",
        "due_date",
        "route_family",
        "opened_at",
        "closed_at",
        "created_at",
    )
    exclude = ("compared_projects",)
    inlines = [GateCriterionInline, ReviewerAssignmentInline]
    # The decision needs its own form (outcome, rationale, conditions): the chair's decision page.
    fsm_hidden_transitions = frozenset({"decide"})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # gates are scheduled by gate_schedule / milestone_submit

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def fsm_transition_run(self, request: HttpRequest, obj: Any, name: str, reason: str) -> Any:
        return GATE_TRANSITIONS[name](request.user, obj.pk, reason)


@admin.register(ReviewerAssignment)
class ReviewerAssignmentAdmin(ReadOnlyPmflowAdmin):
    list_display = ("gate", "reviewer", "has_conflict", "declared_at", "assigned_at")
    list_filter = ("has_conflict",)
    list_select_related = ("gate__project", "gate__milestone", "reviewer")
    search_fields = ("gate__project__code", "reviewer__username")


class CriterionScoreInline(ReadOnlyInline):
    model = CriterionScore
    fields = ("criterion", "passed", "score")
    readonly_fields = fields
    show_change_link = False


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyPmflowAdmin):
    list_display = ("assignment", "recommendation", "champion", "weighted_score", "must_meet_failed", "submitted_at")
    list_filter = ("recommendation", "champion", "must_meet_failed")
    list_select_related = ("assignment__gate__project", "assignment__gate__milestone", "assignment__reviewer")
    inlines = [CriterionScoreInline]


@admin.register(GateDecision)
class GateDecisionAdmin(ReadOnlyPmflowAdmin):
    list_display = ("gate", "outcome", "computed_outcome", "decided_by", "decided_at")
    list_filter = ("outcome", "computed_outcome")
    list_select_related = ("gate__project", "gate__milestone", "decided_by")
    search_fields = ("gate__project__code",)


@admin.register(NonConsensusApproval)
class NonConsensusApprovalAdmin(ReadOnlyPmflowAdmin):
    list_display = ("project", "pm_team", "year", "endorsed_by", "approved_by", "approved_at")
    list_filter = ("year", "pm_team")
    list_select_related = ("project", "pm_team", "endorsed_by", "approved_by")


# --- change requests and assessments (services in milestones.services.changes / assessments) ---------


@admin.register(ChangeRequest)
class ChangeRequestAdmin(FSMTransitionAdminMixin, PmflowAdmin):
    list_display = ("__str__", "project", "kind", "status", "created_by", "created_at", "decided_at", "applied_at")
    list_filter = ("status", "kind")
    search_fields = ("project__code", "project__title")
    list_select_related = ("project", "created_by")
    readonly_fields = (
        "project",
        "kind",
        "milestone",
        "payload",
        "before",
        "after",
        "reason",
        "created_by",
        "decided_by",
        "decision_note",
        "assessment",
        "created_at",
        "submitted_at",
        "decided_at",
        "applied_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def fsm_transition_run(self, request: HttpRequest, obj: Any, name: str, reason: str) -> Any:
        run = CHANGE_REQUEST_TRANSITIONS.get(name)
        if run is None:
            return transition_run(model=ChangeRequest, pk=obj.pk, name=name, actor=request.user, reason=reason)
        return run(request.user, obj.pk, reason)


@admin.register(AssessmentRound)
class AssessmentRoundAdmin(ReadOnlyPmflowAdmin):
    list_display = ("__str__",)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyPmflowAdmin):
    list_display = ("round", "project", "overall", "recommendation", "submitted_at")
    list_filter = ("overall", "recommendation")
    list_select_related = ("round", "project")
