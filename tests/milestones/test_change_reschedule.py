"""Rescheduling a milestone: working-day shifts across 2026's National Day (10-01..07 off, Saturday
10-10 a make-up working day) and Mid-autumn (09-25..27 off, Sunday 09-20 a make-up working day).
Every expected date below was counted by hand on a calendar."""

from __future__ import annotations

import pytest

from milestones.models import ChangeState, Milestone, MilestoneState
from milestones.services.changes import change_request_apply, change_request_preview
from pmflow.errors import InvalidInput
from pmflow.workdays import workdays_between
from projects.models import Project
from tests.milestones.change_support import D, approved, dues, filed, set_state, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(reference_data):
    # M1 Mon 09-21, M2 Tue 09-29, M3 Fri 10-09 (3 working days after M2: 09-30, 10-08, 10-09), M4 Fri 11-27.
    return world(dues=[D(2026, 9, 21), D(2026, 9, 29), D(2026, 10, 9), D(2026, 11, 27)])


def test_moving_m1_three_working_days_moves_the_later_milestones_over_national_day(chain):
    m1 = chain.milestones[0]
    # 09-21 → 09-24 is 3 working days (22, 23, 24).
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=m1)
    change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    assert [current for _, current in dues(chain.project)] == [
        D(2026, 9, 24),  # as asked
        D(2026, 10, 9),  # Tue 09-29 + 3: Wed 09-30, (holiday 10-01..07), Thu 10-08, Fri 10-09
        D(2026, 10, 13),  # Fri 10-09 + 3: Sat 10-10 (make-up day), (Sun 10-11 off), Mon 10-12, Tue 10-13
        D(2026, 12, 2),  # Fri 11-27 + 3: Mon 11-30, Tue 12-01, Wed 12-02
    ]


def test_baseline_dates_stay_and_working_day_gaps_are_kept(chain):
    before = dues(chain.project)
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=chain.milestones[0])
    change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    after = dues(chain.project)
    assert [b for b, _ in after] == [b for b, _ in before]
    old = [c for _, c in before]
    new = [c for _, c in after]
    for i in range(len(old) - 1):
        assert workdays_between(old[i], old[i + 1]) == workdays_between(new[i], new[i + 1])


def test_moving_a_milestone_earlier_pulls_the_later_ones_back_over_the_holiday(chain):
    m2 = chain.milestones[1]
    # 09-29 → 09-28 is -1 working day; M3 Fri 10-09 - 1 = Thu 10-08; M4 Fri 11-27 - 1 = Thu 11-26.
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-28"}, milestone=m2)
    change_request_apply(actor=chain.admin, change_request_id=cr.pk)
    assert [c for _, c in dues(chain.project)] == [D(2026, 9, 21), D(2026, 9, 28), D(2026, 10, 8), D(2026, 11, 26)]


def test_closed_later_milestones_do_not_move(chain):
    set_state(chain.milestones[3], MilestoneState.CANCELLED)
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=chain.milestones[0])
    cr = change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    assert dues(chain.project)[3] == (D(2026, 11, 27), D(2026, 11, 27))
    assert f"milestone:{chain.milestones[3].pk}" not in cr.after


def test_the_before_after_copy_holds_exactly_the_moved_dates(chain):
    m = chain.milestones
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=m[0])
    cr = change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    assert cr.status == ChangeState.APPLIED
    assert cr.before == {
        f"milestone:{m[0].pk}": {"current_due": "2026-09-21"},
        f"milestone:{m[1].pk}": {"current_due": "2026-09-29"},
        f"milestone:{m[2].pk}": {"current_due": "2026-10-09"},
        f"milestone:{m[3].pk}": {"current_due": "2026-11-27"},
    }
    assert cr.after == {
        f"milestone:{m[0].pk}": {"current_due": "2026-09-24"},
        f"milestone:{m[1].pk}": {"current_due": "2026-10-09"},
        f"milestone:{m[2].pk}": {"current_due": "2026-10-13"},
        f"milestone:{m[3].pk}": {"current_due": "2026-12-02"},
    }


def test_a_new_due_date_on_a_holiday_is_refused_with_the_next_working_day(chain):
    with pytest.raises(InvalidInput) as exc:
        filed(chain, kind="reschedule", payload={"new_due": "2026-10-03"}, milestone=chain.milestones[1])
    assert "2026-10-08" in exc.value.fields["new_due"][0]


def test_the_make_up_saturday_is_accepted_as_a_due_date(chain):
    cr = approved(chain, kind="reschedule", payload={"new_due": "2026-10-10"}, milestone=chain.milestones[2])
    change_request_apply(actor=chain.chair, change_request_id=cr.pk)
    # M3 Fri 10-09 → Sat 10-10 is +1 working day; M4 Fri 11-27 + 1 = Mon 11-30.
    assert [c for _, c in dues(chain.project)][2:] == [D(2026, 10, 10), D(2026, 11, 30)]


