"""The non-consensus path: approval by the chair with the PM-team lead's endorsement, on the
risk-controlled track, counted against the PM team's yearly quota (refused when spent, also when
two approvals race for the last unit)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from milestones.models import NonConsensusApproval
from milestones.services.decisions import gate_decide, non_consensus_approve
from pmflow.errors import ApplicationError, Conflict, Forbidden, InvalidInput
from pmflow.workdays import workdays_between
from projects.models import Project, ProjectState
from tests.milestones.conftest import project_in, review, screening_gate


def _to_non_consensus(cast, project):
    gate = screening_gate(cast, project, reviewers=3)
    review(gate, cast.reviewers[0], rec="go", score=95, champion=True)
    review(gate, cast.reviewers[1], rec="kill", score=30)
    review(gate, cast.reviewers[2], rec="hold", score=50)
    gate_decide(actor=cast.chair, gate_id=gate.pk, outcome="non_consensus")
    return Project.objects.get(pk=project.pk)


@pytest.mark.django_db
def test_approval_puts_the_project_on_the_risk_controlled_track(cast, settings):
    project = _to_non_consensus(cast, project_in(cast))
    approval = non_consensus_approve(actor=cast.chair, project_id=project.pk, endorsement_by=cast.pm_lead, endorsement="背书")
    project.refresh_from_db()
    assert project.status == ProjectState.APPROVED
    assert approval.endorsed_by == cast.pm_lead and approval.approved_by == cast.chair
    first, second, third = project.milestones.order_by("sequence")
    share = Decimal(settings.PMFLOW["NON_CONSENSUS_FIRST_TRANCHE_SHARE"])
    assert first.tranche_amount == project.budget * share
    assert first.tranche_amount + second.tranche_amount + third.tranche_amount == project.budget

    # Compared with the normal track: the first gate is earlier by the configured working days.
    normal = project_in(cast, "screening")
    from milestones.services.templates import milestones_create_from_template

    milestones_create_from_template(project=normal, actor=cast.admin)
    normal_first = normal.milestones.get(sequence=1)
    assert normal_first.tranche_amount == Decimal("3000000.00")
    earlier = workdays_between(first.current_due, normal_first.current_due)
    assert earlier == settings.PMFLOW["NON_CONSENSUS_FIRST_GATE_EARLIER_WORKDAYS"]


@pytest.mark.django_db
def test_quota_spent_is_refused(cast):
    assert cast.team.non_consensus_quota == 1
    first = _to_non_consensus(cast, project_in(cast))
    non_consensus_approve(actor=cast.chair, project_id=first.pk, endorsement_by=cast.pm_lead.pk, endorsement="背书")
    second = _to_non_consensus(cast, project_in(cast))
    with pytest.raises(Conflict) as exc:
        non_consensus_approve(actor=cast.chair, project_id=second.pk, endorsement_by=cast.pm_lead.pk, endorsement="背书")
    assert "额度" in exc.value.message
    assert Project.objects.get(pk=second.pk).status == ProjectState.NON_CONSENSUS
    assert not second.milestones.exists()
    assert NonConsensusApproval.objects.filter(pm_team=cast.team).count() == 1


@pytest.mark.django_db
def test_the_endorsement_must_come_from_the_pm_team_lead(cast):
    project = _to_non_consensus(cast, project_in(cast))
    with pytest.raises(InvalidInput) as exc:
        non_consensus_approve(actor=cast.chair, project_id=project.pk, endorsement_by=cast.pm_member.pk, endorsement="背书")
    assert "endorsement_by" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        non_consensus_approve(actor=cast.chair, project_id=project.pk, endorsement_by=cast.pm_lead.pk, endorsement=" ")
    assert "endorsement" in exc.value.fields
    with pytest.raises(Forbidden):
        non_consensus_approve(actor=cast.pm_lead, project_id=project.pk, endorsement_by=cast.pm_lead.pk, endorsement="背书")
    assert Project.objects.get(pk=project.pk).status == ProjectState.NON_CONSENSUS


@pytest.mark.django_db
def test_a_project_not_in_non_consensus_cannot_be_approved_this_way(cast):
    project = project_in(cast, "screening")
    with pytest.raises(Conflict):
        non_consensus_approve(actor=cast.admin, project_id=project.pk, endorsement_by=cast.pm_lead.pk, endorsement="背书")


@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_for_the_last_unit_of_quota_one_wins(cast):
    projects = [_to_non_consensus(cast, project_in(cast)) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[object] = []

    def approve(project_id: int) -> None:
        try:
            barrier.wait()
            non_consensus_approve(actor=cast.admin, project_id=project_id, endorsement_by=cast.pm_lead.pk, endorsement="背书")
            results.append("ok")
        except ApplicationError as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(p.pk,)) for p in projects]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    close_old_connections()
    assert results.count("ok") == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert NonConsensusApproval.objects.filter(pm_team=cast.team).count() == 1
