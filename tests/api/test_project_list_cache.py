"""The default project list is served again from the shared cache (Django's, Redis) while the portfolio data
version stands, and never after a committed write to any table it shows (pmflow/portfolio_version.py,
milestones/migrations/0100_portfolio_version.py). Transactional tests: the cache only works outside
transactions, as requests run in production."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory

from milestones.models import GateReview, ReviewerAssignment
from pmflow.models import Organisation, User
from pmflow.portfolio_version import VERSION_SQL, portfolio_changes_compact
from projects.api.serializers import ProjectDetailSerializer, ProjectSerializer
from projects.models import Direction, PMTeam, PMTeamMembership, Project
from projects.selectors.projects import projects_visible_to
from tests.factories import GateReviewFactory, ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/projects/"


def _version() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    return row[0] if row else None


def _get(world, role: str, **params) -> tuple[dict, int]:
    """The list as ``role`` sees it, and how many queries answering it took."""
    client = world.client(role)  # (creates the token on first use)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"page_size": 50, **params})
    assert response.status_code == 200, response.content
    return response.json(), len(queries.captured_queries)


def _expected(world, role: str) -> list[dict]:
    request = APIRequestFactory().get("/")
    return [ProjectSerializer(p, context={"request": request}).data for p in projects_visible_to(world.users[role])]


def test_a_second_request_is_answered_from_the_cache(world):
    first, first_queries = _get(world, "lead")
    second, second_queries = _get(world, "lead")
    assert first == second
    assert first["results"] == _expected(world, "lead")
    assert (first_queries, second_queries) == (2, 1)  # token + page, then the token alone


def test_each_user_and_page_has_its_own_entry(world):
    ProjectFactory.create_batch(3, pm_team=world.project.pm_team)
    lead_page_1, _ = _get(world, "lead", page_size=2)
    lead_page_2, _ = _get(world, "lead", page_size=2, page=2)
    _get(world, "other_lead", page_size=2)
    other, queries = _get(world, "other_lead", page_size=2)
    assert queries == 1
    assert other["results"] == _expected(world, "other_lead")[:2]
    assert lead_page_1["results"] + lead_page_2["results"] == _expected(world, "lead")[:4]
    assert _get(world, "lead", page_size=2)[0] == lead_page_1


def _rename_project(world) -> None:
    Project.objects.filter(pk=world.project.pk).update(title="改名后的项目")


def _health_by_raw_sql(world) -> None:
    with connection.cursor() as cursor:  # as the set-based recalculation writes: no ORM, no signals
        cursor.execute("UPDATE projects_project SET health = 'red' WHERE id = %s", [world.project.pk])


def _rename_team(world) -> None:
    PMTeam.objects.filter(pk=world.project.pm_team_id).update(name="改名后的团队")


def _rename_performer(world) -> None:
    Organisation.objects.filter(pk=world.project.performer_id).update(name="改名后的单位")


def _rename_lead(world) -> None:
    User.objects.filter(pk=world.project.lead_id).update(display_name="新名字")


def _recode_direction(world) -> None:
    Direction.objects.filter(pk=world.project.field.direction_id).update(code="renamed")


def _new_project(world) -> None:
    ProjectFactory(pm_team=world.project.pm_team)


def _delete_project(world) -> None:
    ProjectFactory(pm_team=world.project.pm_team)  # committed before the first read below
    Project.objects.filter(pm_team=world.project.pm_team).exclude(pk=world.project.pk).delete()


CHANGES: dict[str, tuple[str, Callable]] = {
    "project row (ORM)": ("lead", _rename_project),
    "project row (raw SQL)": ("lead", _health_by_raw_sql),
    "team name": ("lead", _rename_team),
    "performer name": ("lead", _rename_performer),
    "lead's display name": ("lead", _rename_lead),
    "direction code": ("lead", _recode_direction),
    "new project": ("lead", _new_project),
    "team membership": ("outsider", lambda w: PMTeamMembership.objects.create(team=w.project.pm_team, user=w.users["outsider"])),
    "gate chair": ("outsider", lambda w: GateReviewFactory(project=w.other_project, chair=w.users["outsider"])),
    "gate moved to another project": (
        "chair",
        lambda w: GateReview.objects.filter(chair=w.users["chair"]).update(project=w.other_project),
    ),
    "reviewer conflict": (
        "reviewer",
        lambda w: ReviewerAssignment.objects.filter(reviewer=w.users["reviewer"]).update(has_conflict=True),
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_committed_write_to_any_table_the_list_shows_is_seen_at_once(world, change):
    role, write = CHANGES[change]
    before, _ = _get(world, role)
    assert _get(world, role) == (before, 1)  # cached
    version = _version()
    write(world)
    assert _version() != version
    after, queries = _get(world, role)
    assert after["results"] == _expected(world, role)
    assert after != before
    # computed again: token, page (and for an empty page the total, from the page query alone)
    assert queries == (2 if after["results"] else 3)


def test_version_moves_once_per_committed_transaction_and_not_for_a_rolled_back_one(world):
    start = _version()
    with transaction.atomic():
        for i in range(3):
            Project.objects.filter(pk=world.project.pk).update(title=f"第{i}次")
    once = _version()
    assert int(once.split(":")[1]) == int(start.split(":")[1]) + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        Project.objects.filter(pk=world.project.pk).update(title="不会提交")
        raise RuntimeError
    assert _version() == once


def test_nothing_is_cached_or_served_inside_a_transaction(world):
    _get(world, "lead")  # cached outside
    with transaction.atomic():
        Project.objects.filter(pk=world.project.pk).update(title="事务里看得见，事务外还没有")
        inside, queries = _get(world, "lead")
        assert queries == 2
        assert "事务里看得见，事务外还没有" in [r["title"] for r in inside["results"]]
        transaction.set_rollback(True)
    after, _ = _get(world, "lead")
    assert "事务里看得见，事务外还没有" not in [r["title"] for r in after["results"]]
    assert after["results"] == _expected(world, "lead")


def test_cache_off_computes_every_time(world, settings):
    settings.PMFLOW_API = {"CACHE_SIZE": 0}
    _get(world, "lead")
    assert _get(world, "lead")[1] == 2


def test_the_browsable_page_of_a_cached_list_is_html(world):
    _get(world, "lead")
    response = world.client("lead").get(URL, {"page_size": 50}, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_an_empty_list_is_cached_too(world):
    first, first_queries = _get(world, "outsider")
    assert first == {"count": 0, "next": None, "previous": None, "results": []}
    assert first_queries == 3
    assert _get(world, "outsider") == (first, 1)
    for _ in range(2):  # computed, then from the cache: a page past the end is a 404 both times
        assert world.client("outsider").get(URL, {"page": 2}).status_code == 404
    for _ in range(2):
        assert world.client("lead").get(URL, {"page": 9}).status_code == 404


def test_compaction_keeps_the_version_and_the_cache(world):
    Project.objects.filter(pk=world.project.pk).update(title="压缩前")
    before, _ = _get(world, "lead")
    version = _version()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pmflow_portfolio_change")
        pending = cursor.fetchone()[0]
    assert pending > 0
    assert portfolio_changes_compact() == pending
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pmflow_portfolio_change")
        assert cursor.fetchone()[0] == 0
    assert _version() == version
    assert _get(world, "lead") == (before, 1)  # still served from the cache
    Project.objects.filter(pk=world.project.pk).update(title="压缩后")
    assert _version() != version
    assert "压缩后" in [r["title"] for r in _get(world, "lead")[0]["results"]]


def test_concurrent_writers_never_wait_for_each_other(world):
    """Two open transactions both write projects: neither blocks on the version (each records only
    its own transaction id), and both count once they commit."""
    import threading

    from django.db import connections

    start = int(_version().split(":")[1])
    other_project = world.other_project
    ready, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            with transaction.atomic():
                Project.objects.filter(pk=other_project.pk).update(title="另一个事务")
                ready.set()
                done.wait(10)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert ready.wait(10)
    with transaction.atomic():  # would time out if it had to wait for the other transaction
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        Project.objects.filter(pk=world.project.pk).update(title="这个事务")
    done.set()
    thread.join(10)
    assert not errors
    assert int(_version().split(":")[1]) == start + 2


# --- the project detail --------------------------------------------------------------------------------
def _detail(world, role: str, pk: int) -> tuple[int, dict | None, int]:
    client = world.client(role)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{URL}{pk}/")
    return response.status_code, (response.json() if response.status_code == 200 else None), len(queries.captured_queries)


def _expected_detail(world, role: str, pk: int) -> dict:
    request = APIRequestFactory().get("/")
    request.user = world.users[role]
    return ProjectDetailSerializer(projects_visible_to(world.users[role]).get(pk=pk), context={"request": request}).data


def test_a_second_detail_request_is_answered_from_the_cache(world):
    Project.objects.filter(pk=world.project.pk).update(status="active")
    first = _detail(world, "admin", world.project.pk)
    second = _detail(world, "admin", world.project.pk)
    assert first[:2] == second[:2] == (200, _expected_detail(world, "admin", world.project.pk))
    assert (first[2], second[2]) == (2, 1)  # token + project, then the token alone
    assert second[1]["available_transitions"] == ["suspend", "terminate"]


def test_detail_sees_a_committed_change_at_once(world):
    pk = world.project.pk
    _detail(world, "member", pk)
    Project.objects.filter(pk=pk).update(title="详情改名")
    status, body, _ = _detail(world, "member", pk)
    assert status == 200 and body == _expected_detail(world, "member", pk) and body["title"] == "详情改名"
    PMTeamMembership.objects.filter(user=world.users["member"]).delete()
    assert _detail(world, "member", pk)[0] == 404  # visibility follows the membership at once


def test_a_member_made_admin_is_offered_the_admin_transitions_at_once(world):
    pk = world.project.pk
    Project.objects.filter(pk=pk).update(status="active")
    assert _detail(world, "member", pk)[1]["available_transitions"] == []
    member = world.users["member"]
    member.groups.add(*world.users["admin"].groups.all())  # made a programme admin
    assert _detail(world, "member", pk)[1]["available_transitions"] == ["suspend", "terminate"]


# --- the version moves only when a row really changed ----------------------------------------------------
def test_statements_that_change_no_row_leave_the_version(world):
    pk = world.project.pk
    before = _version()
    Project.objects.filter(pk=-1).update(title="无此项目")  # zero rows
    Project.objects.filter(pk=pk).update(title=Project.objects.get(pk=pk).title)  # same value
    Project.objects.filter(pk=-1).delete()  # zero rows deleted
    with connection.cursor() as cursor:  # as the set-based recalculation writes: every row, same values
        cursor.execute("UPDATE projects_project SET health = health")
        cursor.execute("INSERT INTO projects_tier SELECT * FROM projects_tier WHERE false")  # zero rows
    assert _version() == before
    cached, queries = _get(world, "lead")
    assert _get(world, "lead") == (cached, 1)
    Project.objects.filter(pk=pk).update(title="真的改了")
    assert _version() != before
    assert "真的改了" in [r["title"] for r in _get(world, "lead")[0]["results"]]


def test_every_covered_table_has_the_changed_row_triggers(world):
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM pmflow_portfolio_watched() AS t")
        watched = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'pmflow_portfolio_%' AND NOT tgisinternal"
        )
        triggers = cursor.fetchall()
    assert {"projects_project", "projects_pmteammembership", "pmflow_user_groups"} <= watched
    for table in watched:
        assert {name for t, name in triggers if t == table} == {
            "pmflow_portfolio_change",
            "pmflow_portfolio_inserted",
            "pmflow_portfolio_updated",
            "pmflow_portfolio_deleted",
        }


# --- conditional GET ---------------------------------------------------------------------------------------
def test_the_list_answers_304_to_its_etag_until_the_data_changes(world):
    client = world.client("lead")
    first = client.get(URL, {"page_size": 50})
    etag = first["ETag"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL, {"page_size": 50}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    assert len(queries.captured_queries) == 1  # the token query alone
    assert client.get(URL, {"page_size": 2}, HTTP_IF_NONE_MATCH=etag).status_code == 200  # another page
    assert world.client("member").get(URL, {"page_size": 50}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    Project.objects.filter(pk=world.project.pk).update(title="新标题")
    changed = client.get(URL, {"page_size": 50}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "新标题" in [r["title"] for r in changed.json()["results"]]


def test_the_detail_answers_304_to_its_etag_until_the_data_changes(world):
    client = world.client("member")
    pk = world.project.pk
    etag = client.get(f"{URL}{pk}/")["ETag"]
    assert client.get(f"{URL}{pk}/", HTTP_IF_NONE_MATCH=f'"x", {etag}').status_code == 304
    Project.objects.filter(pk=pk).update(title="详情新标题")
    changed = client.get(f"{URL}{pk}/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["title"] == "详情新标题"


def test_no_etag_inside_a_transaction(world):
    with transaction.atomic():
        response = world.client("lead").get(URL)
        assert response.status_code == 200 and not response.has_header("ETag")
