"""The PM team rates its project in an open round; a D overall or a "terminate" recommendation opens
a termination change request for the chair; the portfolio summary of a round."""

from __future__ import annotations

import pytest

from milestones.models import Assessment, ChangeRequest, ChangeState
from milestones.selectors.assessments import assessment_round_summary
from milestones.services.assessments import assessment_round_close, assessment_round_open, assessment_submit
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from pmflow.models import Notification, NotificationKind
from projects.models import Field, Project, ProjectState
from tests.factories import UserFactory
from tests.milestones.change_support import D, world

pytestmark = pytest.mark.django_db

GOOD = {"scope": "B", "time": "B", "cost": "A", "risk": "B", "transfer": "B", "overall": "B", "recommendation": "continue"}


@pytest.fixture
def w(reference_data):
    return world(dues=[D(2026, 12, 1)])


@pytest.fixture
def rnd(w):
    return assessment_round_open(period_start=D(2026, 7, 1), period_end=D(2026, 9, 30))


def submit(w, rnd, actor=None, **values):
    return assessment_submit(actor=actor or w.pm, round_id=rnd.pk, project_id=w.project.pk, **{**GOOD, **values})


def test_the_pm_team_submits_its_ratings(w, rnd):
    a = submit(w, rnd, actor=w.member, comments="进展正常")
    a.refresh_from_db()
    assert (a.overall, a.cost, a.recommendation, a.submitted_by_id) == ("B", "A", "continue", w.member.pk)
    assert a.submitted_at is not None
    assert not ChangeRequest.objects.exists()


def test_submitting_by_assessment_id_works_too(w, rnd):
    a = Assessment.objects.get(round=rnd, project=w.project)
    assessment_submit(actor=w.pm, assessment_id=a.pk, **GOOD)
    assert Assessment.objects.get(pk=a.pk).submitted_at is not None


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"scope": "E"}, {"scope"}),
        ({"time": "", "risk": None}, {"time", "risk"}),
        ({"recommendation": "celebrate"}, {"recommendation"}),
        ({"overall": "C", "comments": ""}, {"comments"}),
        ({"recommendation": "adjust"}, {"comments"}),
    ],
)
def test_bad_ratings_name_the_fields_and_save_nothing(w, rnd, values, fields):
    with pytest.raises(InvalidInput) as exc:
        submit(w, rnd, **values)
    assert set(exc.value.fields) == fields
    assert Assessment.objects.get(round=rnd, project=w.project).submitted_at is None


def test_a_d_rating_opens_a_termination_request_for_the_chair(w, rnd):
    a = submit(w, rnd, overall="D", recommendation="adjust", comments="关键指标连续两个季度未达成")
    cr = ChangeRequest.objects.get()
    assert (cr.kind, cr.status, cr.project_id, cr.assessment_id) == ("terminate", ChangeState.SUBMITTED, w.project.pk, a.pk)
    assert "关键指标连续两个季度未达成" in cr.reason
    assert Notification.objects.filter(recipient=w.chair, kind=NotificationKind.CHANGE_REQUEST).exists()


def test_a_terminate_recommendation_opens_one_too(w, rnd):
    submit(w, rnd, overall="C", recommendation="terminate", comments="市场前景消失")
    assert ChangeRequest.objects.get().kind == "terminate"


def test_no_second_termination_request_while_one_is_open(w, rnd):
    submit(w, rnd, overall="D", comments="差")
    rnd2 = assessment_round_open(period_start=D(2026, 10, 1), period_end=D(2026, 12, 31))
    submit(w, rnd2, overall="D", comments="仍然差")
    assert ChangeRequest.objects.filter(kind="terminate", status=ChangeState.SUBMITTED).count() == 1


def test_submitting_twice_or_into_a_closed_round_is_a_conflict(w, rnd):
    submit(w, rnd)
    with pytest.raises(Conflict):
        submit(w, rnd, overall="A")
    rnd2 = assessment_round_open(period_start=D(2026, 10, 1), period_end=D(2026, 12, 31))
    assessment_round_close(actor=w.admin, round_id=rnd2.pk)
    with pytest.raises(Conflict):
        submit(w, rnd2)


def test_only_the_pm_team_or_an_admin_assesses(w, rnd):
    with pytest.raises(NotFound):
        submit(w, rnd, actor=UserFactory())
    with pytest.raises(Forbidden):
        submit(w, rnd, actor=w.chair)  # the chair sees the project but does not assess it
    assert Assessment.objects.get(round=rnd, project=w.project).submitted_at is None


def test_a_project_activated_after_opening_can_still_be_assessed(w, rnd, reference_data):
    late = world(dues=[])
    assert not Assessment.objects.filter(round=rnd, project=late.project).exists()
    assessment_submit(actor=late.pm, round_id=rnd.pk, project_id=late.project.pk, **GOOD)
    assert Assessment.objects.get(round=rnd, project=late.project).overall == "B"
    draft = world(dues=[], status=ProjectState.DRAFT)
    with pytest.raises(Conflict):
        assessment_submit(actor=draft.pm, round_id=rnd.pk, project_id=draft.project.pk, **GOOD)


def test_portfolio_summary_by_rating_recommendation_and_direction(reference_data, django_assert_num_queries):
    quantum = world(dues=[], field=Field.objects.get(code="quantum"))  # 未来信息
    sixg = world(dues=[], field=Field.objects.get(code="6g"))  # 未来信息
    fusion = world(dues=[], field=Field.objects.get(code="fusion"))  # 未来能源
    world(dues=[], field=Field.objects.get(code="fusion"), status=ProjectState.SUSPENDED)  # not in the round
    rnd = assessment_round_open(period_start=D(2026, 7, 1), period_end=D(2026, 9, 30))
    submit(quantum, rnd, overall="A", recommendation="accelerate")
    submit(sixg, rnd, overall="D", recommendation="terminate", comments="差")
    with django_assert_num_queries(2):
        summary = assessment_round_summary(round_id=rnd.pk)
    assert (summary["total"], summary["submitted"], summary["pending"]) == (3, 2, 1)
    assert summary["by_overall"] == {"A": 1, "B": 0, "C": 0, "D": 1}
    assert summary["by_recommendation"] == {"continue": 0, "accelerate": 1, "adjust": 0, "terminate": 1}
    by_direction = {row["code"]: row for row in summary["by_direction"]}
    assert set(by_direction) == {"information", "energy"}
    assert (by_direction["information"]["total"], by_direction["information"]["by_overall"]["D"]) == (2, 1)
    assert (by_direction["energy"]["total"], by_direction["energy"]["pending"]) == (1, 1)
    assert Project.objects.get(pk=fusion.project.pk).assessments.count() == 1
