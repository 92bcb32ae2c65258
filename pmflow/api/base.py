"""What every API view shares: authentication order, JSON in and out, the error handler, strict
pagination and ordering, write throttling, and an OpenAPI schema that documents the error body on
every operation."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from pmflow.api.authentication import TokenAuthentication
from pmflow.api.exceptions import api_exception_handler
from pmflow.api.fields import ascii_id
from pmflow.api.parsers import BoundedJSONParser
from pmflow.api.settings import api_setting


# --- error body -------------------------------------------------------------------------------------
class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="invalid | not_authenticated | forbidden | not_found | conflict | too_large | throttled | …"
    )
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": "Bad input: `error.fields` names every bad field.",
    "401": "Not authenticated.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "The object does not exist or is not visible to you.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "Conflict: the transition is not allowed from the current state, or was lost to a concurrent one.",
    "413": "Request body larger than the server accepts (2.5 MB by default).",
    "415": "Unsupported media type (send JSON).",
    "429": "Too many requests.",
}


class PmflowAutoSchema(AutoSchema):
    """Adds the error body to every operation for each status the API may return."""

    def get_tags(self) -> list[str]:
        tokens = self._tokenize_path()
        # /api/v1/<resource>/… → <resource>
        return [tokens[2]] if len(tokens) > 2 and tokens[:2] == ["api", "v1"] else tokens[:1]

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "404", "405", "406", "415", "429"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("409")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("413")
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]), code, direction=direction
                )
        return responses


# --- pagination and ordering ----------------------------------------------------------------------------
def _positive_int(raw: str | None, *, name: str, maximum: int | None = None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("必须是正整数。")]})
    if value < 1 or (maximum is not None and value > maximum):
        if maximum is not None:
            raise ValidationError({name: [_("必须是 1 到 %(max)d 之间的整数。") % {"max": maximum}]})
        raise ValidationError({name: [_("必须是正整数。")]})
    return value


PAGE_PARAM = "page"
PAGE_SIZE_PARAM = "page_size"


class StrictPageNumberPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (max ``MAX_PAGE_SIZE``). A malformed value is a 400 naming the
    parameter (not silently ignored); a page past the end is a 404. Two queries: count and page."""

    page_query_param = PAGE_PARAM
    page_size_query_param = PAGE_SIZE_PARAM

    @property
    def page_size(self) -> int:  # type: ignore[override]
        return api_setting("PAGE_SIZE")

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return api_setting("MAX_PAGE_SIZE")

    def get_page_size(self, request: Any) -> int:
        value = _positive_int(request.query_params.get(self.page_size_query_param), name="page_size", maximum=self.max_page_size)
        return value or self.page_size

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        number = _positive_int(request.query_params.get(self.page_query_param), name="page", maximum=2**31 - 1)
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise NotFound(_("第 %(page)s 页不存在。") % {"page": number})

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number (1-based).",
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=a,-b`` over the view's ``ordering_fields``; an unknown field is a 400."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if raw:
            allowed = {name for name, _label in self.get_valid_fields(queryset, view, {"request": request})}
            terms = [t.strip() for t in raw.split(",")]
            bad = [t for t in terms if not t or t.lstrip("-") not in allowed]
            if bad:
                raise ValidationError({self.ordering_param: [_("未知的排序字段：%(f)s。") % {"f": "、".join(bad)}]})
            return terms
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = list(getattr(view, "ordering_fields", None) or [])
        values = [v for f in fields for v in (f, f"-{f}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated fields to order by; prefix `-` for descending.",
                "schema": {"type": "array", "items": {"type": "string", "enum": values}},
                "style": "form",
                "explode": False,
            }
        ]


# --- throttling -------------------------------------------------------------------------------------------
class _ScopedThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        from rest_framework.settings import api_settings

        rates = dict(api_setting("THROTTLE_RATES"))
        rates.update(api_settings.DEFAULT_THROTTLE_RATES or {})
        return rates.get(self.scope)


