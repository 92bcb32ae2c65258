"""Evidence (佐证材料) in the API: ``GET /api/v1/evidence/?milestone=<id>`` lists what the caller may
read (``milestones.selectors.evidence``), ``GET /api/v1/evidence/<id>/`` one of them, and
``POST /api/v1/evidence/`` (multipart: ``milestone``, ``title``, ``kind``, ``file``, ``description``)
attaches a file through the same service as the web form. The file itself is read back only through
the app, as an attachment: ``file_url`` (``GET /api/v1/evidence/<id>/file/``, token or session) or
``download_url`` (the web page's link); never from a public URL."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from milestones.api.visibility import milestones_for
from milestones.models import Evidence
from milestones.models.milestones import EvidenceKind
from milestones.selectors.evidence import evidence_visible_to
from milestones.services.evidence import evidence_add
from milestones.views.evidence import evidence_file_response
from pmflow.api.base import ApiReadOnlyViewSet


@extend_schema_field({"type": "string", "description": "One of: report, test_result, photo, data, other."})
class EvidenceKindField(serializers.ChoiceField):
    """The evidence kind (report, test_result, photo, data, other). Documented as a string with the
    values in its description: an enum component of its own would collide with the API's other
    ``kind`` choice sets in the schema's enum naming."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=EvidenceKind.choices, **kwargs)


class EvidenceSerializer(serializers.ModelSerializer):
    kind = EvidenceKindField(read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "milestone",
            "title",
            "kind",
            "original_name",
            "content_type",
            "size",
            "description",
            "uploaded_by",
            "uploaded_at",
            "download_url",
            "file_url",
        ]
        read_only_fields = fields

    def get_file_url(self, obj: Evidence) -> str:
        url = reverse("api:evidence-file", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_download_url(self, obj: Evidence) -> str:
        url = reverse("milestones:evidence_download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class EvidenceUploadSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    title = serializers.CharField(max_length=200)
    kind = EvidenceKindField()
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("milestone", OpenApiTypes.INT, description="Only the evidence of this milestone.")]
    )
)
class EvidenceViewSet(ApiReadOnlyViewSet):
    """Evidence you may read: your PM team's and your projects' milestones, the milestones of gates you
    chair's projects, and the milestone of a gate you review (after declaring no conflict)."""

    serializer_class = EvidenceSerializer
    ordering_fields = ["uploaded_at", "id"]
    ordering = ["uploaded_at", "id"]
    filter_backends: list[Any] = []

    def get_parsers(self) -> list[Any]:
        if getattr(self, "action", None) == "create" or (self.request is not None and self.request.method == "POST"):
            return [MultiPartParser(), FormParser()]
        return super().get_parsers()

    def get_queryset(self) -> Any:
        qs = evidence_visible_to(self.request.user)
        raw = self.request.query_params.get("milestone") if self.action == "list" else None
        if raw not in (None, ""):
            try:
                milestone_id = int(raw)
                if milestone_id < 1 or milestone_id > 2**31 - 1:
                    raise ValueError
            except (TypeError, ValueError):
                raise ValidationError({"milestone": [_("必须是正整数。")]})
            qs = qs.filter(milestone_id=milestone_id)
        return qs

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="file")
    def file(self, request: Request, pk: Any = None) -> Any:
        return evidence_file_response(self.get_object())

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer}, responses={201: EvidenceSerializer})
    def create(self, request: Request) -> Response:
        data = request.data
        serializer = EvidenceUploadSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        milestone = self.visible_object(milestones_for(request.user), values["milestone"])
        evidence = evidence_add(
            actor=request.user,
            milestone_id=milestone.pk,
            title=values["title"],
            kind=values["kind"],
            file=values["file"],
            description=values.get("description", ""),
        )
        return Response(EvidenceSerializer(evidence, context=self.get_serializer_context()).data, status=201)
