"""Web UI pages of the core: log in / out (with the django-axes lockout page),
the in-app notification inbox, notification preferences and the private iCalendar feed.

Views stay thin: read through selectors, write through services, map application errors to
403/404/400 and render the friendly error pages (never a stack trace)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, parse_etags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pmflow.errors import NotFound
from pmflow.forms import LoginForm, NotificationPreferenceForm
from pmflow.models import Notification, User
from pmflow.selectors import notification_preference_for, notifications_for, unread_count
from pmflow.services.delivery import notification_mark_read, notifications_mark_all_read
from pmflow.services.preferences import notification_preference_set

NOTIFICATIONS_PAGE_SIZE = 25


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A locked-out user gets the clear lockout page straight away (django-axes would otherwise
        # answer with its plain-text response unless AXES_LOCKOUT_CALLABLE points at lockout_response).
        from axes.handlers.proxy import AxesProxyHandler

        if not AxesProxyHandler.is_allowed(request, {"username": request.POST.get("username", "")}):
            return lockout_response(request)
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes lockout page (``AXES_LOCKOUT_CALLABLE``): a clear message, status 429."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    return render(request, "registration/locked.html", {"cooloff_minutes": minutes}, status=429)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico`` (asked for by browsers and tools that ignore ``<link rel=icon>``): the app's icon."""
    from django.templatetags.static import static

    return redirect(static("img/favicon.svg"))


# --- notifications ----------------------------------------------------------------------------------
@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The in-app inbox: newest first, unread highlighted, paginated (fixed queries)."""
    show = request.GET.get("show", "all")
    qs = notifications_for(request.user, unread_only=show == "unread").only(
        "id", "kind", "subject", "body", "url", "due_date", "read_at", "created_at"
    )
    page = Paginator(qs, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pmflow/notifications.html", {"page": page, "rows": page.object_list, "show": show})


def _after_read(request: HttpRequest, row: Notification | None) -> HttpResponse:
    """htmx: the updated row (or a refresh) plus an HX-Trigger that updates the unread badge;
    a plain form post: back to the inbox."""
    if not request.htmx:
        return redirect(url_has_allowed_host_and_scheme_or(request, request.POST.get("next"), reverse("notifications")))
    if row is not None:
        response = render(request, "pmflow/partials/notification_row.html", {"n": row})
    else:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
    response["HX-Trigger"] = json.dumps({"pmflow:unread": unread_count(request.user)})
    return response


def url_has_allowed_host_and_scheme_or(request: HttpRequest, url: str | None, fallback: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return fallback


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        row = notification_mark_read(actor=request.user, notification_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return _after_read(request, row)


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification to its item (marking it read): its stored link, else the item's page
    found from the row's object; digests and items without a page lead to the inbox."""
    from pmflow.links import object_path

    try:
        row = notification_mark_read(actor=request.user, notification_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    target = row.url
    if not target:
        model = row.content_type.model_class()
        obj = model._default_manager.filter(pk=row.object_id).first() if model is not None else None
        target = object_path(obj, kind=row.kind) if obj is not None else ""
    return redirect(target or reverse("notifications"))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(actor=request.user)
    if not request.htmx:
        messages.success(request, _("已将全部通知标为已读。"))
    return _after_read(request, None)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """E-mail on/off and daily digest; and the private calendar feed URL."""
    pref = notification_preference_for(request.user)
    if request.method == "POST":
        form = NotificationPreferenceForm(request.POST, instance=pref)
        if form.is_valid():
            notification_preference_set(
                actor=request.user,
                email_enabled=form.cleaned_data["email_enabled"],
                daily_digest=form.cleaned_data["daily_digest"],
            )
            messages.success(request, _("通知偏好已保存。"))
            return redirect("preferences")
    else:
        form = NotificationPreferenceForm(instance=pref)
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[request.user.calendar_token]))
    return render(request, "pmflow/preferences.html", {"form": form, "feed_url": feed_url})


# --- iCalendar feed -----------------------------------------------------------------------------------
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A private token URL (no login): the user's milestone and review due dates as iCalendar.

    Calendar clients poll it: the answer carries an entity tag naming the data version, so a poll with
    ``If-None-Match`` answers 304 for two queries (the token, the version) while nothing changed; a
    changed version builds the body once and keeps it in the shared cache."""
    from projects.selectors.exports import calendar_etag
    from projects.selectors.exports import calendar_feed as feed_for

    user = User.objects.filter(calendar_token=token, is_active=True).first()
    if user is None or not token:
        raise Http404(_("日历订阅不存在。"))
    site_url = request.build_absolute_uri("/").rstrip("/")
    etag = calendar_etag(user, site_url=site_url)
    if etag is not None and etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponse(status=304)
    else:
        feed = feed_for(user, site_url=site_url, etag=etag)
        response = HttpResponse(feed.body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="pmflow.ics"'
        response["Last-Modified"] = http_date(feed.built_at.timestamp())
    if etag is not None:
        response["ETag"] = etag
    # A private URL: no shared cache may keep it, and a client keeps it only to revalidate.
    patch_cache_control(response, private=True, no_cache=True, max_age=0)
    return response
