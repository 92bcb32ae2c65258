"""Root URLs: admin, web UI, REST API and its schema.

Nothing is served from ``MEDIA_ROOT``: uploaded evidence is private and read back only through
``milestones:evidence_download`` (which checks who may see it), so there is no ``static(MEDIA_URL)``
route, not even under DEBUG."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("pmflow.web_urls")),
]
