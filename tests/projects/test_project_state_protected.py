"""The state field only moves through transitions: direct assignment is refused, and the project
services never offer a queryset ``update`` of the state."""

from __future__ import annotations

import inspect
import re

import pytest

from projects.models import Project, ProjectState
from projects.services import plans, projects, teams
from tests.projects.project_support import project_in_state

pytestmark = pytest.mark.usefixtures("reference_data")


def test_setting_status_directly_is_refused():
    project = project_in_state(ProjectState.DRAFT)
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        project.status = ProjectState.ACTIVE
    assert Project.objects.get(pk=project.pk).status == ProjectState.DRAFT


def test_a_fresh_instance_cannot_be_moved_by_assignment_either():
    project = Project.objects.get(pk=project_in_state(ProjectState.ACTIVE).pk)
    with pytest.raises(AttributeError):
        project.status = ProjectState.CLOSED


@pytest.mark.parametrize("module", [projects, plans, teams])
def test_services_offer_no_queryset_update_of_the_state(module):
    source = inspect.getsource(module)
    assert not re.search(r"\.update\([^)]*status", source)
    assert "protected" not in source  # nothing switches the protection off
