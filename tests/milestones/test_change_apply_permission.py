"""Who is offered "apply" on an approved change request: the chair applies plan changes; requests that
move the project itself (suspend / resume / terminate) are applied by a programme admin only, so the
chair is not offered a button that would be refused."""

from __future__ import annotations

import pytest

from pmflow.transitions import transitions_available
from tests.milestones.change_support import D, approved, world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["suspend", "terminate"])
def test_chair_is_not_offered_apply_for_a_project_state_change(reference_data, kind):
    w = world(dues=[D(2026, 9, 21), D(2026, 9, 29)])
    cr = approved(w, kind=kind, payload={})
    assert "apply" not in transitions_available(cr, w.chair)
    assert "apply" in transitions_available(cr, w.admin)


def test_chair_is_offered_apply_for_a_rescope(reference_data):
    w = world(dues=[D(2026, 9, 21), D(2026, 9, 29)])
    milestone = w.milestones[0]
    cr = approved(w, kind="rescope", payload={"deliverables": "新的交付物"}, milestone=milestone)
    assert "apply" in transitions_available(cr, w.chair)
