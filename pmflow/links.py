"""Links in notifications and e-mails: the web page of the item a notification is about, and the
site's absolute URL (``PMFLOW["SITE_URL"]``, from the ``PMFLOW_SITE_URL`` environment variable,
which ``make run`` sets from its HOST and PORT).

Notification rows store a *relative* path (``Notification.url``); e-mail bodies make it absolute
at delivery time with ``absolute_url``, so one setting decides every link and a row written before
the site moved still links to the right place.

The core imports no app: items are named by their model label (``"milestones.gatereview"``) and
pages by their URL names, resolved with ``reverse`` (a page that does not exist yields "").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse

#: notification kinds addressed to a reviewer: a gate link opens the reviewer's page, not the chair's
REVIEWER_KINDS = frozenset({"review_due", "review_overdue", "review_assigned"})


def site_url() -> str:
    """The site's base URL without a trailing slash, e.g. ``http://127.0.0.1:8101``."""
    return str(settings.PMFLOW.get("SITE_URL", "") or "").rstrip("/")


def absolute_url(path: str) -> str:
    """``path`` on the site (``/gates/3/`` → ``http://host:port/gates/3/``); absolute URLs and ""
    are returned unchanged."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return site_url() + (path if path.startswith("/") else "/" + path)


def _reverse(name: str, *args: Any) -> str:
    if any(a in (None, "") for a in args):
        return ""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def item_path(
    label: str, *, pk: Any, kind: str = "", project_id: Any = None, gate_id: Any = None, task_list_id: Any = None
) -> str:
    """The web page of one item, given its model label and the ids it points to ("" when the item
    has no page). Needs no query: callers pass what they know (an instance's ``*_id`` attributes, or
    the columns of a set-based query)."""
    if label == "projects.project":
        return _reverse("projects:detail", pk)
    if label == "milestones.milestone":
        # the milestone's own page where there is one, else its row on the project page
        path = _reverse("milestones:milestone_detail", pk) or _reverse("projects:detail", project_id)
        return f"{path}#milestone-{pk}" if path else ""
    if label == "milestones.gatereview":
        if kind in REVIEWER_KINDS:
            return _reverse("milestones:review_gate", pk)
        return _reverse("milestones:gate_detail", pk)
    if label == "milestones.gatedecision":
        # The decision is news for the PM team: their project page shows it on the timeline.
        if project_id is not None:
            return _reverse("projects:detail", project_id) + "#timeline"
        return _reverse("milestones:gate_detail", gate_id)
    if label == "milestones.reviewerassignment":
        return _reverse("milestones:review_gate", gate_id)
    if label == "milestones.changerequest":
        return _reverse("milestones:change_request_detail", pk)
    if label == "milestones.assessmentround":
        return _reverse("milestones:assessment_list")
    if label == "projects.keytasklist":
        return _reverse("tasks:board", pk)
    if label == "projects.task":
        return _reverse("tasks:board", task_list_id)
    return ""


def object_path(obj: models.Model, *, kind: str = "") -> str:
    """``item_path`` of a model instance (reads its ``*_id`` attributes; for a gate decision, the
    gate's project)."""
    label = obj._meta.label_lower
    project_id = getattr(obj, "project_id", None)
    if label == "milestones.gatedecision" and project_id is None:
        gate = getattr(obj, "gate", None)
        project_id = getattr(gate, "project_id", None)
    return item_path(
        label,
        pk=obj.pk,
        kind=kind,
        project_id=project_id,
        gate_id=getattr(obj, "gate_id", None),
        task_list_id=getattr(obj, "task_list_id", None),
    )


def notification_path(row: Any) -> str:
    """Where an in-app notification row links: its stored path, else the page that opens it (which
    finds the item when clicked; digests and rows about items without a page go to the inbox)."""
    if getattr(row, "url", ""):
        return row.url
    return _reverse("notification_open", row.pk)
