"""PM teams are created and staffed by programme admins only, with validated input."""

from __future__ import annotations

import datetime as dt

import pytest

from pmflow.audit import audit_trail_for
from pmflow.errors import Forbidden, InvalidInput
from projects.models import PMTeam, PMTeamMembership
from projects.services.teams import pm_team_create, pm_team_member_add
from tests.factories import PMTeamFactory, UserFactory, make_admin

pytestmark = pytest.mark.usefixtures("reference_data")


def _create(actor, **overrides):
    args = {
        "code": "quantum-pm",
        "name": "量子科技项目经理团队",
        "lead": UserFactory(),
        "term_start": dt.date(2025, 10, 1),
        "term_end": dt.date(2028, 9, 30),
        "fields": ["quantum"],
        "non_consensus_quota": 3,
    }
    return pm_team_create(actor=actor, **{**args, **overrides})


def test_admin_creates_a_team_with_its_lead_as_lead_member():
    admin = make_admin()
    team = _create(admin)
    assert team.memberships.get().role == PMTeamMembership.Role.LEAD
    assert list(team.fields.values_list("code", flat=True)) == ["quantum"]
    assert team.non_consensus_quota == 3
    assert audit_trail_for(team).get().action == "create"


def test_non_admin_cannot_create_or_staff_a_team():
    lead = PMTeamFactory().lead
    with pytest.raises(Forbidden):
        _create(lead)
    with pytest.raises(Forbidden):
        pm_team_member_add(actor=lead, team_id=lead.led_pm_teams.get().pk, user=UserFactory())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "Not A Slug"}, "code"),
        ({"name": ""}, "name"),
        ({"lead": 10**9}, "lead"),
        ({"term_end": dt.date(2025, 1, 1)}, "term_end"),
        ({"fields": ["alchemy"]}, "fields"),
        ({"non_consensus_quota": -1}, "non_consensus_quota"),
    ],
)
def test_bad_team_input_is_refused_with_the_field_named(overrides, field):
    with pytest.raises(InvalidInput) as exc:
        _create(make_admin(), **overrides)
    assert field in exc.value.fields
    assert not PMTeam.objects.filter(code="quantum-pm").exists()


def test_duplicate_code_is_refused():
    admin = make_admin()
    _create(admin)
    with pytest.raises(InvalidInput) as exc:
        _create(admin, name="另一个名称")
    assert "code" in exc.value.fields


def test_member_add_validates_role_and_duplicates():
    admin = make_admin()
    team = PMTeamFactory()
    user = UserFactory()
    membership = pm_team_member_add(actor=admin, team_id=team.pk, user=user)
    assert membership.role == PMTeamMembership.Role.MEMBER
    with pytest.raises(InvalidInput) as exc:
        pm_team_member_add(actor=admin, team_id=team.pk, user=user)
    assert "user" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        pm_team_member_add(actor=admin, team_id=team.pk, user=UserFactory(), role="boss")
    assert "role" in exc.value.fields


def test_team_added_in_admin_gets_its_lead_as_lead_member(client):
    from django.urls import reverse

    from projects.models import Field

    lead = UserFactory()
    client.force_login(make_admin())
    response = client.post(
        reverse("admin:projects_pmteam_add"),
        {
            "code": "fusion-pm",
            "name": "聚变项目经理团队",
            "lead": lead.pk,
            "fields": [Field.objects.get(code="fusion").pk],
            "term_start": "2025-10-01",
            "term_end": "2028-09-30",
            "non_consensus_quota": 2,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    team = PMTeam.objects.get(code="fusion-pm")
    assert team.memberships.get(user=lead).role == PMTeamMembership.Role.LEAD
