"""Compiled queries: an ORM queryset built and compiled to SQL once per process, then run again with
new parameter values as a PostgreSQL prepared statement.

Why. On the API's hottest reads (token authentication, the project list and the project detail)
building a queryset and compiling it cost more than running it: 1–3 ms of Python per query on the
benchmark machine, against 0.1–1.5 ms of execution in PostgreSQL, which also planned every query
afresh (0.3 ms for the token query, 2–2.5 ms for the six-join project query). A compiled query pays
the Python once per process and the planning once per database connection:

- the SQL comes from the ORM, from the same selectors the rest of the code uses (nothing is
  hand-written here): ``build(shape, **slots)`` returns the queryset, called once per *shape* with
  *sentinel* values in the slots; the compiled parameters holding a sentinel are the slots'
  positions, and each run puts the real values there;
- on PostgreSQL the statement runs through a server-side-binding psycopg cursor with ``prepare=True``
  (psycopg keeps the prepared statement per connection), wrapped like any Django cursor, so the
  query is logged and counted like the others (``assertNumQueries`` sees it);
- elsewhere (SQLite under ``make run``) the same SQL runs through the ordinary cursor.

A *shape* is whatever changes the SQL text rather than a value (an admin sees every project, so their
visibility query has no filter at all): ``shape`` values must be hashable and few. Building a query
must not touch the database (what it read would be frozen into the SQL): compiling refuses it.

Rows come back exactly as the ORM gives them: the compiler's converters run on every row, and model
querysets become instances with their ``select_related`` objects and annotations
(``tests/pmflow/test_compiled.py`` compares both forms).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

#: Sentinel values a slot holds while its query is compiled: unusual enough never to be a constant of
#: a query, and inside the 32-bit range (Django refuses out-of-range integer lookups outright).
SENTINEL_INTS = tuple(2_147_480_011 + 97 * k for k in range(8))


def sentinel_str(name: str) -> str:
    return f"\x1fpmflow-slot:{name}\x1f"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # slot name -> positions in params
    compiler: Any  # the ORM compiler (select list, converters, klass_info)
    empty: bool  # the queryset can match nothing (``.none()``)
    values: bool  # a values()/values_list() queryset: rows are tuples


class CompiledQuery:
    """``build(shape, **slots)`` → a QuerySet, compiled once per (database, shape).

    ``slots`` maps each slot name to its sentinel value (an int from ``SENTINEL_INTS`` or a
    ``sentinel_str``); the built queryset must pass every slot's value into its parameters."""

    def __init__(self, name: str, build: Callable[..., QuerySet], *, binary: bool = False, **slots: Any) -> None:
        self.name = name
        self.build = build
        self.binary = binary  # rows in PostgreSQL's binary format: much cheaper to load, same Python types
        self.sentinels = slots
        self._cache: dict[tuple[str, Hashable], _Compiled] = {}
        self._lock = threading.Lock()

    # --- compiling ---------------------------------------------------------------------------------
    def compiled(self, shape: Hashable = None, using: str = DEFAULT_DB_ALIAS) -> _Compiled:
        key = (using, shape)
        found = self._cache.get(key)
        if found is None:
            with self._lock:
                found = self._cache.get(key) or self._compile(shape, using)
                self._cache[key] = found
        return found

    def _compile(self, shape: Hashable, using: str) -> _Compiled:
        connection = connections[using]

        def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            raise RuntimeError(f"compiled query {self.name!r}: building it ran SQL, which would be frozen in: {sql}")

        with connection.execute_wrapper(refuse):
            queryset = self.build(shape, **self.sentinels).using(using)
            assert not queryset._known_related_objects, "compiled queries do not carry known related objects"
            compiler = queryset.query.get_compiler(using=using)
            values = queryset._iterable_class.__name__ != "ModelIterable"
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:
                return _Compiled("", (), {}, compiler, True, values)
        positions: dict[str, tuple[int, ...]] = {}
        for name, sentinel in self.sentinels.items():
            found = tuple(i for i, p in enumerate(params) if type(p) is type(sentinel) and p == sentinel)
            # A slot may be unused in a shape (an admin's visibility has no user filter), but never
            # written into the SQL text or changed on its way into a parameter: the run would then
            # keep the sentinel instead of the value.
            transformed = [p for i, p in enumerate(params) if i not in found and str(sentinel) in str(p)]
            if str(sentinel) in sql or transformed:
                raise RuntimeError(f"compiled query {self.name!r}: slot {name!r} is not a plain parameter of its SQL")
            positions[name] = found
        return _Compiled(sql, tuple(params), positions, compiler, False, values)

    # --- running -------------------------------------------------------------------------------------
    def _params(self, compiled: _Compiled, values: dict[str, Any]) -> list[Any]:
        params = list(compiled.params)
        for name, where in compiled.slots.items():
            for i in where:
                params[i] = values[name]
        return params

    def sql_params(self, shape: Hashable = None, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> tuple[str, list[Any]]:
        """The SQL and its parameters with the slots filled, to run inside a larger statement
        (``convert`` then reads rows shaped like this query's)."""
        compiled = self.compiled(shape, using)
        if compiled.empty:
            raise EmptyResultSet
        return compiled.sql, self._params(compiled, values)

    def convert(self, raw: list[tuple[Any, ...]], shape: Hashable = None, using: str = DEFAULT_DB_ALIAS) -> list[tuple[Any, ...]]:
        """Rows shaped like this values() query's, converted as the ORM converts them."""
        if not raw:
            return []
        return list(self.compiled(shape, using).compiler.results_iter(results=[raw], tuple_expected=True))

    def raw_rows(
        self, shape: Hashable = None, *, using: str = DEFAULT_DB_ALIAS, **values: Any
    ) -> tuple[_Compiled, list[tuple[Any, ...]]]:
        """The compiled query run with its slots filled; the rows as the database returned them."""
        compiled = self.compiled(shape, using)
        if compiled.empty:
            return compiled, []
        return compiled, execute_prepared(using, compiled.sql, self._params(compiled, values), binary=self.binary)

    def rows(self, shape: Hashable = None, **kwargs: Any) -> list[tuple[Any, ...]]:
        """A values()/values_list() query's rows, converted as the ORM converts them."""
        compiled, raw = self.raw_rows(shape, **kwargs)
        assert compiled.values, f"{self.name}: rows() needs a values()/values_list() queryset"
        return self.convert(raw, shape, kwargs.get("using", DEFAULT_DB_ALIAS))

    def objects(self, shape: Hashable = None, **kwargs: Any) -> list[Any]:
        """A model query's instances, with their ``select_related`` objects and annotations."""
        from django.db.models.query import get_related_populators

        compiled, raw = self.raw_rows(shape, **kwargs)
        assert not compiled.values, f"{self.name}: objects() needs a model queryset"
        if not raw:
            return []
        compiler = compiled.compiler
        using = kwargs.get("using", DEFAULT_DB_ALIAS)
        klass_info, select = compiler.klass_info, compiler.select
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        out = []
        for row in compiler.results_iter(results=[raw]):
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr, position in (compiler.annotation_col_map or {}).items():
                setattr(obj, attr, row[position])
            out.append(obj)
        return out


def execute_prepared(using: str, sql: str, params: Sequence[Any], *, binary: bool = False) -> list[tuple[Any, ...]]:
    """Run ``sql`` and fetch every row; on PostgreSQL as a prepared statement (planned once per
    connection; ``plan_cache_mode`` in the settings keeps its generic plan), through Django's cursor
    wrapper (logged, counted, errors wrapped). ``binary``: results in binary format (no JSON columns:
    Django reads those as text)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _preparing_cursor_class(binary)(connection.connection)
        _use_connection_timezone(connection, raw)
        cursor = connection._prepare_cursor(raw)
    with cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _use_connection_timezone(connection: Any, cursor: Any) -> None:
    """What Django's ``create_cursor`` does for every cursor: read timestamps in the connection's
    time zone when the connection's loader disagrees (e.g. after a settings change in tests)."""
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    loader = connection.connection.adapters.get_loader(1184, Format.TEXT)  # timestamptz
    if connection.timezone != getattr(loader, "timezone", None):
        register_tzloader(connection.timezone, cursor)


_PREPARING_CURSORS: dict[bool, type] = {}


def _preparing_cursor_class(binary: bool) -> type:
    """Django's server-side-binding psycopg cursor, preparing every statement it runs."""
    if binary not in _PREPARING_CURSORS:
        from django.db.backends.postgresql.base import ServerBindingCursor

        class PreparingCursor(ServerBindingCursor):
            results_binary = binary

            def _maybe_prepare_gen(self, pgq: Any, *, prepare: bool | None = None, binary: bool | None = None) -> Any:
                # psycopg records the query it sends only when it does not run a prepared one; record
                # it always, so that Django's query log (tests, DEBUG) shows the SQL, not None
                self._query = pgq
                return super()._maybe_prepare_gen(pgq, prepare=prepare, binary=binary)

            def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None) -> Any:
                return super().execute(
                    query,
                    params,
                    prepare=True if prepare is None else prepare,
                    binary=self.results_binary if binary is None else binary,
                )

        _PREPARING_CURSORS[binary] = PreparingCursor
    return _PREPARING_CURSORS[binary]
