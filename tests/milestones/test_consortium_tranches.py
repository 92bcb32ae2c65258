"""联合攻关: a project with three performing organisations whose shares add up, released tranche by
tranche, each organisation receiving its share of every tranche (parts add up to the tranche)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from milestones.models import Milestone
from milestones.services.tranches import tranche_release
from pmflow.errors import InvalidInput
from projects.models.projects import ProjectParticipant
from projects.selectors.consortium import project_released_by_organisation
from projects.services.consortium import project_participants_set
from tests.factories import OrganisationFactory
from tests.milestones.conftest import later, project_in

pytestmark = pytest.mark.django_db


def _passed(project, amount, sequence):
    m = Milestone.objects.create(
        project=project,
        sequence=sequence,
        title=f"M{sequence}",
        baseline_due=later(30 * sequence),
        current_due=later(30 * sequence),
        tranche_amount=Decimal(amount),
    )
    Milestone.objects.filter(pk=m.pk).update(status="passed")
    return m


def test_three_organisations_shares_add_up_and_each_tranche_is_split_by_share(cast):
    project = project_in(cast, "active", budget=Decimal("10000000"))
    uni, lab = OrganisationFactory(name="某大学"), OrganisationFactory(name="某研究院")
    rows = project_participants_set(
        actor=cast.admin,
        project_id=project.pk,
        participants=[
            {"organisation_id": cast.performer.pk, "role": "lead", "share": "0.5", "responsibility": "整机集成"},
            {"organisation_id": uni.pk, "role": "member", "share": "0.3333", "responsibility": "算法"},
            {"organisation_id": lab.pk, "role": "member", "share": "0.1667", "responsibility": "测试验证"},
        ],
    )
    assert sum(r.share for r in rows) == Decimal(1)
    expected = {cast.performer.pk: Decimal(0), uni.pk: Decimal(0), lab.pk: Decimal(0)}
    for seq, amount in enumerate(["2000000.00", "3000000.01", "4999999.99"], start=1):
        tranche_release(actor=cast.admin, milestone_id=_passed(project, amount, seq).pk)
        got = project_released_by_organisation(project_id=project.pk)
        assert sum(got.values()) == sum(Decimal(a) for a in ["2000000.00", "3000000.01", "4999999.99"][:seq])
        expected[uni.pk] += (Decimal(amount) * Decimal("0.3333")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        expected[lab.pk] += (Decimal(amount) * Decimal("0.1667")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        assert (got[uni.pk], got[lab.pk]) == (expected[uni.pk], expected[lab.pk])
    assert got[cast.performer.pk] == Decimal("10000000.00") - got[uni.pk] - got[lab.pk]


@pytest.mark.parametrize(
    ("participants", "needle"),
    [
        ([("performer", "lead", "0.5"), ("other", "member", "0.4")], "应为 1"),
        ([("performer", "member", "0.5"), ("other", "member", "0.5")], "牵头单位"),
        ([("other", "lead", "0.5"), ("performer", "member", "0.5")], "牵头单位须为"),
        ([("performer", "lead", "0.5"), ("performer", "member", "0.5")], "重复"),
        ([("performer", "lead", "1.5")], "0 到 1"),
        ([("performer", "lead", "abc")], "数字"),
    ],
)
def test_bad_consortia_are_refused_and_nothing_changes(cast, participants, needle):
    project = project_in(cast, "draft")
    other = OrganisationFactory()
    ids = {"performer": cast.performer.pk, "other": other.pk}
    with pytest.raises(InvalidInput) as exc:
        project_participants_set(
            actor=cast.admin,
            project_id=project.pk,
            participants=[{"organisation_id": ids[o], "role": r, "share": s} for o, r, s in participants],
        )
    assert any(needle in m for m in exc.value.fields["participants"])
    assert not ProjectParticipant.objects.exists()


def test_a_project_without_participants_pays_its_performer(cast):
    project = project_in(cast, "active")
    tranche_release(actor=cast.admin, milestone_id=_passed(project, "1000000", 1).pk)
    assert project_released_by_organisation(project_id=project.pk) == {cast.performer.pk: Decimal("1000000.00")}
