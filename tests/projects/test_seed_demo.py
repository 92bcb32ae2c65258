"""``manage.py seed_demo``: the demo portfolio has every role with a working login, every field and
project state, consistent milestones, gates, task lists, changes and awards; ``--if-empty`` is
idempotent; the benchmark options scale it and the same seed builds the same data."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Sum

from milestones.models import (
    ChangeRequest,
    Committee,
    GateDecision,
    GateReview,
    Milestone,
    MilestoneState,
    ReviewerAssignment,
    Scorecard,
    TrancheRelease,
)
from pmflow.models import AuditEntry, User
from pmflow.rules import PROGRAMME_ADMIN_GROUP
from projects.models import Field, FundingAward, KeyTaskList, PMTeamMembership, Project, ProjectState, Task
from projects.services.demo import COMMITTEES, DEMO_PASSWORD, TEAMS

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_creates_every_role_with_a_working_login_and_prints_it(reference_data):
    output = seed()

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
    assert Project.objects.filter(lead__username="lead01").exists()
    for username in ["admin", "sstc_admin", "pm_chen", "chair_li", "reviewer1", "lead01"]:
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
        assert username in output
    assert DEMO_PASSWORD in output


def test_seed_demo_covers_every_field_and_every_project_state(reference_data):
    seed()
    assert set(Project.objects.values_list("field__code", flat=True)) == set(Field.objects.values_list("code", flat=True))
    assert set(Project.objects.values_list("status", flat=True)) == set(ProjectState.values)
    assert Project.objects.filter(non_consensus_track=True, status=ProjectState.APPROVED).exists()


def test_seed_demo_milestones_gates_and_tasks_are_consistent_with_project_states(reference_data):
    seed()
    # Milestones come from the tier's current template.
    for project in Project.objects.select_related("milestone_template"):
        steps = project.milestone_template.steps.count()
        assert project.milestones.count() == steps
    # Nothing has started before approval; everything passed in closed projects.
    early = [ProjectState.DRAFT, ProjectState.SUBMITTED, ProjectState.SCREENING, ProjectState.REJECTED]
    assert not Milestone.objects.filter(project__status__in=early).exclude(status=MilestoneState.PLANNED).exists()
    assert not Milestone.objects.filter(project__status=ProjectState.CLOSED).exclude(status=MilestoneState.PASSED).exists()
    # Every passed milestone released its tranche once, through a decided gate.
    passed = Milestone.objects.filter(status__in=[MilestoneState.PASSED, MilestoneState.PASSED_WITH_CONDITIONS])
    assert passed.exists()
    assert TrancheRelease.objects.count() == passed.count()
    assert GateDecision.objects.filter(gate__milestone__in=passed).count() == passed.count()
    for project in Project.objects.annotate(released=Sum("milestones__release__amount")).exclude(released=None):
        assert project.released <= project.budget
    # Reviewers are assigned and score; in-review milestones have an open or closed gate.
    assert ReviewerAssignment.objects.filter(gate__status="open").exists()
    assert Scorecard.objects.filter(submitted_at__isnull=False).exists()
    assert GateReview.objects.filter(milestone__status=MilestoneState.IN_REVIEW, status__in=["open", "closed"]).exists()
    # Every project has a key task list with tasks, in several computed states; the PM teams have their own lists.
    assert KeyTaskList.objects.filter(project__isnull=False).count() == Project.objects.count()
    assert KeyTaskList.objects.filter(project__isnull=True).count() == len(TEAMS)
    assert Task.objects.values("status").distinct().count() >= 5
    assert not KeyTaskList.objects.annotate(n=Count("tasks")).filter(n=0).exists()
    assert Task.objects.filter(gate_decision__outcome="conditional_go").exists()
    # Change requests, awards and the audit trail.
    assert set(ChangeRequest.objects.values_list("status", flat=True)) >= {"applied"}
    assert FundingAward.objects.filter(status="superseded", superseded_by__isnull=False).exists()
    assert AuditEntry.objects.filter(action="approve").exists()


def test_seed_demo_if_empty_does_nothing_when_projects_exist(reference_data):
    seed("--if-empty")
    counts = (Project.objects.count(), Task.objects.count(), User.objects.count(), GateReview.objects.count())

    output = seed("--if-empty")

    assert "nothing to do" in output
    assert (Project.objects.count(), Task.objects.count(), User.objects.count(), GateReview.objects.count()) == counts


def test_seed_demo_refuses_to_add_a_second_portfolio_without_if_empty(reference_data):
    seed()
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
    per_list = KeyTaskList.objects.filter(project__isnull=False).annotate(n=Count("tasks", filter=~_is_condition()))
    assert set(per_list.values_list("n", flat=True)) == {5}
    assert Project.objects.values("field").distinct().count() == 11


def _is_condition():
    from django.db.models import Q

    return Q(tasks__gate_decision__isnull=False)


def test_the_same_seed_builds_the_same_portfolio(reference_data):
    def snapshot() -> list[tuple]:
        return list(Project.objects.order_by("code").values_list("code", "title", "status", "budget", "planned_start"))

    with transaction.atomic():
        seed("--projects", "40", "--tasks-per-list", "3", "-v", "0")
        first = snapshot()
        first_tasks = list(Task.objects.order_by("task_list__project__code", "title").values_list("title", "progress"))
        transaction.set_rollback(True)
    seed("--projects", "40", "--tasks-per-list", "3", "-v", "0")
    assert snapshot() == first
    assert list(Task.objects.order_by("task_list__project__code", "title").values_list("title", "progress")) == first_tasks


def test_seeded_statuses_roll_ups_and_health_are_what_the_recalculation_computes(reference_data):
    """The seed uses the one status authority: recalculating right after it changes no task, no list
    and no project."""
    from projects.services.task_status import task_statuses_recalculate

    seed()
    before = (
        list(Task.objects.order_by("pk").values_list("pk", "status")),
        list(KeyTaskList.objects.order_by("pk").values_list("pk", "health", "weighted_progress", "count_done")),
        list(Project.objects.order_by("pk").values_list("pk", "health")),
    )
    assert task_statuses_recalculate() == 0
    after = (
        list(Task.objects.order_by("pk").values_list("pk", "status")),
        list(KeyTaskList.objects.order_by("pk").values_list("pk", "health", "weighted_progress", "count_done")),
        list(Project.objects.order_by("pk").values_list("pk", "health")),
    )
    assert before == after
    assert Project.objects.exclude(health="grey").exists()
