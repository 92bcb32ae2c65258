"""Web UI and API URL roots. Each app owns its own urls module."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", include("pmflow.api.urls")),
    path("", include("pmflow.ui_urls")),
    path("", include("projects.urls")),
    path("", include("milestones.urls")),
    path("", include("projects.urls_tasks")),
]
