"""Serializers of the projects app: representation, and input *type* checks only (types, lengths,
ranges, NUL bytes). Business validation is the services' job; they raise InvalidInput."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from pmflow.api.fields import BoundedDateField, StrictCharField, StrictDecimalField, StrictIdField, StrictSlugField
from pmflow.api.transitions import available_transitions_field
from projects.models import (
    Direction,
    Field,
    FundingAward,
    KeyTaskList,
    PlanVersion,
    PMTeam,
    Policy,
    Project,
    SupportMeasure,
    SupportMode,
    Task,
    TaskCategory,
    TechnologyRoute,
    Tier,
)
from projects.models.funding import ItemKind

#: the project transitions the transitions endpoint runs; the rest follow from gate decisions,
#: non-consensus approvals and milestone submissions (Project.EFFECT_ONLY_TRANSITIONS)
PROJECT_EXPOSED = tuple(n for n in Project.TRANSITION_PERMISSIONS if n not in Project.EFFECT_ONLY_TRANSITIONS)
MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}


def id_field(**kwargs) -> serializers.IntegerField:
    return StrictIdField(**kwargs)


# --- reference data -------------------------------------------------------------------------------------
class DirectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Direction
        fields = ["id", "code", "name_zh", "name_en", "order"]


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ["id", "code", "name_zh", "name_en", "focus_zh", "focus_en", "order"]


class FieldSerializer(serializers.ModelSerializer):
    direction = serializers.SlugRelatedField(slug_field="code", read_only=True)
    tier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Field
        fields = ["id", "code", "name_zh", "name_en", "direction", "tier", "order"]


class TaskCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskCategory
        fields = ["id", "code", "name_zh", "name_en", "order"]


class SupportMeasureSerializer(serializers.ModelSerializer):
    amount_cap = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)
    ratio_cap = serializers.DecimalField(read_only=True, allow_null=True, max_digits=5, decimal_places=4)

    class Meta:
        model = SupportMeasure
        fields = [
            "id",
            "code",
            "name_zh",
            "name_en",
            "clause",
            "amount_cap",
            "ratio_cap",
            "ratio_base",
            "overlap_group",
            "one_off",
            "order",
        ]


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = Policy
        fields = ["id", "code", "title", "effective_from", "effective_to", "overlap_rule"]


# --- PM teams ---------------------------------------------------------------------------------------------
class PMTeamSerializer(serializers.ModelSerializer):
    lead_name = serializers.CharField(source="lead", read_only=True)

    class Meta:
        model = PMTeam
        fields = ["id", "code", "name", "lead", "lead_name", "term_start", "term_end", "non_consensus_quota", "created_at"]
        read_only_fields = fields


class PMTeamCreateSerializer(serializers.Serializer):
    code = StrictCharField(max_length=40)
    name = StrictCharField(max_length=200)
    lead = id_field()
    term_start = BoundedDateField()
    term_end = BoundedDateField()
    fields = serializers.ListField(child=StrictCharField(max_length=40), required=False, default=list, max_length=50)
    non_consensus_quota = serializers.IntegerField(min_value=0, max_value=100, required=False, default=2)


class PMTeamMemberAddSerializer(serializers.Serializer):
    user = id_field()
    role = serializers.ChoiceField(choices=["lead", "member"], default="member")


# --- projects ---------------------------------------------------------------------------------------------
class ProjectSerializer(serializers.ModelSerializer):
    field = serializers.SlugRelatedField(slug_field="code", read_only=True)
    direction = serializers.CharField(source="field.direction.code", read_only=True)
    tier = serializers.CharField(source="field.tier.code", read_only=True)
    pm_team_name = serializers.CharField(source="pm_team.name", read_only=True)
    performer_name = serializers.CharField(source="performer.name", read_only=True)
    lead_name = serializers.CharField(source="lead", read_only=True)
    budget = serializers.DecimalField(read_only=True, **MONEY)

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "title",
            "field",
            "direction",
            "tier",
            "pm_team",
            "pm_team_name",
            "performer",
            "performer_name",
            "lead",
            "lead_name",
            "budget",
            "support_mode",
            "planned_start",
            "planned_end",
            "window_extended_to",
            "non_consensus_track",
            "sandbox_supervision",
            "health",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProjectDetailSerializer(ProjectSerializer):
    available_transitions = available_transitions_field(Project, PROJECT_EXPOSED)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "milestone_template", "available_transitions"]
        read_only_fields = fields


class ProjectInputSerializer(serializers.Serializer):
    """Types of the fields ``project_create`` / ``project_update`` accept (PATCH: any subset)."""

    title = StrictCharField(max_length=200)
    field = StrictSlugField(max_length=40, help_text="Field code, e.g. `quantum`.")
    pm_team = id_field()
    performer = id_field(help_text="Organisation id.")
    lead = id_field(help_text="User id of the project lead.")
    budget = StrictDecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    support_mode = serializers.ChoiceField(choices=SupportMode.choices)
    planned_start = BoundedDateField()
    planned_end = BoundedDateField()
    window_extended_to = BoundedDateField(required=False, allow_null=True)
    sandbox_supervision = serializers.BooleanField(required=False)


class NonConsensusApproveSerializer(serializers.Serializer):
    endorsement_by = id_field(help_text="User id of the PM-team lead who endorses.")
    endorsement = StrictCharField(max_length=20000)


class NonConsensusApprovalSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    project = serializers.IntegerField(source="project_id", read_only=True)
    pm_team = serializers.IntegerField(source="pm_team_id", read_only=True)
    year = serializers.IntegerField(read_only=True)
    endorsed_by = serializers.IntegerField(source="endorsed_by_id", read_only=True)
    approved_by = serializers.IntegerField(source="approved_by_id", read_only=True)
    first_tranche_share = serializers.DecimalField(read_only=True, max_digits=5, decimal_places=4)
    first_gate_earlier_workdays = serializers.IntegerField(read_only=True)
    endorsement = serializers.CharField(read_only=True)
    approved_at = serializers.DateTimeField(read_only=True)


class PlanVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanVersion
        fields = [
            "id",
            "project",
            "version",
            "is_baseline",
            "objectives",
            "scope",
            "deliverables",
            "budget_breakdown",
            "change_note",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class PlanVersionInputSerializer(serializers.Serializer):
    project = id_field()
    objectives = StrictCharField(max_length=20000)
    scope = StrictCharField(max_length=20000, required=False, allow_blank=True, default="")
    deliverables = StrictCharField(max_length=20000, required=False, allow_blank=True, default="")
    budget_breakdown = serializers.DictField(
        child=StrictDecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0")),
        required=False,
        default=dict,
        help_text="`{item: amount}` in yuan.",
    )
    change_note = StrictCharField(max_length=4000, required=False, allow_blank=True, default="")


class TechnologyRouteSerializer(serializers.ModelSerializer):
    class Meta:
        model = TechnologyRoute
        fields = ["id", "project", "name", "family", "description", "status", "lessons_learned", "decided_at"]
        read_only_fields = fields


class TechnologyRouteInputSerializer(serializers.Serializer):
    project = id_field()
    name = StrictCharField(max_length=200)
    family = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    description = StrictCharField(max_length=20000, required=False, allow_blank=True, default="")


# --- funding ----------------------------------------------------------------------------------------------
class FundingAwardSerializer(serializers.ModelSerializer):
    measure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    amount = serializers.DecimalField(read_only=True, **MONEY)
    base_amount = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)
    retained_amount = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)
    prior_paid = serializers.DecimalField(read_only=True, **MONEY)

    class Meta:
        model = FundingAward
        fields = [
            "id",
            "project",
            "beneficiary",
            "measure",
            "amount",
            "base_amount",
            "decision_date",
            "item_kind",
            "item_ref",
            "status",
            "superseded_by",
            "superseded_by_other",
            "retained_amount",
            "prior_paid",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


# --- task lists ---------------------------------------------------------------------------------------------
class KeyTaskListSerializer(serializers.ModelSerializer):
    weighted_progress = serializers.DecimalField(read_only=True, max_digits=5, decimal_places=2)

    class Meta:
        model = KeyTaskList
        fields = [
            "id",
            "pm_team",
            "project",
            "title",
            "weighted_progress",
            "health",
            "count_not_started",
            "count_on_track",
            "count_at_risk",
            "count_overdue",
            "count_blocked",
            "count_done",
            "recalculated_at",
            "created_at",
        ]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    weight = serializers.DecimalField(read_only=True, max_digits=7, decimal_places=2)

    class Meta:
        model = Task
        fields = [
            "id",
            "task_list",
            "category",
            "title",
            "owner",
            "start_date",
            "due_date",
            "weight",
            "progress",
            "done_date",
            "blocked",
            "status",
            "milestone",
            "gate_decision",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FundingAwardInputSerializer(serializers.Serializer):
    project = id_field()
    beneficiary = id_field(help_text="Organisation id.")
    measure = StrictSlugField(max_length=40, help_text="Support measure code.")
    amount = StrictDecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    base_amount = StrictDecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True, default=None
    )
    note = StrictCharField(max_length=4000, required=False, allow_blank=True, default="")
    decision_date = BoundedDateField(
        required=False, allow_null=True, default=None, help_text="Inside the policy window; default today."
    )
    item_kind = serializers.ChoiceField(
        choices=ItemKind.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="What the award pays for; default the measure's kind.",
    )
    item_ref = StrictCharField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text="Contract number, person, product … (caps and 从优、就高、不重复 apply per item).",
    )


class KeyTaskListInputSerializer(serializers.Serializer):
    pm_team = id_field()
    title = StrictCharField(max_length=200)
    project = id_field(required=False, allow_null=True, default=None)


class TaskInputSerializer(serializers.Serializer):
    task_list = id_field()
    category = id_field(help_text="Task category id.")
    title = StrictCharField(max_length=300)
    start_date = BoundedDateField()
    due_date = BoundedDateField()
    weight = StrictDecimalField(max_digits=7, decimal_places=2, min_value=Decimal("0"), required=False)
    owner = id_field(required=False, allow_null=True)
    milestone = id_field(required=False, allow_null=True)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False)
    done_date = BoundedDateField(required=False, allow_null=True)
    blocked = serializers.BooleanField(required=False)


class TaskProgressSerializer(serializers.Serializer):
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False)
    done_date = BoundedDateField(required=False, allow_null=True)
    blocked = serializers.BooleanField(required=False)
