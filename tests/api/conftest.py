"""A small world for the API tests: two PM teams, projects in each, a gate with a chair and an
assigned reviewer, and an authenticated API client per role (token auth, like an API consumer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from milestones.models import ReviewerAssignment
from pmflow.models import User
from projects.models import Field, Project
from tests.factories import (
    CommitteeFactory,
    GateReviewFactory,
    MilestoneFactory,
    PMTeamFactory,
    ProjectFactory,
    UserFactory,
    add_member,
    make_admin,
)

ROLES = ["admin", "lead", "member", "other_lead", "reviewer", "chair", "outsider", "anonymous"]


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@dataclass
class World:
    users: dict[str, User | None] = field(default_factory=dict)
    project: Project | None = None  # team A's project (draft), with a gate and a milestone
    other_project: Project | None = None  # team B's project
    gate: Any = None
    milestone: Any = None
    other_milestone: Any = None

    def client(self, role: str) -> APIClient:
        return client_for(self.users.get(role))


@pytest.fixture
def world(reference_data) -> World:
    admin = make_admin(username="api-admin")
    team = PMTeamFactory(lead=UserFactory(username="api-lead"))
    member = add_member(team, UserFactory(username="api-member"))
    other_team = PMTeamFactory(lead=UserFactory(username="api-other-lead"))
    chair = UserFactory(username="api-chair")
    reviewer = UserFactory(username="api-reviewer")
    outsider = UserFactory(username="api-outsider")
    quantum = Field.objects.get(code="quantum")
    project = ProjectFactory(pm_team=team, field=quantum)
    other_project = ProjectFactory(pm_team=other_team, field=quantum)
    committee = CommitteeFactory(chair=chair)
    gate = GateReviewFactory(project=project, committee=committee, chair=chair, kind="screening")
    ReviewerAssignment.objects.create(gate=gate, reviewer=reviewer)
    milestone = MilestoneFactory(project=project, sequence=1)
    other_milestone = MilestoneFactory(project=other_project, sequence=1)
    return World(
        users={
            "admin": admin,
            "lead": team.lead,
            "member": member,
            "other_lead": other_team.lead,
            "reviewer": reviewer,
            "chair": chair,
            "outsider": outsider,
            "anonymous": None,
        },
        project=project,
        other_project=other_project,
        gate=gate,
        milestone=milestone,
        other_milestone=other_milestone,
    )


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The one error body: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]
