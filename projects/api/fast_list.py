"""The project list and detail without DRF's per-request field machinery, for the API's hottest
reads. Rows come back as tuples (or one model instance for the detail) and become the same JSON as
``ProjectSerializer`` / ``ProjectDetailSerializer`` (``tests/api/test_project_list_fast_path.py``
compares them field by field for every role).

- A filtered or re-ordered list (``project_page``): one query for the page's ids and the total
  (``COUNT(*) OVER ()`` on the projects table alone), one for those rows' columns by primary key.
- The default list (only ``page``/``page_size``: what dashboards poll) and the detail, on PostgreSQL:
  compiled once per process from the same selectors (``projects_visible_to``; ``pmflow.compiled``),
  prepared by psycopg once they repeat — the list in one statement — and served again from Django's
  cache (Redis: shared by every worker) while the portfolio data version stands
  (``pmflow.portfolio_version``), which the token query reads: a repeated read runs no query of its
  own and is never stale. The version also makes the ETag (``hot_etag``): a client that sends it back
  in ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, CharField, Count, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from pmflow.api.base import StrictPageNumberPagination, _positive_int
from pmflow.compiled import SENTINEL_INTS, CompiledQuery, ModelColumns, execute
from pmflow.portfolio_version import VERSION_SQL, can_cache, current_version, hot_cache_get, hot_cache_put, hot_etag
from pmflow.rules import is_programme_admin
from projects.models import Project
from projects.selectors.projects import projects_visible_to

# (output key, values() column)
COLUMNS: list[tuple[str, str]] = [
    ("id", "id"),
    ("code", "code"),
    ("title", "title"),
    ("field", "field__code"),
    ("direction", "field__direction__code"),
    ("tier", "field__tier__code"),
    ("pm_team", "pm_team_id"),
    ("pm_team_name", "pm_team__name"),
    ("performer", "performer_id"),
    ("performer_name", "performer__name"),
    ("lead", "lead_id"),
    ("lead_name", "lead__display_name"),
    ("budget", "budget"),
    ("support_mode", "support_mode"),
    ("planned_start", "planned_start"),
    ("planned_end", "planned_end"),
    ("window_extended_to", "window_extended_to"),
    ("non_consensus_track", "non_consensus_track"),
    ("sandbox_supervision", "sandbox_supervision"),
    ("health", "health"),
    ("status", "status"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
]
_KEYS = [k for k, _c in COLUMNS]
_MONEY = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)


def _iso_datetime(value: Any, tz: Any) -> str | None:
    """What ``serializers.DateTimeField().to_representation`` gives (ISO 8601 in the current time
    zone, ``Z`` for UTC), with the time zone looked up once per page rather than per value."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _row(values: tuple[Any, ...], username: str, tz: Any) -> dict[str, Any]:
    out = dict(zip(_KEYS, values, strict=True))
    out["lead_name"] = out["lead_name"] or username  # str(User): display name, else username
    out["budget"] = _MONEY.to_representation(out["budget"])
    for key in ("planned_start", "planned_end", "window_extended_to"):
        if out[key] is not None:
            out[key] = out[key].isoformat()
    out["created_at"] = _iso_datetime(out["created_at"], tz)
    out["updated_at"] = _iso_datetime(out["updated_at"], tz)
    return out


def _page_window(request: Request, paginator: StrictPageNumberPagination) -> tuple[int, int, int]:
    """(page size, page number, offset) from the query string; a bad value is a 400 naming it."""
    size = paginator.get_page_size(request)
    number = _positive_int(request.query_params.get(paginator.page_query_param), name="page", maximum=2**31 - 1) or 1
    return size, number, (number - 1) * size