class WritesThrottle(_ScopedThrottle):
    """Scope ``writes``: every unsafe request, per user (per IP when anonymous)."""

    scope = "writes"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request: Any, view: Any) -> str:
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenThrottle(_ScopedThrottle):
    """Scope ``token``: per client IP, on the token endpoint."""

    scope = "token"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


# --- the base every API view uses --------------------------------------------------------------------------
class ApiViewMixin:
    """Token first (so an anonymous request gets 401 with ``WWW-Authenticate: Token``), then session
    (the web UI; CSRF enforced on writes). JSON only. Our error handler, pagination and throttles."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]  # ours: admin check in the token query
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    parser_classes = [BoundedJSONParser]  # bounded depth; size bounded by DATA_UPLOAD_MAX_MEMORY_SIZE
    pagination_class = StrictPageNumberPagination
    throttle_classes = [WritesThrottle]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    schema = PmflowAutoSchema()

    def get_exception_handler(self) -> Any:
        return api_exception_handler


def ok(data: Any, status: int = 200) -> Response:
    return Response(data, status=status)


class ApiReadOnlyViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """List + retrieve. ``detail_serializer_class`` (optional) is used for retrieve and write responses."""

    detail_serializer_class: type[serializers.Serializer] | None = None
    # ASCII digits only: Python's int() reads "１" (full-width) as 1, so /projects/１/ was project 1.
    # Anything else in the id segment matches no route: the API's JSON 404.
    lookup_value_regex = "[0-9]+"

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action != "list" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return super().get_serializer_class()

    def filter_queryset(self, queryset: Any) -> Any:
        """The list filters and ordering. With no query parameter but ``page``/``page_size`` the
        FilterSet has nothing to filter (no filter is required or has a default), so it is not built:
        constructing it (a deep copy of every filter and a bound form) cost ~5 ms a request, more
        than the list's SQL. Ordering still applies (the view's default)."""
        params = self.request.query_params
        if any(key not in (PAGE_PARAM, PAGE_SIZE_PARAM) for key in params):
            return super().filter_queryset(queryset)
        for backend in self.filter_backends:
            if not issubclass(backend, DjangoFilterBackend):
                queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def get_object(self) -> Any:
        """The visible object named by the URL, else 404. List filters and ordering do not apply to
        a single object (DRF would build the FilterSet for nothing: ~7 ms a request under load)."""
        from django.http import Http404

        pk = ascii_id(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        if pk is None:
            raise Http404
        try:
            obj = self.get_queryset().get(**{self.lookup_field: pk})
        except self.get_queryset().model.DoesNotExist:
            raise Http404
        self.check_object_permissions(self.request, obj)
        return obj

    def detail_response(self, obj: Any, status: int = 200) -> Response:
        cls = self.detail_serializer_class or self.serializer_class
        return Response(cls(obj, context=self.get_serializer_context()).data, status=status)

    def visible_object(self, queryset: Any, pk: Any) -> Any:
        """``pk`` from ``queryset`` (already filtered by visibility), else 404."""
        from django.http import Http404

        number = ascii_id(pk)
        if number is None:
            raise Http404
        try:
            return queryset.get(pk=number)
        except queryset.model.DoesNotExist:
            raise Http404


def object_list(child: serializers.Serializer, **kwargs: Any) -> serializers.ListSerializer:
    """A JSON array of ``child`` objects. ``allow_null`` (in ``kwargs``) lets the whole list be
    ``null`` but never one of its items: DRF's ``many=True`` passes ``allow_null`` to the child as
    well, so ``[null]`` got through validation and crashed the view (``dict(None)``)."""
    return serializers.ListSerializer(child=child, **kwargs)


def validated(serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False) -> dict[str, Any]:
    """Type-check a request body with ``serializer_class``; 400 naming the fields otherwise."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("请求体必须是 JSON 对象。")]})
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
