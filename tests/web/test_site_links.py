"""Links in notifications and e-mails (issue 12): every notification links to its item, e-mail links
are built from the one site-URL setting, `make run` sets it from HOST and PORT; the favicon and the
app's own error pages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from milestones.models import Milestone
from milestones.services.decisions import gate_decide
from milestones.services.milestones import milestone_start, milestone_submit
from pmflow.models import Notification, NotificationKind
from pmflow.services.delivery import notifications_deliver_pending
from pmflow.services.reminders import reminders_sweep
from tests.milestones.conftest import (
    Cast,
    assign_and_open,
    cast,  # noqa: F401  (the fixture, used through `people`)
    later,
    project_in,
    review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(request) -> Cast:
    """The people around one project (tests/milestones/conftest.py's ``cast``)."""
    return request.getfixturevalue("cast")


ROOT = Path(__file__).resolve().parents[2]
SITE = "http://127.0.0.1:8101"


def _pmflow(**changes):
    from django.conf import settings

    return {**settings.PMFLOW, **changes}


def _decided_gate(people: Cast):
    project = project_in(people, "active")
    m = Milestone.objects.create(
        project=project, sequence=1, title="M1", baseline_due=later(60), current_due=later(60), tranche_amount=1000
    )
    milestone_start(actor=people.pm_member, milestone_id=m.pk)
    _, gate = milestone_submit(actor=people.pm_member, milestone_id=m.pk, committee_id=people.committee.pk)
    gate = assign_and_open(people, gate, reviewers=3)
    for reviewer in people.reviewers[:3]:
        review(gate, reviewer)
    decision = gate_decide(actor=people.chair, gate_id=gate.pk, outcome="go")
    return project, gate, decision


def test_make_run_sets_the_site_url_from_its_host_and_port():
    out = subprocess.run(
        ["make", "-n", "run", "PORT=8101"], cwd=ROOT, capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"}
    ).stdout
    assert "PMFLOW_SITE_URL=http://127.0.0.1:8101 " in out
    out = subprocess.run(
        ["make", "-n", "run", "HOST=0.0.0.0", "PORT=9000", "SITE_URL=https://pm.example.org"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout
    assert "PMFLOW_SITE_URL=https://pm.example.org " in out


def test_gate_decision_notification_links_to_the_project_and_its_email_uses_the_site_url(people):
    project, gate, decision = _decided_gate(people)
    row = Notification.objects.get(recipient=people.pm_lead, kind=NotificationKind.GATE_DECIDED, object_id=str(decision.pk))
    assert row.url == reverse("projects:detail", args=[project.pk]) + "#timeline"
    mail.outbox.clear()
    with override_settings(PMFLOW=_pmflow(SITE_URL=SITE + "/")):
        notifications_deliver_pending()
    bodies = {m.to[0]: m.body for m in mail.outbox if m.subject == row.subject}
    assert f"{SITE}/projects/{project.pk}/#timeline" in bodies[people.pm_lead.email]
    assert ":8000" not in "".join(m.body for m in mail.outbox)


def test_every_notification_of_a_gate_lifecycle_has_a_link(people):
    _decided_gate(people)
    rows = list(Notification.objects.all())
    assert rows
    assert [r for r in rows if not r.url] == []
    assigned = Notification.objects.filter(kind=NotificationKind.REVIEW_ASSIGNED).first()
    assert assigned.url.startswith("/reviews/gates/")


def test_reminders_link_reviewers_to_their_review_page_and_pm_teams_to_the_milestone(people):
    import datetime as dt

    from milestones.models import GateReview
    from pmflow.workdays import add_workdays

    project = project_in(people, "active")
    today = dt.date(2026, 3, 2)  # a Monday (working day)
    due = add_workdays(today, 1)
    m = Milestone.objects.create(project=project, sequence=1, title="M1", baseline_due=due, current_due=due)
    Milestone.objects.filter(pk=m.pk).update(status="in_progress")
    gate = assign_and_open(people, _gate_for(people, project, due), reviewers=2)
    GateReview.objects.filter(pk=gate.pk).update(due_date=due)
    reminders_sweep(today=today)
    review_row = Notification.objects.get(kind=NotificationKind.REVIEW_DUE, recipient=people.reviewers[0])
    assert review_row.url == reverse("milestones:review_gate", args=[gate.pk])
    ms_row = Notification.objects.get(kind=NotificationKind.MILESTONE_DUE, recipient=people.pm_member)
    # the milestone's page where the app has one, else its row on the project page
    assert ms_row.url.endswith(f"#milestone-{m.pk}")
    assert ms_row.url.split("#")[0] in (_url_or_blank("milestones:milestone_detail", m.pk), f"/projects/{project.pk}/")


def _url_or_blank(name, *args):
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _gate_for(people: Cast, project, due):
    from tests.factories import GateReviewFactory

    return GateReviewFactory(project=project, committee=people.committee, due_date=due)


def test_in_app_rows_link_to_their_item_even_without_a_stored_link(client, people):
    project, gate, decision = _decided_gate(people)
    row = Notification.objects.get(recipient=people.pm_lead, kind=NotificationKind.GATE_DECIDED)
    Notification.objects.filter(pk=row.pk).update(url="")  # a row written before links existed
    client.force_login(people.pm_lead)
    page = client.get(reverse("notifications")).content.decode()
    open_url = reverse("notification_open", args=[row.pk])
    assert f'href="{open_url}"' in page
    response = client.get(open_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=[project.pk]) + "#timeline"
    row.refresh_from_db()
    assert row.read_at is not None


def test_someone_elses_notification_cannot_be_opened(client, people):
    _decided_gate(people)
    row = Notification.objects.filter(recipient=people.pm_lead).first()
    client.force_login(people.reviewers[0])
    assert client.get(reverse("notification_open", args=[row.pk])).status_code == 404


def test_favicon_is_served_by_the_app(client):
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("img/favicon.svg")
    assert finders.find("img/favicon.svg")  # served by WhiteNoise (make run: from the app folder)


def test_base_page_declares_the_favicon(client, people):
    client.force_login(people.pm_lead)
    page = client.get(reverse("notifications")).content.decode()
    assert 'rel="icon"' in page


@override_settings(DEBUG=True)
def test_unknown_url_under_debug_shows_the_apps_404_page(client, people):
    client.force_login(people.pm_lead)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'id="error-404"' in body
    assert "Django" not in body and "URLconf" not in body


@override_settings(DEBUG=True)
def test_missing_object_under_debug_shows_the_apps_404_page(client, people):
    client.force_login(people.pm_lead)
    response = client.get(reverse("projects:detail", args=[999999]))
    assert response.status_code == 404
    assert 'id="error-404"' in response.content.decode()
    assert "technical_404" not in response.content.decode()


def test_unknown_url_without_debug_shows_the_apps_404_page(client, people):
    client.force_login(people.pm_lead)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'id="error-404"' in response.content.decode()
