"""Assessment form for a round: ratings A–D, recommendation, comments; read-only once submitted;
another team's project is not found."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from milestones.models import Assessment, AssessmentRound
from projects.models import Project
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_and_project(reference_data):
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(status="active")
    rnd = AssessmentRound.objects.create(
        label="2026年第三季度", period_start=dt.date(2026, 7, 1), period_end=dt.date(2026, 9, 30), due_date=dt.date(2026, 10, 20)
    )
    return rnd, project


def test_form_offers_ratings_a_to_d_and_recommendations(client, round_and_project):
    rnd, project = round_and_project
    client.force_login(project.pm_team.lead)
    html = client.get(reverse("milestones:assessment_form", args=[rnd.pk, project.pk])).content.decode()
    for name in ("scope", "time", "cost", "risk", "transfer", "overall", "recommendation", "comments"):
        assert f'name="{name}"' in html
    for letter in "ABCD":
        assert f'value="{letter}"' in html
    assert 'value="terminate"' in html


def test_submitting_an_assessment_records_it(client, round_and_project):
    pytest.importorskip("milestones.services.changes")
    rnd, project = round_and_project
    client.force_login(project.pm_team.lead)
    data = {k: "B" for k in ("scope", "time", "cost", "risk", "transfer", "overall")}
    data.update(recommendation="continue", comments="进展正常")
    resp = client.post(reverse("milestones:assessment_form", args=[rnd.pk, project.pk]), data)
    assert resp.status_code == 302
    a = Assessment.objects.get(round=rnd, project=project)
    assert a.overall == "B" and a.submitted_at is not None
    html = client.get(reverse("milestones:assessment_form", args=[rnd.pk, project.pk])).content.decode()
    assert 'id="assessment-submitted"' in html
    assert 'id="assessment-form"' not in html


def test_missing_rating_is_refused(client, round_and_project):
    rnd, project = round_and_project
    client.force_login(project.pm_team.lead)
    resp = client.post(reverse("milestones:assessment_form", args=[rnd.pk, project.pk]), {"scope": "A"})
    assert resp.status_code == 400
    assert not Assessment.objects.exists()


def test_another_teams_project_is_not_found(client, round_and_project):
    rnd, project = round_and_project
    client.force_login(UserFactory())
    assert client.get(reverse("milestones:assessment_form", args=[rnd.pk, project.pk])).status_code == 404


def test_assessment_list_shows_open_rounds_for_visible_projects_with_fixed_queries(
    client, round_and_project, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rnd, project = round_and_project
    Assessment.objects.create(round=rnd, project=project)
    hidden = ProjectFactory()
    Assessment.objects.create(round=rnd, project=hidden)
    client.force_login(project.pm_team.lead)
    url = reverse("milestones:assessment_list")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        html = client.get(url).content.decode()
    assert project.code in html and hidden.code not in html
    assert reverse("milestones:assessment_form", args=[rnd.pk, project.pk]) in html
    for _ in range(5):
        Assessment.objects.create(round=rnd, project=ProjectFactory(pm_team=project.pm_team))
    with django_assert_num_queries(len(one)):
        html = client.get(url).content.decode()
    assert html.count("/assessments/") >= 6