def _results(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows (the COLUMNS values, the lead's username, then anything the query added) as the
    serializer's dicts."""
    tz = timezone.get_current_timezone()
    return [_row(r[: len(COLUMNS)], r[len(COLUMNS)], tz) for r in rows]


def _page_exists(results: list[Any], window: tuple[int, int, int]) -> None:
    """An empty page after the first is a 404 (the first page of nothing is an empty 200)."""
    if not results and window[1] > 1:
        raise NotFound(f"第 {window[1]} 页不存在。")


def _links(
    total: int, request: Request, paginator: StrictPageNumberPagination, window: tuple[int, int, int]
) -> tuple[str | None, str | None]:
    size, number, offset = window
    url = request.build_absolute_uri()
    nxt = replace_query_param(url, paginator.page_query_param, number + 1) if offset + size < total else None
    if number <= 1:
        prev = None
    elif number == 2:
        prev = remove_query_param(url, paginator.page_query_param)
    else:
        prev = replace_query_param(url, paginator.page_query_param, number - 1)
    return nxt, prev


def _respond_rendered(
    rendered: bytes, total: int, request: Request, paginator: StrictPageNumberPagination, window: tuple[int, int, int]
) -> HttpResponse:
    """The JSON body ``_respond`` renders, around results already rendered by DRF's JSONRenderer
    (the same bytes DRF writes for them inside the page object)."""
    nxt, prev = _links(total, request, paginator, window)
    head = JSONRenderer().render(OrderedDict([("count", total), ("next", nxt), ("previous", prev), ("results", None)]))
    assert head.endswith(b"null}")
    return HttpResponse(head[: -len(b"null}")] + rendered + b"}", content_type="application/json")


def _respond(
    results: list[dict[str, Any]],
    total: int,
    request: Request,
    paginator: StrictPageNumberPagination,
    window: tuple[int, int, int],
) -> Response:
    _page_exists(results, window)
    nxt, prev = _links(total, request, paginator, window)
    return Response(OrderedDict([("count", total), ("next", nxt), ("previous", prev), ("results", results)]))


_ROW_COLUMNS = [c for _k, c in COLUMNS] + ["lead__username"]


def project_page(queryset: QuerySet, request: Request, paginator: StrictPageNumberPagination) -> Response:
    """One page of ``queryset`` (already filtered and ordered) in the paginated list shape."""
    window = _page_window(request, paginator)
    size, _number, offset = window
    # 1) the page's ids and the total, from the projects table alone (no joins before the LIMIT)
    page = list(queryset.annotate(_total=Window(Count("*"))).values_list("pk", "_total")[offset : offset + size])
    total = page[0][1] if page else queryset.count()
    # 2) the columns of those rows, joined by primary key, in the page's order
    by_id = {r[0]: r for r in queryset.model._default_manager.filter(pk__in=[pk for pk, _t in page]).values_list(*_ROW_COLUMNS)}
    return _respond(_results([by_id[pk] for pk, _t in page if pk in by_id]), total, request, paginator, window)


# --- the default list, compiled and prepared ----------------------------------------------------------
def stand_in_user(user_id: int, admin: bool) -> Any:
    """A user to compile visibility with: this id, active, a programme admin or not (no query)."""
    from django.contrib.auth import get_user_model

    user = get_user_model()(pk=user_id, is_active=True)
    user._pmflow_is_admin = admin
    return user


def _page_query(admin: bool, user_id: int) -> QuerySet:
    """The ids and total of the default list (the model's ordering), as the ORM path builds them."""
    return projects_visible_to(stand_in_user(user_id, admin)).annotate(_total=Window(Count("*"))).values_list("pk", "_total")


def _page_rows_query(shape: Any) -> QuerySet:
    """The list columns of the rows of CTE ``page`` (the page query, see ``project_page_compiled``),
    each with the page's total, in the model's ordering (the page's)."""
    in_page = RawSQL("SELECT page.pk FROM page", [])
    total = RawSQL("SELECT max(page._total) FROM page", [], output_field=BigIntegerField())
    version = RawSQL(f"({VERSION_SQL})", [], output_field=CharField())  # read in the same snapshot
    return (
        Project.objects.filter(pk__in=in_page)
        .annotate(_page_total=total, _version=version)
        .values_list(*_ROW_COLUMNS, "_page_total", "_version")
    )


PAGE_QUERY = CompiledQuery("project-list-page", _page_query, user_id=SENTINEL_INTS[0])
ROWS_QUERY = CompiledQuery("project-list-rows", _page_rows_query)


def compiled_list_applies(request: Request) -> bool:
    """The compiled path serves the default list (only ``page``/``page_size`` given) on PostgreSQL;
    every filter or ordering takes the ORM path."""
    from pmflow.api.base import PAGE_PARAM, PAGE_SIZE_PARAM

    return connection.vendor == "postgresql" and all(k in (PAGE_PARAM, PAGE_SIZE_PARAM) for k in request.query_params)


def project_page_compiled(user: Any, request: Request, paginator: StrictPageNumberPagination) -> Response:
    """The default list of the projects ``user`` may see: the same rows and body as ``project_page``
    over ``projects_visible_to(user)``, in one prepared statement: the page query as CTE ``page``
    (its ``LIMIT``/``OFFSET`` written in, so that the plan knows the page is small and fetches its
    rows by primary key), then those rows' columns, the total and the portfolio version.

    A page computed under a portfolio version is served again while that version stands
    (``pmflow.portfolio_version``: no committed write to any table the page shows has happened since),
    outside transactions only; the version arrives with the token query, so such a hit runs no query
    of its own."""
    window = _page_window(request, paginator)
    size, _number, offset = window
    admin = is_programme_admin(user)
    key = (user.pk, admin, size, offset, timezone.get_current_timezone_name())
    cached = hot_cache_get("project-list", current_version(user), key)
    if cached is not None:
        total, results, rendered = cached
        _page_exists(results, window)
        if getattr(getattr(request, "accepted_renderer", None), "format", None) == "json":
            return _respond_rendered(rendered, total, request, paginator, window)
        return _respond(results, total, request, paginator, window)
    try:
        page, page_params = PAGE_QUERY.sql_params(admin, user_id=user.pk)
    except EmptyResultSet:  # a user who may see nothing at all (not one who is signed in and active)
        return _respond([], 0, request, paginator, window)
    rows, rows_params = ROWS_QUERY.sql_params()
    sql = f"WITH page AS MATERIALIZED ({page} LIMIT {int(size)} OFFSET {int(offset)}) {rows}"
    found = ROWS_QUERY.convert(execute(connection.alias, sql, [*page_params, *rows_params]))
    if found:
        total, version, results = found[0][-2], found[0][-1], _results(found)
    else:  # nothing visible, or past the end: the total (and the version) from the page query alone
        count_sql = f"SELECT count(*), ({VERSION_SQL}) FROM ({page}) AS visible"
        (total, version), results = execute(connection.alias, count_sql, page_params)[0], []
    if can_cache():
        hot_cache_put("project-list", version, key, (total, results, JSONRenderer().render(results)))
    return _respond(results, total, request, paginator, window)


# --- one project, compiled (detail, transitions) --------------------------------------------------------
#: the project's columns and its related rows' (as ``projects_visible_to`` joins them)
DETAIL_COLUMNS = ModelColumns(Project, ["field__direction", "field__tier", "pm_team", "performer", "lead"])


def _detail_query(admin: bool, user_id: int, pk: int) -> QuerySet:
    """The project ``pk`` if visible, with its related rows and the portfolio version (same snapshot)."""
    version = RawSQL(f"({VERSION_SQL})", [], output_field=CharField())
    visible = projects_visible_to(stand_in_user(user_id, admin)).filter(pk=pk)
    return visible.annotate(_portfolio_version=version).values_list(*DETAIL_COLUMNS.names, "_portfolio_version")


DETAIL_QUERY = CompiledQuery("project-detail", _detail_query, user_id=SENTINEL_INTS[0], pk=SENTINEL_INTS[2])


def visible_project_versioned(user: Any, pk: int) -> tuple[Project | None, str | None]:
    """``projects_visible_to(user).filter(pk=pk).first()`` with its related rows, and the portfolio
    version read in the same statement (None off PostgreSQL)."""
    if connection.vendor != "postgresql":
        return projects_visible_to(user).filter(pk=pk).first(), None
    found = DETAIL_QUERY.rows(is_programme_admin(user), user_id=user.pk, pk=pk)
    if not found:
        return None, None
    *columns, version = found[0]
    return DETAIL_COLUMNS.instance(columns), version


def visible_project(user: Any, pk: int) -> Project | None:
    """``projects_visible_to(user).filter(pk=pk).first()`` with its related rows (one compiled
    statement on PostgreSQL); None when not visible or not there."""
    return visible_project_versioned(user, pk)[0]


_ATTRS = [(key, tuple(column.split("__"))) for key, column in COLUMNS]


def _attribute(obj: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        obj = getattr(obj, name)
    return obj


def _detail_fields(project: Project) -> dict[str, Any]:
    """The detail's fields but ``available_transitions``: the project's own columns and names."""
    values = tuple(_attribute(project, path) for _key, path in _ATTRS)
    out = _row(values, project.lead.username, timezone.get_current_timezone())
    out["milestone_template"] = project.milestone_template_id
    return out


def project_detail_data(project: Project, user: Any, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``ProjectDetailSerializer`` gives for ``project`` (its related rows loaded, as
    ``visible_project`` returns it), without building the serializer's fields per request
    (``tests/api/test_project_list_fast_path.py`` compares the two). ``available_transitions`` is
    always worked out now, by the rules."""
    from pmflow.transitions import transitions_available
    from projects.api.serializers import PROJECT_EXPOSED

    out = dict(fields if fields is not None else _detail_fields(project))
    out["available_transitions"] = [n for n in transitions_available(project, user) if n in PROJECT_EXPOSED]
    return out


def project_detail(user: Any, pk: int) -> dict[str, Any] | None:
    """The detail of project ``pk`` for ``user``, None when not visible. The project row, its names and
    the visibility check are served again from the cache while the portfolio version stands (as the
    default list is); the transitions the user may take are worked out on every request."""
    key = (user.pk, is_programme_admin(user), pk, timezone.get_current_timezone_name())
    cached = hot_cache_get("project-detail", current_version(user), key)
    if cached is None:
        project, version = visible_project_versioned(user, pk)
        if project is None:
            return None
        cached = (project, _detail_fields(project))
        if can_cache():
            hot_cache_put("project-detail", version, key, cached)
    project, fields = cached
    return project_detail_data(project, user, fields)


# --- conditional GET ---------------------------------------------------------------------------------------
def _representation(request: Request) -> tuple[str, str]:
    """What else the body depends on: the absolute URL (the page links) and the renderer."""
    renderer = getattr(getattr(request, "accepted_renderer", None), "format", "")
    return request.build_absolute_uri(), str(renderer)


def project_list_etag(request: Request, paginator: StrictPageNumberPagination) -> str | None:
    """The default list's ETag: the portfolio version, the user and the page (None when nothing may
    be cached: in a transaction, off PostgreSQL). A bad page parameter is left to the list (400)."""
    user = request.user
    version = current_version(user)
    if version is None:
        return None
    try:
        size, _number, offset = _page_window(request, paginator)
    except Exception:  # noqa: BLE001 — the list itself answers the bad parameter with its 400
        return None
    key = (user.pk, is_programme_admin(user), size, offset, timezone.get_current_timezone_name(), *_representation(request))
    return hot_etag("project-list", version, key)


def project_detail_etag(request: Request, pk: int, data: dict[str, Any]) -> str | None:
    """The detail's ETag: the portfolio version, the user, the project, and the transitions offered
    (worked out by the rules on every request, so they are part of the tag)."""
    user = request.user
    key = (user.pk, pk, timezone.get_current_timezone_name(), *_representation(request), *data["available_transitions"])
    return hot_etag("project-detail", current_version(user), key)
