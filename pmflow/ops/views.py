"""``/healthz`` (alive, no query), ``/readyz`` (every dependency, JSON) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from pmflow.ops.conf import ops_setting
from pmflow.ops.readiness import readiness_report


@never_cache
@require_safe  # GET and HEAD: some load balancers probe with HEAD
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and serving. No database, no broker: a liveness probe must not restart
    a healthy web process because a dependency is down."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    ready, results = readiness_report()
    body = {"ready": ready, "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results}}
    return JsonResponse(body, status=200 if ready else 503, json_dumps_params={"ensure_ascii": False})


def metrics_allowed(request: HttpRequest) -> bool:
    token = ops_setting("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    from pmflow.ops.metrics import metrics_render

    if not metrics_allowed(request):
        response = HttpResponse("authentication required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="pmflow-metrics"'
        return response
    payload, content_type = metrics_render()
    return HttpResponse(payload, content_type=content_type)
