"""pmflow.compiled: a queryset compiled once and run again with new values (prepared by psycopg once
it repeats) gives exactly what the ORM gives, is counted like any query, and refuses what it cannot do
safely; nothing private of Django, DRF or psycopg is used outside the tests and benchmarks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from rest_framework.authtoken.models import Token

from milestones.models import ReviewerAssignment
from pmflow.api.authentication import TOKEN_QUERY, token_columns
from pmflow.compiled import SENTINEL_INTS, CompiledQuery, sentinel_str
from projects.api.fast_list import PAGE_QUERY, stand_in_user
from projects.models import Project
from projects.selectors.projects import projects_visible_to
from tests.factories import GateReviewFactory, PMTeamFactory, ProjectFactory, UserFactory, add_member, make_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(reference_data):
    team, other = PMTeamFactory(), PMTeamFactory()
    member = add_member(team, UserFactory())
    ProjectFactory.create_batch(3, pm_team=team)
    ProjectFactory.create_batch(2, pm_team=other)
    led = ProjectFactory(pm_team=other)
    chaired = ProjectFactory(pm_team=other)
    reviewed = ProjectFactory(pm_team=other)
    recused = ProjectFactory(pm_team=other)
    chair, reviewer = UserFactory(), UserFactory()
    GateReviewFactory(project=chaired, chair=chair)
    ReviewerAssignment.objects.create(gate=GateReviewFactory(project=reviewed), reviewer=reviewer, has_conflict=False)
    ReviewerAssignment.objects.create(gate=GateReviewFactory(project=recused), reviewer=reviewer, has_conflict=True)
    return {
        "admin": make_admin(),
        "member": member,
        "team lead": team.lead,
        "project lead": led.lead,
        "chair": chair,
        "reviewer": reviewer,
        "outsider": UserFactory(),
    }


@pytest.mark.parametrize("role", ["admin", "member", "team lead", "project lead", "chair", "reviewer", "outsider"])
def test_compiled_visibility_rows_equal_the_orm_for_every_role(people, role):
    user = people[role]
    admin = role == "admin"
    compiled = PAGE_QUERY.rows(admin, user_id=user.pk)
    expected = list(
        projects_visible_to(user).values_list("pk", flat=True)  # the model's ordering, as the page query
    )
    assert [pk for pk, _total in compiled] == expected
    assert {total for _pk, total in compiled} <= {len(expected)}
    if role != "admin":
        assert len(expected) < Project.objects.count()  # the filter is there: nobody but admins sees all


def test_one_compilation_serves_every_user(people):
    PAGE_QUERY.rows(False, user_id=people["member"].pk)
    shapes_before = dict(PAGE_QUERY.cache)
    for role in ("team lead", "chair", "reviewer", "outsider"):
        PAGE_QUERY.rows(False, user_id=people[role].pk)
    assert PAGE_QUERY.cache == shapes_before  # same (database, shape) entries: nothing recompiled


def test_token_query_builds_the_token_its_user_and_the_admin_flag(people):
    for role, is_admin in (("admin", True), ("member", False)):
        user = people[role]
        key = Token.objects.create(user=user).key
        ((*columns, in_admin_group, _version),) = TOKEN_QUERY.rows(True, key=key)
        token = token_columns().instance(columns)
        orm = Token.objects.select_related("user").get(key=key)
        assert token.pk == orm.pk and token.created == orm.created
        assert token.user == orm.user
        assert {f.attname: getattr(token.user, f.attname) for f in type(orm.user)._meta.concrete_fields} == {
            f.attname: getattr(orm.user, f.attname) for f in type(orm.user)._meta.concrete_fields
        }
        assert in_admin_group is is_admin
    assert TOKEN_QUERY.rows(True, key="no-such-token") == []


def test_compiled_queries_are_counted_and_prepared(people, django_assert_num_queries):
    user = people["member"]
    with django_assert_num_queries(1) as captured:
        PAGE_QUERY.rows(False, user_id=user.pk)
    assert '"projects_project"' in captured.captured_queries[0]["sql"]  # the log shows the statement
    for _ in range(6):  # psycopg prepares a statement once it ran prepare_threshold (5) times
        PAGE_QUERY.rows(False, user_id=user.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"projects_project"' in text and "$1" in text for text in prepared), prepared


def test_a_value_written_into_the_sql_text_is_refused(db):
    inlined = CompiledQuery(
        "inlined",
        lambda shape, user_id: Project.objects.filter(pk__in=RawSQL(f"SELECT {user_id}", [])),
        user_id=SENTINEL_INTS[5],
    )
    with pytest.raises(RuntimeError, match="not a plain parameter"):
        inlined.rows(user_id=1)


def test_a_value_changed_on_its_way_into_a_parameter_is_refused(db):
    changed = CompiledQuery(
        "changed",
        lambda shape, user_id: Project.objects.filter(code=f"FI-{user_id}"),
        user_id=SENTINEL_INTS[6],
    )
    with pytest.raises(RuntimeError, match="not a plain parameter"):
        changed.rows(user_id=1)


def test_building_a_query_that_reads_the_database_is_refused(db):
    def reads(shape, user_id):
        ids = list(Project.objects.values_list("pk", flat=True))  # would freeze today's ids into the SQL
        return Project.objects.filter(Q(pk__in=ids) | Q(lead_id=user_id))

    with pytest.raises(RuntimeError, match="ran SQL"):
        CompiledQuery("reads", reads, user_id=SENTINEL_INTS[7]).rows(user_id=1)


def test_a_query_that_matches_nothing_compiles_to_no_statement(db, django_assert_num_queries):
    nothing = CompiledQuery("nothing", lambda shape, key: Project.objects.none().filter(code=key), key=sentinel_str("k"))
    with django_assert_num_queries(0):
        assert nothing.rows(key="x") == []


def test_stand_in_user_needs_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        projects_visible_to(stand_in_user(SENTINEL_INTS[0], admin=False)).query.get_compiler("default").as_sql()


#: what the hot-read layer used to reach into (issue 14); none may be used outside tests and benchmarks
PRIVATE = re.compile(
    r"\._(iterable_class|prepare_cursor|maybe_prepare_gen|known_related_objects)|klass_info|get_related_populators"
)


def test_no_private_internal_of_django_or_psycopg_is_used():
    root = Path(__file__).resolve().parents[2]
    found = [
        f"{path.relative_to(root)}:{n}"
        for top in ("pmflow", "projects", "milestones")
        for path in (root / top).rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert found == []


def test_prepared_statements_come_from_the_documented_options(db):
    options = connection.settings_dict["OPTIONS"]
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    assert connection.connection.prepare_threshold == 5  # psycopg's own setting, as passed to connect()
