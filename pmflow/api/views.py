"""Core resources: the signed-in user's own notifications (the audit trail, which reads every app's
visibility rules, is on the top floor: pmflow.portfolio.audit_api)."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pmflow.api.base import ApiReadOnlyViewSet, ApiViewMixin
from pmflow.api.filters import StrictBooleanFilter, StrictFilterSet
from pmflow.models import Notification, NotificationKind, NotificationStatus


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
