"""The milestone timeline and the funding position of a project."""

from __future__ import annotations

from decimal import Decimal

import pytest

from milestones.models import Milestone
from milestones.selectors.milestones import milestone_timeline, milestones_releasable, project_funding_summary
from milestones.services.templates import milestones_create_from_template
from milestones.services.tranches import tranche_release
from tests.milestones.conftest import project_in

pytestmark = pytest.mark.django_db


def test_timeline_and_funding_position(cast, django_assert_num_queries):
    project = project_in(cast, "active")
    milestones_create_from_template(project=project, actor=cast.admin)
    m1, m2, _m3 = project.milestones.order_by("sequence")
    Milestone.objects.filter(pk__in=[m1.pk, m2.pk]).update(status="passed")
    Milestone.objects.filter(pk=m2.pk).update(
        current_due=m2.current_due.replace(day=1) if m2.current_due.day > 1 else m2.current_due
    )
    tranche_release(actor=cast.admin, milestone_id=m1.pk)

    with django_assert_num_queries(2):
        rows = milestone_timeline(project=project)
    assert [r["milestone"].sequence for r in rows] == [1, 2, 3]
    assert rows[0]["release"].amount == Decimal("3000000.00") and not rows[0]["releasable"]
    assert rows[1]["releasable"] and rows[1]["slip_workdays"] <= 0
    assert list(milestones_releasable(project=project)) == [Milestone.objects.get(pk=m2.pk)]

    with django_assert_num_queries(1):
        summary = project_funding_summary(project=project)
    assert summary == {
        "committed": Decimal("10000000.00"),
        "releasable": Decimal("3000000.00"),
        "released": Decimal("3000000.00"),
        "budget": project.budget,
    }
