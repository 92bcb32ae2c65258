"""Roll-ups of the recalculation: a key task list's weighted progress, counts per status and health;
a project's health from its lists and milestones; milestone and PM-team roll-ups (selectors)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.models import Health, KeyTaskList, Project
from projects.selectors.tasks import milestone_task_rollups, pm_team_rollups, project_task_rollups
from projects.services.task_status import task_statuses_recalculate
from tests.factories import KeyTaskListFactory, MilestoneFactory, PMTeamFactory, ProjectFactory, TaskFactory

D = dt.date
TODAY = D(2026, 6, 1)
FAR = {"start_date": D(2026, 1, 1), "due_date": D(2026, 12, 31)}


def _recalc(*lists):
    task_statuses_recalculate(task_list_ids=[tl.pk for tl in lists], today=TODAY)
    for tl in lists:
        tl.refresh_from_db()


def test_list_rollup_weighted_progress_and_counts(reference_data):
    tl = KeyTaskListFactory()
    TaskFactory(task_list=tl, weight=3, progress=60, **FAR)  # on track
    TaskFactory(task_list=tl, weight=1, progress=0, done_date=D(2026, 5, 1), **FAR)  # done → counts as 100
    TaskFactory(task_list=tl, weight=0, progress=10, **FAR)  # weight 0: no influence on progress
    _recalc(tl)

    # (3·60 + 1·100 + 0·10) / 4 = 70.00
    assert tl.weighted_progress == Decimal("70.00")
    assert (tl.count_on_track, tl.count_done, tl.count_at_risk, tl.count_not_started) == (1, 1, 1, 0)
    assert tl.recalculated_at is not None


def test_list_rollup_uses_plain_average_when_all_weights_are_zero(reference_data):
    tl = KeyTaskListFactory()
    TaskFactory(task_list=tl, weight=0, progress=50, **FAR)
    TaskFactory(task_list=tl, weight=0, progress=100, **FAR)
    _recalc(tl)
    assert tl.weighted_progress == Decimal("75.00")


def test_empty_list_is_grey(reference_data):
    tl = KeyTaskListFactory()
    _recalc(tl)
    assert tl.health == Health.GREY
    assert tl.weighted_progress == 0


@pytest.mark.parametrize(
    "tasks,expected",
    [
        ([dict(progress=60)], Health.GREEN),
        ([dict(progress=100)], Health.GREEN),
        ([dict(progress=60), dict(progress=60, due_date=D(2026, 6, 5))], Health.AMBER),  # one at risk
        # overdue weight share exactly 20 % → amber; above 20 % → red
        ([dict(weight=1, due_date=D(2026, 5, 1), progress=50), dict(weight=4, progress=60)], Health.AMBER),
        ([dict(weight=1, due_date=D(2026, 5, 1), progress=50), dict(weight=3, progress=60)], Health.RED),
        ([dict(weight=1, blocked=True, progress=50), dict(weight=1, progress=60)], Health.RED),
        # all weights zero: the count share decides
        ([dict(weight=0, blocked=True, progress=50)] + [dict(weight=0, progress=60)] * 4, Health.AMBER),
        ([dict(weight=0, blocked=True, progress=50)] + [dict(weight=0, progress=60)] * 3, Health.RED),
    ],
    ids=[
        "green",
        "all_done_green",
        "at_risk_amber",
        "overdue_20pct_amber",
        "overdue_25pct_red",
        "blocked_half_red",
        "zero_weight_20pct_amber",
        "zero_weight_25pct_red",
    ],
)
def test_list_health(reference_data, tasks, expected):
    tl = KeyTaskListFactory()
    for t in tasks:
        TaskFactory(task_list=tl, **{**FAR, **t})
    _recalc(tl)
    assert tl.health == expected


def _project_with_list(**task):
    project = ProjectFactory()
    tl = KeyTaskListFactory(pm_team=project.pm_team, project=project)
    if task:
        TaskFactory(task_list=tl, **{**FAR, **task})
    return project, tl


def test_project_health_follows_its_worst_list(reference_data):
    project, tl = _project_with_list(progress=60)
    KeyTaskListFactory(pm_team=project.pm_team, project=project)  # an empty list (grey) does not lower it
    red_list = KeyTaskListFactory(pm_team=project.pm_team, project=project)
    TaskFactory(task_list=red_list, blocked=True, **FAR)
    _recalc(tl)
    assert Project.objects.get(pk=project.pk).health == Health.GREEN  # red_list not recalculated yet
    _recalc(red_list)
    assert Project.objects.get(pk=project.pk).health == Health.RED


def test_project_with_an_overdue_milestone_is_red(reference_data):
    project, tl = _project_with_list(progress=60)
    MilestoneFactory(project=project, baseline_due=D(2026, 5, 31))  # planned, due yesterday
    _recalc(tl)
    assert Project.objects.get(pk=project.pk).health == Health.RED


def test_project_with_a_milestone_due_within_7_days_is_amber(reference_data):
    project, tl = _project_with_list(progress=60)
    MilestoneFactory(project=project, baseline_due=D(2026, 6, 8))
    _recalc(tl)
    assert Project.objects.get(pk=project.pk).health == Health.AMBER


def test_project_health_grey_green_by_nightly_run(reference_data):
    bare = ProjectFactory()
    with_milestone = ProjectFactory()
    MilestoneFactory(project=with_milestone, baseline_due=D(2026, 12, 31))
    task_statuses_recalculate(today=TODAY)
    assert Project.objects.get(pk=bare.pk).health == Health.GREY
    assert Project.objects.get(pk=with_milestone.pk).health == Health.GREEN


def test_milestone_project_and_team_rollups(reference_data):
    team = PMTeamFactory()
    project = ProjectFactory(pm_team=team)
    milestone = MilestoneFactory(project=project)
    tl = KeyTaskListFactory(pm_team=team, project=project)
    team_list = KeyTaskListFactory(pm_team=team)  # a team-level list (no project)
    TaskFactory(task_list=tl, milestone=milestone, weight=1, progress=40, **FAR)
    TaskFactory(task_list=tl, milestone=milestone, weight=1, progress=100, **FAR)
    TaskFactory(task_list=team_list, weight=2, blocked=True, progress=10, **FAR)
    task_statuses_recalculate(today=TODAY)

    ms = milestone_task_rollups(milestone_ids=[milestone.pk])[milestone.pk]
    assert ms["weighted_progress"] == Decimal("70.00")
    assert ms["counts"]["done"] == 1 and ms["total"] == 2

    assert project_task_rollups(project_ids=[project.pk])[project.pk]["weighted_progress"] == Decimal("70.00")

    team_rollup = pm_team_rollups(pm_team_ids=[team.pk])[team.pk]
    # (40 + 100 + 2·10) / 4 = 40
    assert team_rollup["weighted_progress"] == Decimal("40.00")
    assert team_rollup["counts"]["blocked"] == 1
    assert team_rollup["health"] == Health.RED  # the team list is red
    assert KeyTaskList.objects.get(pk=team_list.pk).health == Health.RED


def test_team_rollup_query_count_is_fixed(reference_data, django_assert_num_queries):
    teams = [PMTeamFactory() for _ in range(3)]
    for team in teams:
        TaskFactory(task_list=KeyTaskListFactory(pm_team=team), **FAR)
    with django_assert_num_queries(2):
        rollups = pm_team_rollups(pm_team_ids=[t.pk for t in teams])
    assert set(rollups) == {t.pk for t in teams}
