"""The OpenAPI schema and its two browsable pages, served from local static files (sidecar).

Swagger UI loads its init script from a separate URL (no inline script) and Redoc is rendered
without inline script or third-party fonts, so both work under the site's CSP (``script-src
'self'``). Redoc builds its search worker from a ``blob:`` URL; that page alone allows it.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import escape
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from pmflow.api.base import ApiViewMixin
from pmflow.api.exceptions import api_exception_handler


class SchemaView(SpectacularAPIView):
    permission_classes = [AllowAny]

    def get_exception_handler(self) -> Any:
        return api_exception_handler


class SwaggerView(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]
    url_name = "api-schema"


REDOC_PAGE = """<!DOCTYPE html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body {{ margin: 0; padding: 0; }}</style></head>
<body><redoc spec-url="{schema_url}"></redoc><script src="{script}"></script></body></html>
"""


@method_decorator(csp_update({"worker-src": ["'self'", "blob:"]}), name="get")
class RedocView(ApiViewMixin, APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(exclude=True)
    def get(self, request: HttpRequest) -> HttpResponse:
        html = REDOC_PAGE.format(
            title="pmflow API",
            schema_url=escape(reverse("api-schema")),
            script=escape(static("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")),
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")
