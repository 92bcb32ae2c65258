"""``manage.py seed_demo``: the curated demo is made by the services — every role has a working login,
every field and project state is there, the work the browser journeys start from is waiting, the
bugs of issue 12 do not reproduce and ``check_portfolio`` passes; ``--if-empty`` is idempotent; the
benchmark options scale it, the same seed builds the same data and it passes the same validator."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Q, Sum

from milestones.demo.cast import COMMITTEES, DEMO_PASSWORD, TEAMS
from milestones.demo.curated import CURATED_PROJECTS
from milestones.models import (
    ChangeKind,
    ChangeRequest,
    ChangeState,
    Committee,
    GateKind,
    GateReview,
    GateState,
    Milestone,
    MilestoneState,
    ReviewerAssignment,
    Scorecard,
    TrancheRelease,
)
from milestones.selectors.portfolio_check import portfolio_check
from milestones.services.change_plans import change_plan
from pmflow.models import AuditEntry, User
from pmflow.rules import PROGRAMME_ADMIN_GROUP
from pmflow.workdays import is_workday
from projects.models import (
    Field,
    FundingAward,
    KeyTaskList,
    PMTeamMembership,
    Project,
    ProjectState,
    Task,
)
from projects.selectors.dashboard import portfolio_summary
from projects.services.task_status import task_statuses_recalculate

pytestmark = pytest.mark.django_db

PS = ProjectState


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def by_title(title: str) -> Project:
    return Project.objects.get(title=title)


def _title(key: str) -> str:
    return next(t for k, _f, t, *_rest in CURATED_PROJECTS if k == key)


def test_curated_demo_is_made_by_the_services_and_obeys_the_rules(reference_data):
    """One seed (it runs every service of a project's life), many checks."""
    output = seed()

    # -- every role has a working login, printed ------------------------------------------------
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    programme_admin = User.objects.get(username="sstc_admin")
    assert programme_admin.is_staff and programme_admin.groups.filter(name=PROGRAMME_ADMIN_GROUP).exists()
    for code, _name, (lead, _n), members, _fields in TEAMS:
        assert PMTeamMembership.objects.filter(team__code=code, user__username=lead, role="lead").exists()
        for member, _m in members:
            assert PMTeamMembership.objects.filter(team__code=code, user__username=member, role="member").exists()
    for name, (chair, _n), reviewers, _fields in COMMITTEES:
        committee = Committee.objects.get(name=name)
        assert committee.chair.username == chair
        assert set(reviewers) <= set(committee.members.values_list("username", flat=True))
    for username in ["admin", "sstc_admin", "pm_chen", "chair_li", "reviewer1", "lead01"]:
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
        assert username in output
    assert DEMO_PASSWORD in output

    # -- every field and every state, reached through the services -----------------------------
    assert set(Project.objects.values_list("field__code", flat=True)) == set(Field.objects.values_list("code", flat=True))
    assert set(Project.objects.values_list("status", flat=True)) == set(ProjectState.values)
    for key, _f, title, _t, _l, _b, state in CURATED_PROJECTS:
        assert by_title(title).status == state, key
    assert Project.objects.filter(non_consensus_track=True, status=PS.APPROVED).exists()
    # the services wrote the history: an audit row per transition, by the person whose button it is
    assert AuditEntry.objects.filter(action="submit", actor__username="pm_chen").exists()
    assert AuditEntry.objects.filter(action="decide", actor__username="chair_li").exists()
    assert AuditEntry.objects.filter(action="tranche_release").exists()
    assert AuditEntry.objects.filter(action="non_consensus_approve").exists()

    # -- milestones, gates, tasks, changes, awards ---------------------------------------------
    for project in Project.objects.filter(status__in=[PS.APPROVED, PS.ACTIVE, PS.CLOSING, PS.CLOSED]):
        assert project.milestones.count() == project.milestone_template.steps.count()
    assert not Milestone.objects.filter(project__status__in=[PS.DRAFT, PS.SUBMITTED, PS.SCREENING, PS.REJECTED]).exists()
    assert not Milestone.objects.filter(project__status=PS.CLOSED).exclude(status=MilestoneState.PASSED).exists()
    assert TrancheRelease.objects.count() == Milestone.objects.filter(release__isnull=False, status="passed").count() > 0
    assert set(Milestone.objects.values_list("status", flat=True)) >= {
        "planned",
        "in_progress",
        "submitted",
        "in_review",
        "passed",
        "passed_with_conditions",
        "on_hold",
    }
    assert Scorecard.objects.filter(submitted_at__isnull=False).exists()
    assert Task.objects.filter(gate_decision__outcome="conditional_go").exists()
    assert KeyTaskList.objects.filter(project__isnull=True).count() == len(TEAMS)
    assert Task.objects.values("status").distinct().count() >= 4
    applied = set(ChangeRequest.objects.filter(status=ChangeState.APPLIED).values_list("kind", flat=True))
    assert applied >= {
        ChangeKind.CONVERGE_ROUTE,
        ChangeKind.REALLOCATE_BUDGET,
        ChangeKind.CHANGE_TEAM,
        ChangeKind.RESCOPE,
        ChangeKind.SUSPEND,
        ChangeKind.TERMINATE,
    }
    assert FundingAward.objects.filter(status="superseded", superseded_by__isnull=False).exists()

    # -- the work left waiting for the browser journeys ----------------------------------------
    pm_chen, chair_li, reviewer1 = (User.objects.get(username=u) for u in ("pm_chen", "chair_li", "reviewer1"))
    screening = GateReview.objects.get(project=by_title(_title("qnet")), kind=GateKind.SCREENING)
    assert screening.status == GateState.OPEN and screening.chair == chair_li
    mine = ReviewerAssignment.objects.get(gate=screening, reviewer=reviewer1)
    assert mine.has_conflict is None and mine.declared_at is None
    submitted = by_title(_title("sat"))
    assert submitted.status == PS.SUBMITTED and not GateReview.objects.filter(project=submitted).exists()
    thz = by_title(_title("thz"))
    m1 = thz.milestones.get(sequence=1)
    assert thz.status == PS.ACTIVE and m1.status == MilestoneState.PLANNED
    assert pm_chen.has_perm("milestones.work_on_milestone", m1)
    qc = by_title(_title("qc"))
    assert qc.milestones.get(sequence=2).status == MilestoneState.IN_PROGRESS
    pending = ChangeRequest.objects.get(project=qc, status=ChangeState.SUBMITTED)
    change_plan(kind=pending.kind, project=qc, milestone=pending.milestone, payload=pending.payload)  # applicable
    assert chair_li.has_perm("milestones.decide_change", pending)
    # a clean starting point: pm_chen's team, a committee with chair_li and ≥ 4 reviewers on its field
    committee = Committee.objects.get(chair=chair_li)
    team = PMTeamMembership.objects.get(user=pm_chen, role="lead").team
    assert set(team.fields.values_list("code", flat=True)) & set(committee.fields.values_list("code", flat=True))
    assert committee.members.count() >= 4
    assert User.objects.get(username="lead01").organisation is not None

    # -- issue 12's demo bugs do not reproduce -------------------------------------------------
    payload_keys = {k for p in ChangeRequest.objects.values_list("payload", flat=True) for k in (p or {})}
    assert not payload_keys & {"selected", "from", "to", "amount", "lead"}
    assert not ChangeRequest.objects.filter(status=ChangeState.APPROVED).exists()  # nothing stuck approved
    for baseline, current in Milestone.objects.values_list("baseline_due", "current_due"):
        assert is_workday(baseline) and is_workday(current)
    share = Decimal(settings.PMFLOW["NON_CONSENSUS_FIRST_TRANCHE_SHARE"])
    for project in Project.objects.filter(non_consensus_approval__isnull=False):
        assert project.milestones.get(sequence=1).tranche_amount <= project.budget * share
    summary = portfolio_summary(admin, Project.objects.all(), {})
    assert 0 < summary.released <= summary.awarded
    per_project = Project.objects.annotate(
        released=Sum("milestones__release__amount"),
        committed=Sum("awards__amount", filter=Q(awards__status="active")),
    ).exclude(released=None)
    for project in per_project:
        assert project.released <= (project.committed or 0)

    # -- the validator passes; statuses are what the recalculation computes ---------------------
    assert portfolio_check() == []
    assert task_statuses_recalculate() == 0


def test_seed_demo_if_empty_does_nothing_when_projects_exist(reference_data):
    seed("--projects", "3", "--tasks-per-list", "2", "-v", "0")
    counts = (Project.objects.count(), Task.objects.count(), User.objects.count(), GateReview.objects.count())

    output = seed("--if-empty")

    assert "nothing to do" in output
    assert (Project.objects.count(), Task.objects.count(), User.objects.count(), GateReview.objects.count()) == counts


def test_seed_demo_refuses_to_add_a_second_portfolio_without_if_empty(reference_data):
    seed("--projects", "3", "--tasks-per-list", "2", "-v", "0")
    with pytest.raises(CommandError, match="already exist"):
        seed()


def test_print_logins_only_prints(reference_data):
    output = seed("--print-logins")
    assert "chair_li" in output and DEMO_PASSWORD in output
    assert not Project.objects.exists()
    assert not User.objects.exists()


def test_benchmark_options_scale_the_portfolio(reference_data):
    seed("--projects", "60", "--tasks-per-list", "5", "-v", "0")
    assert Project.objects.count() == 60
    per_list = KeyTaskList.objects.filter(project__isnull=False).annotate(
        n=Count("tasks", filter=Q(tasks__gate_decision__isnull=True))
    )
    assert set(per_list.values_list("n", flat=True)) == {5}
    assert Project.objects.values("field").distinct().count() == 11


def test_benchmark_scale_portfolio_passes_the_validator(reference_data):
    seed("--projects", "200", "--tasks-per-list", "2", "-v", "0")
    assert Project.objects.count() == 200
    assert ChangeRequest.objects.filter(status=ChangeState.SUBMITTED).exists()
    assert Project.objects.filter(non_consensus_approval__isnull=False).exists()
    assert TrancheRelease.objects.exists()

    assert portfolio_check() == []


def test_the_same_seed_builds_the_same_portfolio(reference_data):
    def snapshot() -> list[tuple]:
        return list(Project.objects.order_by("code").values_list("code", "title", "status", "budget", "planned_start"))

    with transaction.atomic():
        seed("--projects", "40", "--tasks-per-list", "3", "-v", "0")
        first = snapshot()
        first_tasks = list(
            Task.objects.order_by("task_list__title", "title", "progress", "start_date").values_list("title", "progress")
        )
        transaction.set_rollback(True)
    seed("--projects", "40", "--tasks-per-list", "3", "-v", "0")
    assert snapshot() == first
    assert (
        list(Task.objects.order_by("task_list__title", "title", "progress", "start_date").values_list("title", "progress"))
        == first_tasks
    )
