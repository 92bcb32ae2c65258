"""The audit trail API (read-only): rows about projects, milestones, gates and change requests the
reader can see, by each app's own visibility rules — a read across both apps, so it sits on the top
floor (pmflow.portfolio) and the router mounts it at /api/v1/audit/."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, BooleanField, Case, CharField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from rest_framework import serializers

from milestones.api import visibility as mv
from milestones.api.visibility import summary_for_reader
from pmflow.api.base import ApiReadOnlyViewSet
from pmflow.api.filters import StrictFilterSet, id_filter
from pmflow.models import AuditEntry
from pmflow.rules import is_programme_admin
from projects.api import visibility as pv

AUDITED_MODELS = {
    "projects.project": ("projects", "project"),
    "projects.pmteam": ("projects", "pmteam"),
    "projects.technologyroute": ("projects", "technologyroute"),
    "milestones.milestone": ("milestones", "milestone"),
    "milestones.gatereview": ("milestones", "gatereview"),
    "milestones.changerequest": ("milestones", "changerequest"),
}


class AuditEntrySerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "object_type",
            "object_id",
            "object_repr",
            "action",
            "from_state",
            "to_state",
            "actor",
            "reason",
            "data",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: AuditEntry) -> dict[str, Any]:
        data = super().to_representation(instance)
        body = data.get("data")
        if isinstance(body, dict) and "summary" in body and not getattr(instance, "scores_visible", True):
            data["data"] = {**body, "summary": summary_for_reader(body["summary"], False)}
        return data

    def get_object_type(self, obj: AuditEntry) -> str:
        ct = ContentType.objects.get_for_id(obj.content_type_id)  # cached by ContentType's manager
        return f"{ct.app_label}.{ct.model}"


class AuditEntryFilter(StrictFilterSet):
    object_type = df.ChoiceFilter(choices=[(k, k) for k in AUDITED_MODELS], method="filter_object_type")
    object_id = df.CharFilter(max_length=64)
    actor = id_filter("actor_id")
    action = df.CharFilter(max_length=64)
    date_from = df.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = df.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = AuditEntry
        fields = ["object_type", "object_id", "actor", "action"]

    def filter_object_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        app_label, model = AUDITED_MODELS[value]
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


def audit_entries_for(user: Any) -> QuerySet[AuditEntry]:
    """Admins: everything. Others: rows about projects, milestones, gates and change requests they
    can see, and rows of their own actions. One query with ``IN`` subqueries."""
    qs = AuditEntry.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_programme_admin(user):
        return qs

    def ids(queryset: QuerySet) -> QuerySet:
        return queryset.order_by().annotate(pk_text=Cast("pk", CharField())).values("pk_text")

    pairs = [
        (pv.projects_for(user), "projects", "project"),
        (mv.milestones_for(user), "milestones", "milestone"),
        (mv.gates_for(user), "milestones", "gatereview"),
        (mv.change_requests_for(user), "milestones", "changerequest"),
        (pv.routes_for(user), "projects", "technologyroute"),
    ]
    condition = Q(actor_id=user.pk)
    for queryset, app_label, model in pairs:
        ct = ContentType.objects.get_by_natural_key(app_label, model)
        condition |= Q(content_type_id=ct.pk, object_id__in=ids(queryset))
    # A gate's decide row keeps the computed summary: its per-reviewer part only for readers of the
    # gate's scorecards (as on /decisions/).
    gate_ct = ContentType.objects.get_by_natural_key("milestones", "gatereview")
    gate_id = Cast(OuterRef("object_id"), BigIntegerField())
    scores_visible = Case(
        When(content_type_id=gate_ct.pk, then=mv.reviewer_scores_visible(user, gate_id)),
        default=Value(True),
        output_field=BooleanField(),
    )
    return qs.filter(condition).annotate(scores_visible=scores_visible)


class AuditEntryViewSet(ApiReadOnlyViewSet):
    """The append-only audit trail, filtered by object, actor, action and date range."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return audit_entries_for(self.request.user).order_by("-created_at", "-id")
