"""拨付资金 on the milestone page: offered to the programme admin and the chair of the milestone's gate
once the gate has passed the milestone, never twice; the PM team and the project lead do not see it
and are refused (403, nothing released); another team gets 404; a second release is a 409 with the
reason shown. The page keeps its query count."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from milestones.models import Milestone, TrancheRelease
from tests.web.evidence_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(reference_data):
    w = build_world()
    Milestone.objects.filter(pk=w.in_progress.pk).update(status="passed", tranche_amount=Decimal("1500000"))
    w.in_progress.refresh_from_db()
    return w


def _html(client, user, milestone) -> str:
    client.force_login(user)
    resp = client.get(reverse("milestones:milestone_detail", args=[milestone.pk]))
    assert resp.status_code == 200
    return resp.content.decode()


def test_the_gate_chair_sees_the_button_and_releases_once(client, world):
    m = world.in_progress
    html = _html(client, world.chair, m)
    assert 'id="milestone-release"' in html and "拨付资金（150.00 万元）" in html
    resp = client.post(reverse("milestones:milestone_release", args=[m.pk]), follow=True)
    assert resp.status_code == 200
    assert "已拨付 150.00 万元。" in resp.content.decode()
    release = TrancheRelease.objects.get(milestone=m)
    assert release.amount == Decimal("1500000") and release.released_by == world.chair
    html = _html(client, world.chair, m)
    assert 'id="milestone-release"' not in html  # released: no second button
    resp = client.post(reverse("milestones:milestone_release", args=[m.pk]))
    assert resp.status_code == 409 and "不能重复拨付" in resp.content.decode()
    assert TrancheRelease.objects.filter(milestone=m).count() == 1


def test_the_programme_admin_sees_the_button(client, world, admin_user):
    assert 'id="milestone-release"' in _html(client, admin_user, world.in_progress)


@pytest.mark.parametrize("who", ["pm_member", "pm_lead", "project_lead"])
def test_pm_team_and_lead_neither_see_nor_may_release(client, world, who):
    m = world.in_progress
    assert 'id="milestone-release"' not in _html(client, getattr(world, who), m)
    assert client.post(reverse("milestones:milestone_release", args=[m.pk])).status_code == 403
    assert not TrancheRelease.objects.filter(milestone=m).exists()


def test_not_offered_before_the_gate_passes_and_refused_with_a_reason(client, world):
    m = world.submitted  # its gate has not decided
    assert 'id="milestone-release"' not in _html(client, world.chair, m)
    resp = client.post(reverse("milestones:milestone_release", args=[m.pk]))
    assert resp.status_code == 409 and "尚未通过关口评审" in resp.content.decode()
    assert not TrancheRelease.objects.exists()


def test_another_team_gets_404(client, world):
    client.force_login(world.other_team_member)
    assert client.post(reverse("milestones:milestone_release", args=[world.in_progress.pk])).status_code == 404
    assert not TrancheRelease.objects.exists()


def test_get_is_not_allowed(client, world):
    client.force_login(world.chair)
    assert client.get(reverse("milestones:milestone_release", args=[world.in_progress.pk])).status_code == 405
