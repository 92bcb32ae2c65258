"""Web pages of the portfolio floor: the landing page, which sends each user to the page of their
role — roles held in projects (PM team, project lead) and in milestones (chair, reviewer)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from projects.selectors.dashboard import request_roles


def _first_url(*names: str) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def landing_url(request: HttpRequest) -> str | None:
    """Where a user lands: programme admin / PM lead → portfolio dashboard; PM member → their
    projects; chair → the chair's gate list; reviewer → the reviewer inbox; project lead → their projects."""
    roles = request_roles(request)
    if roles.sees_portfolio:
        return _first_url("projects:dashboard", "projects:list")
    if roles.is_pm_member:
        return _first_url("projects:list")
    if roles.is_chair:
        return _first_url("milestones:chair_gates", "projects:list")
    if roles.is_reviewer:
        return _first_url("milestones:reviewer_inbox", "projects:list")
    if roles.is_project_lead:
        return _first_url("projects:list")
    return None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    url = landing_url(request)
    if url:
        return redirect(url)
    return render(request, "pmflow/home.html", {})
