"""Opening an assessment round (动态甄别评估): one row per ACTIVE project, the PM-team leads notified
once; opening again for the same period — by a repeated beat run or a concurrent one — creates
nothing new. The quarterly Celery task opens the current quarter."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from milestones.models import Assessment, AssessmentRound
from milestones.services.assessments import assessment_round_close, assessment_round_open, quarter_bounds
from milestones.tasks import assessment_round_open_current_quarter
from pmflow.celery import app
from pmflow.errors import InvalidInput
from pmflow.models import AuditEntry, Notification, NotificationKind
from projects.models import Project, ProjectState
from tests.factories import PMTeamFactory, ProjectFactory, make_admin

D = dt.date
Q3 = {"period_start": D(2026, 7, 1), "period_end": D(2026, 9, 30)}


def project_in(state, **kwargs):
    project = ProjectFactory(**kwargs)
    Project.objects.filter(pk=project.pk).update(status=state)
    return project


@pytest.fixture
def portfolio(reference_data):
    team = PMTeamFactory()
    return {
        "active": [project_in(ProjectState.ACTIVE, pm_team=team), project_in(ProjectState.ACTIVE, pm_team=team)],
        "other_team": project_in(ProjectState.ACTIVE),
        "not_active": [project_in(s) for s in (ProjectState.DRAFT, ProjectState.SUSPENDED, ProjectState.TERMINATED)],
        "team": team,
    }


def counts():
    return (
        AssessmentRound.objects.count(),
        Assessment.objects.count(),
        Notification.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.django_db
def test_a_round_gets_one_row_per_active_project(portfolio):
    rnd = assessment_round_open(**Q3)
    expected = {p.pk for p in portfolio["active"]} | {portfolio["other_team"].pk}
    assert set(rnd.assessments.values_list("project_id", flat=True)) == expected


@pytest.mark.django_db
def test_opening_twice_for_the_same_period_creates_nothing_new(portfolio):
    first = assessment_round_open(**Q3)
    before = counts()
    again = assessment_round_open(**Q3, label="另一个名称", due_date=D(2026, 12, 31))
    assert again.pk == first.pk
    assert counts() == before
    again.refresh_from_db()
    assert (again.label, again.due_date) == (first.label, first.due_date)  # the first opening's values stay


@pytest.mark.django_db
def test_default_label_and_due_date_of_a_quarter(portfolio):
    rnd = assessment_round_open(**Q3)
    assert rnd.label == "2026年第三季度"
    # 10 working days after Wed 09-30: 10-08, 10-09, 10-10 (make-up Saturday), 10-12 … 10-16, 10-19, 10-20
    assert rnd.due_date == D(2026, 10, 20)


@pytest.mark.django_db
def test_each_pm_team_lead_is_notified_once_per_round(portfolio):
    rnd = assessment_round_open(**Q3)
    rows = Notification.objects.filter(kind=NotificationKind.ASSESSMENT_OPEN)
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(
        [portfolio["team"].lead_id, portfolio["other_team"].pm_team.lead_id]
    )
    assert {n.due_date for n in rows} == {rnd.due_date}


@pytest.mark.django_db
def test_a_project_activated_later_is_added_by_the_next_run_and_nothing_else(portfolio):
    rnd = assessment_round_open(**Q3)
    late = portfolio["not_active"][1]
    Project.objects.filter(pk=late.pk).update(status=ProjectState.ACTIVE)
    assessment_round_open(**Q3)
    assert Assessment.objects.filter(round=rnd).count() == 4
    assert AssessmentRound.objects.count() == 1


@pytest.mark.django_db
def test_a_closed_round_takes_no_new_rows(portfolio):
    rnd = assessment_round_open(**Q3)
    assessment_round_close(actor=make_admin(), round_id=rnd.pk)
    project_in(ProjectState.ACTIVE)
    assessment_round_open(**Q3)
    assert Assessment.objects.filter(round=rnd).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"period_start": D(2026, 9, 30), "period_end": D(2026, 7, 1)}, "period_end"),
        ({**Q3, "due_date": D(2026, 9, 1)}, "due_date"),
        ({"period_start": "2026-07-01", "period_end": D(2026, 9, 30)}, "period_start"),
    ],
)
def test_bad_periods_are_refused(reference_data, kwargs, field):
    with pytest.raises(InvalidInput) as exc:
        assessment_round_open(**kwargs)
    assert field in exc.value.fields
    assert not AssessmentRound.objects.exists()


@pytest.mark.parametrize(
    ("day", "bounds"),
    [
        (D(2026, 1, 1), (D(2026, 1, 1), D(2026, 3, 31))),
        (D(2026, 5, 15), (D(2026, 4, 1), D(2026, 6, 30))),
        (D(2026, 9, 30), (D(2026, 7, 1), D(2026, 9, 30))),
        (D(2026, 12, 31), (D(2026, 10, 1), D(2026, 12, 31))),
    ],
)
def test_quarter_bounds(day, bounds):
    assert quarter_bounds(day) == bounds


@pytest.mark.django_db
def test_the_quarterly_task_opens_the_current_quarter_once(portfolio):
    assert "pmflow.assessment_round_open_current_quarter" in app.tasks
    first = assessment_round_open_current_quarter()
    second = assessment_round_open_current_quarter()
    assert first == second
    rnd = AssessmentRound.objects.get()
    assert (rnd.period_start, rnd.period_end) == quarter_bounds(timezone.localdate())
    assert rnd.assessments.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_openings_create_one_round(reference_data):
    for _ in range(3):
        project_in(ProjectState.ACTIVE)
    n = 6
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = assessment_round_open(**Q3).pk
        except Exception as exc:  # noqa: BLE001 - asserted below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert AssessmentRound.objects.count() == 1
    assert Assessment.objects.count() == 3


@pytest.mark.django_db
def test_opening_is_set_based_whatever_the_portfolio_size(reference_data):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    def queries_to_open(n_projects: int, period: dict) -> int:
        for _ in range(n_projects):
            project_in(ProjectState.ACTIVE)
        with CaptureQueriesContext(conn) as ctx:
            assessment_round_open(**period)
        return len(ctx.captured_queries)

    small = queries_to_open(2, Q3)
    large = queries_to_open(25, {"period_start": D(2026, 10, 1), "period_end": D(2026, 12, 31)})
    assert large == small
    assert Assessment.objects.filter(round__period_start=D(2026, 10, 1)).count() == 27
