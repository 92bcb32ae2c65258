"""Core resources: the signed-in user's own notifications, and the audit trail (read-only)."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, BooleanField, Case, CharField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pmflow.api.base import ApiReadOnlyViewSet, ApiViewMixin
from pmflow.api.filters import StrictBooleanFilter, StrictFilterSet, id_filter
from pmflow.models import AuditEntry, Notification, NotificationKind, NotificationStatus
from pmflow.rules import is_programme_admin


# --- notifications -----------------------------------------------------------------------------------------
class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "due_date", "status", "created_at", "read_at"]
        read_only_fields = fields


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationFilter(StrictFilterSet):
    kind = df.ChoiceFilter(choices=NotificationKind.choices)
    status = df.ChoiceFilter(choices=NotificationStatus.choices)
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["kind", "status", "unread"]


class NotificationViewSet(ApiReadOnlyViewSet):
    """Your own notifications only (anyone else's is a 404)."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "due_date"]

    def get_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.filter(recipient_id=self.request.user.pk).order_by("-created_at", "-id")

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"], url_path="read")
    def read(self, request: Request, pk: Any = None) -> Response:
        """Mark one of your notifications read (idempotent)."""
        from pmflow.services.delivery import notification_mark_read

        row = self.get_object()
        notification_mark_read(actor=request.user, notification_id=row.pk)
        return self.detail_response(self.get_queryset().get(pk=row.pk))

    @extend_schema(request=None, responses={200: MarkedReadSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark all your unread notifications read."""
        from pmflow.services.delivery import notifications_mark_all_read

        return Response({"marked": notifications_mark_all_read(actor=request.user)})


# --- audit trail --------------------------------------------------------------------------------------------------
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
            from milestones.api.visibility import summary_for_reader

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
    from milestones.api import visibility as mv
    from projects.api import visibility as pv

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


# --- bench baseline ------------------------------------------------------------------------------------------------
def bench_bare_json(request: HttpRequest) -> JsonResponse:
    """A constant JSON answer through the full middleware stack: the baseline of bench/api_load.py.
    Mounted only when PMFLOW_BENCH_VIEWS is on."""
    return JsonResponse({"ok": True, "items": [{"id": i, "code": f"FI-2026-{i:04d}"} for i in range(3)]})


class BenchFloorView(ApiViewMixin, APIView):
    """The same constant answer through DRF with the API's authentication (the prepared token query),
    permission, throttle, negotiation and renderer: the framework's floor, measured beside the bare
    view by bench/api_load.py. Mounted only when PMFLOW_BENCH_VIEWS is on; not in the schema."""

    schema = None

    def get(self, request: Request) -> Response:
        return Response({"ok": True, "items": [{"id": i, "code": f"FI-2026-{i:04d}"} for i in range(3)]})
