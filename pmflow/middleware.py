"""The app's own 404 / 500 pages under DEBUG too (``make run`` runs the dev settings with DEBUG on).

Django answers a 404 with its technical page when DEBUG is on, and an unhandled exception with its
yellow debug page. A person using ``make run`` should never see either: this middleware renders
``404.html`` / ``500.html`` instead (the traceback still goes to the console log). It does nothing
when DEBUG is off (Django then uses the same templates itself) or when ``PMFLOW_DEBUG_PAGES=1``
asks for Django's pages back while debugging. The API keeps its JSON errors (DRF handles its own
exceptions before they reach a middleware)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("django.request")

#: paths whose 404s are not pages (API JSON, files)
_PASS_THROUGH = ("/api/", "/static/", "/media/")


def _active() -> bool:
    return bool(settings.DEBUG) and not settings.PMFLOW.get("DEBUG_PAGES", False)


class FriendlyErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            _active()
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None  # no URL matched: Django's technical 404
            and not request.path.startswith(_PASS_THROUGH)
        ):
            return render(request, "404.html", status=404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _active() or request.path.startswith("/api/"):
            return None
        if isinstance(exception, Http404):
            return render(request, "404.html", status=404)
        if isinstance(exception, PermissionDenied):
            return None  # Django renders 403.html whatever DEBUG says
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return render(request, "500.html", status=500)
