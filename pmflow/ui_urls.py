"""Web UI pages of the core: login, home, notifications, language (owned by the web UI issue)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pmflow")


urlpatterns = [path("", home, name="home")]
