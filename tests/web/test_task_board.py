"""Task boards: grouped by category, filters, the list's roll-up at the top, htmx progress update with
an out-of-band roll-up swap, fixed query counts and friendly 404 for another team's list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import KeyTaskList, Task, TaskCategory
from tests.factories import TaskFactory, UserFactory, add_member
from tests.web.conftest import build_task_list

pytestmark = pytest.mark.django_db


def test_board_groups_tasks_by_category_and_shows_the_rollup(client, task_list):
    KeyTaskList.objects.filter(pk=task_list.pk).update(health="amber", weighted_progress=42, count_on_track=4, count_at_risk=2)
    client.force_login(task_list.pm_team.lead)
    resp = client.get(reverse("tasks:board", args=[task_list.pk]))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="task-list-rollup"' in html
    assert 'data-health="amber"' in html
    assert "42.0" in html
    assert html.count('class="category"') == 3
    for cat in TaskCategory.objects.all()[:3]:
        assert cat.name_zh in html
    assert html.count('class="inline task-progress-form"') == Task.objects.filter(task_list=task_list).count()


def test_filters_narrow_the_board(client, task_list):
    other_owner = UserFactory()
    cat = TaskCategory.objects.order_by("order").last()
    special = TaskFactory(task_list=task_list, category=cat, owner=other_owner, title="特别任务")
    Task.objects.filter(pk=special.pk).update(status="blocked")
    client.force_login(task_list.pm_team.lead)
    url = reverse("tasks:board", args=[task_list.pk])
    for params in ({"status": "blocked"}, {"owner": other_owner.pk}, {"category": cat.pk}):
        html = client.get(url, params).content.decode()
        assert "特别任务" in html
        assert html.count('class="task status-') == 1, params


def test_board_query_count_does_not_grow_with_the_number_of_tasks(client, reference_data, django_assert_num_queries):
    small = build_task_list(tasks_per_category=1)
    big = build_task_list(tasks_per_category=12)
    add_member(big.pm_team, small.pm_team.lead)
    client.force_login(small.pm_team.lead)
    client.get(reverse("tasks:board", args=[small.pk]))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("tasks:board", args=[small.pk]))
    with django_assert_num_queries(len(ctx)):
        resp = client.get(reverse("tasks:board", args=[big.pk]))
    assert resp.content.decode().count('class="task status-') == 36


def test_long_boards_are_paginated(client, reference_data):
    task_list = build_task_list(tasks_per_category=40)
    client.force_login(task_list.pm_team.lead)
    html = client.get(reverse("tasks:board", args=[task_list.pk])).content.decode()
    assert html.count('class="task status-') == 100
    assert "page=2" in html


def test_another_teams_board_is_not_found(client, task_list):
    client.force_login(UserFactory())
    resp = client.get(reverse("tasks:board", args=[task_list.pk]))
    assert resp.status_code == 404
    assert b"Traceback" not in resp.content


def test_htmx_progress_update_returns_the_row_and_the_rollup_out_of_band(client, task_list):
    pytest.importorskip("projects.services.tasks")
    task = Task.objects.filter(task_list=task_list).first()
    client.force_login(task_list.pm_team.lead)
    resp = client.post(reverse("tasks:progress", args=[task.pk]), {"progress": "100", "done": "1"}, HTTP_HX_REQUEST="true")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert f'id="task-{task.pk}"' in html
    assert 'id="task-list-rollup" hx-swap-oob="true"' in html
    task.refresh_from_db()
    assert task.progress == 100
    assert task.done_date == dt.date.today()
    assert 'data-status="done"' in html
    task_list.refresh_from_db()
    assert task_list.count_done >= 1


def test_bad_progress_is_shown_in_the_row_and_nothing_changes(client, task_list):
    task = Task.objects.filter(task_list=task_list).first()
    client.force_login(task_list.pm_team.lead)
    resp = client.post(reverse("tasks:progress", args=[task.pk]), {"progress": "150"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert 'class="error"' in resp.content.decode()
    task.refresh_from_db()
    assert task.progress == 0


def test_stranger_cannot_update_progress(client, task_list):
    task = Task.objects.filter(task_list=task_list).first()
    client.force_login(UserFactory())
    resp = client.post(reverse("tasks:progress", args=[task.pk]), {"progress": "50"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 404
    task.refresh_from_db()
    assert task.progress == 0