@pytest.fixture
def tight(reference_data):
    # The project ends Mon 10-12; M3 is due Fri 10-09.
    return world(dues=[D(2026, 9, 21), D(2026, 9, 29), D(2026, 10, 9)], planned_end=D(2026, 10, 12))


def test_a_cascade_past_the_project_end_is_refused_and_nothing_is_saved(tight):
    with pytest.raises(InvalidInput) as exc:
        filed(tight, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=tight.milestones[0])
    message = exc.value.fields["new_due"][0]
    assert "2026-10-13" in message and "2026-10-12" in message
    assert not tight.project.change_requests.exists()


def test_extending_the_end_in_the_same_request_allows_the_cascade(tight):
    cr = approved(
        tight,
        kind="reschedule",
        payload={"new_due": "2026-09-24", "extend_end_to": "2026-10-30"},
        milestone=tight.milestones[0],
    )
    cr = change_request_apply(actor=tight.chair, change_request_id=cr.pk)
    project = Project.objects.get(pk=tight.project.pk)
    assert project.planned_end == D(2026, 10, 30)
    assert project.window_extended_to is None  # still inside the policy window
    assert [c for _, c in dues(project)] == [D(2026, 9, 24), D(2026, 10, 9), D(2026, 10, 13)]
    assert cr.before[f"project:{project.pk}"] == {"planned_end": "2026-10-12"}
    assert cr.after[f"project:{project.pk}"] == {"planned_end": "2026-10-30"}


def test_an_extension_that_is_still_too_short_is_refused(tight):
    with pytest.raises(InvalidInput) as exc:
        filed(
            tight,
            kind="reschedule",
            payload={"new_due": "2026-09-24", "extend_end_to": "2026-10-12"},
            milestone=tight.milestones[0],
        )
    assert "extend_end_to" in exc.value.fields


@pytest.fixture
def at_window_end(reference_data):
    # The policy is in force until Wed 2030-09-25; 2030 is not in the library yet (weekend-only fallback).
    return world(
        dues=[D(2030, 9, 20), D(2030, 9, 25)],
        planned_start=D(2029, 1, 8),
        planned_end=D(2030, 9, 25),
    )


def test_a_cascade_past_the_policy_window_is_refused(at_window_end):
    with pytest.raises(InvalidInput) as exc:
        # Fri 09-20 → Tue 09-24 is +2 working days; M2 Wed 09-25 + 2 = Fri 09-27, after 2030-09-25.
        filed(at_window_end, kind="reschedule", payload={"new_due": "2030-09-24"}, milestone=at_window_end.milestones[0])
    assert any("2030-09-25" in m for m in exc.value.fields["new_due"])


def test_an_extension_past_the_policy_window_extends_the_window_too(at_window_end):
    cr = approved(
        at_window_end,
        kind="reschedule",
        payload={"new_due": "2030-09-24", "extend_end_to": "2030-12-31"},
        milestone=at_window_end.milestones[0],
    )
    cr = change_request_apply(actor=at_window_end.admin, change_request_id=cr.pk)
    project = Project.objects.get(pk=at_window_end.project.pk)
    assert (project.planned_end, project.window_extended_to) == (D(2030, 12, 31), D(2030, 12, 31))
    assert [c for _, c in dues(project)] == [D(2030, 9, 24), D(2030, 9, 27)]
    assert cr.before[f"project:{project.pk}"] == {"planned_end": "2030-09-25", "window_extended_to": None}


def test_the_preview_shows_the_cascade_and_saves_nothing(chain):
    m = chain.milestones
    preview = change_request_preview(
        project_id=chain.project.pk, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone_id=m[0].pk
    )
    assert preview["after"][f"milestone:{m[1].pk}"] == {"current_due": "2026-10-09"}
    assert preview["before"][f"milestone:{m[1].pk}"] == {"current_due": "2026-09-29"}
    assert "M2“里程碑2”" in preview["labels"][f"milestone:{m[1].pk}"]
    assert not chain.project.change_requests.exists()
    assert Milestone.objects.get(pk=m[1].pk).current_due == D(2026, 9, 29)


def test_a_passed_milestone_cannot_be_rescheduled(chain):
    set_state(chain.milestones[0], MilestoneState.PASSED)
    with pytest.raises(InvalidInput) as exc:
        filed(chain, kind="reschedule", payload={"new_due": "2026-09-24"}, milestone=chain.milestones[0])
    assert "milestone_id" in exc.value.fields


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "new_due"),
        ({"new_due": "not-a-date"}, "new_due"),
        ({"new_due": "2026-09-21"}, "new_due"),  # unchanged
        ({"new_due": "2026-09-24", "extend_end_to": "soon"}, "extend_end_to"),
        ({"new_due": "2026-09-24", "colour": "red"}, "colour"),
    ],
)
def test_bad_payloads_name_the_field_and_save_nothing(chain, payload, field):
    with pytest.raises(InvalidInput) as exc:
        filed(chain, kind="reschedule", payload=payload, milestone=chain.milestones[0])
    assert field in exc.value.fields
    assert not chain.project.change_requests.exists()
