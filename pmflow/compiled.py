"""Compiled queries: an ORM queryset built and compiled to SQL once per process, then run again with
new parameter values — through Django's own cursor, public APIs only.

Why. On the API's hottest reads (token authentication, the project list and the project detail)
building a queryset and compiling it cost more than running it (1–3 ms of Python per query against
0.1–1.5 ms in PostgreSQL). A compiled query pays that once per process:

- the SQL comes from the ORM, from the same selectors the rest of the code uses (nothing is
  hand-written here): ``build(shape, **slots)`` returns a ``values_list()`` queryset, called once per
  *shape* with *sentinel* values in the slots; ``query.get_compiler().as_sql()`` gives the SQL and its
  parameters, the parameters holding a sentinel are the slots' positions, and each run puts the real
  values there; the compiler's ``results_iter`` converts the rows as the ORM would;
- it runs on ``connection.cursor()``, logged and counted like any query. Planning is saved by
  psycopg's documented automatic preparation: with ``server_side_binding`` and
  ``prepare_threshold`` in ``DATABASES["default"]["OPTIONS"]`` (``pmflow/settings/base.py``) psycopg
  prepares a statement once it has run ``prepare_threshold`` times on a connection, and the same
  SQL text with new parameters is then executed without parsing or planning.

Model instances come from ``Model.from_db`` (documented for custom loading) over the columns that
``ModelColumns`` lists, with ``select_related``-style parents assigned through their descriptors.

A *shape* is whatever changes the SQL text rather than a value (an admin sees every project, so their
visibility query has no filter at all): ``shape`` values must be hashable and few. Building a query
must not touch the database (what it read would be frozen into the SQL): compiling refuses it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

#: Sentinel values a slot holds while its query is compiled: unusual enough never to be a constant of
#: a query, and inside the 32-bit range (Django refuses out-of-range integer lookups outright).
SENTINEL_INTS = tuple(2_147_480_011 + 97 * k for k in range(8))


def sentinel_str(name: str) -> str:
    return f"\x1fpmflow-slot:{name}\x1f"


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # slot name -> positions in params
    compiler: Any  # the ORM compiler (converters for the rows)
    empty: bool  # the queryset can match nothing (``.none()``)


class CompiledQuery:
    """``build(shape, **slots)`` → a ``values_list()`` QuerySet, compiled once per (database, shape).

    ``slots`` maps each slot name to its sentinel value (an int from ``SENTINEL_INTS`` or a
    ``sentinel_str``); the built queryset must pass every slot's value into its parameters."""

    def __init__(self, name: str, build: Callable[..., QuerySet], **slots: Any) -> None:
        self.name = name
        self.build = build
        self.sentinels = slots
        self.cache: dict[tuple[str, Hashable], Compiled] = {}
        self.lock = threading.Lock()

    # --- compiling ---------------------------------------------------------------------------------
    def compiled(self, shape: Hashable = None, using: str = DEFAULT_DB_ALIAS) -> Compiled:
        key = (using, shape)
        found = self.cache.get(key)
        if found is None:
            with self.lock:
                found = self.cache.get(key) or self.compile(shape, using)
                self.cache[key] = found
        return found

    def compile(self, shape: Hashable, using: str) -> Compiled:
        connection = connections[using]

        def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            raise RuntimeError(f"compiled query {self.name!r}: building it ran SQL, which would be frozen in: {sql}")

        with connection.execute_wrapper(refuse):
            queryset = self.build(shape, **self.sentinels).using(using)
            compiler = queryset.query.get_compiler(using=using)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:
                return Compiled("", (), {}, compiler, True)
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
        return Compiled(sql, tuple(params), positions, compiler, False)

    # --- running -------------------------------------------------------------------------------------
    @staticmethod
    def fill(compiled: Compiled, values: dict[str, Any]) -> list[Any]:
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
        return compiled.sql, self.fill(compiled, values)

    def convert(self, raw: list[tuple[Any, ...]], shape: Hashable = None, using: str = DEFAULT_DB_ALIAS) -> list[tuple[Any, ...]]:
        """Rows shaped like this query's, converted as the ORM converts them."""
        if not raw:
            return []
        return list(self.compiled(shape, using).compiler.results_iter(results=[raw], tuple_expected=True))

    def rows(self, shape: Hashable = None, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[tuple[Any, ...]]:
        """The query's rows with its slots filled, converted as the ORM converts them."""
        compiled = self.compiled(shape, using)
        if compiled.empty:
            return []
        return self.convert(execute(using, compiled.sql, self.fill(compiled, values)), shape, using)


def execute(using: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` on Django's cursor and fetch every row (psycopg prepares it once it repeats)."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class ModelColumns:
    """The ``values_list()`` columns of a model and of the parents named by ``related`` (paths as in
    ``select_related``), and the instance built back from such a row with ``Model.from_db``, its
    parents assigned through their descriptors (so reading them runs no query)."""

    def __init__(self, model: type[Model], related: Sequence[str] = ()) -> None:
        self.model = model
        paths: list[str] = [""]
        for path in related:
            parts = path.split("__")
            for i in range(1, len(parts) + 1):
                prefix = "__".join(parts[:i])
                if prefix not in paths:
                    paths.append(prefix)
        self.parts: list[tuple[str, type[Model], list[str], int]] = []  # (path, model, attnames, start)
        self.names: list[str] = []
        for path in paths:
            target = model
            for name in path.split("__") if path else []:
                target = target._meta.get_field(name).related_model
            attnames = [f.attname for f in target._meta.concrete_fields]
            self.parts.append((path, target, attnames, len(self.names)))
            self.names += [f"{path}__{a}" if path else a for a in attnames]

    def instance(self, row: Sequence[Any], using: str = DEFAULT_DB_ALIAS) -> Any:
        built: dict[str, Any] = {}
        for path, target, attnames, start in self.parts:
            values = row[start : start + len(attnames)]
            pk_at = attnames.index(target._meta.pk.attname)
            obj = None if path and values[pk_at] is None else target.from_db(using, attnames, values)
            if path:
                parent, _sep, name = path.rpartition("__")
                if built.get(parent) is not None:
                    setattr(built[parent], name, obj)
            built[path] = obj
        return built[""]
