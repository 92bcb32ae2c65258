"""Web UI and API URL roots. Each app owns its own urls module."""

from django.urls import include, path

from pmflow.ops import views as ops_views

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("api/", include("pmflow.api.urls")),
    path("", include("pmflow.ui_urls")),
    path("", include("projects.urls")),
    path("", include("milestones.urls")),
    path("", include("projects.urls_tasks")),
]
