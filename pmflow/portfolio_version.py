"""The portfolio data version, and results computed under it kept in Django's cache (Redis in
production and tests: one cache for every worker process; local memory under ``make run``).

On PostgreSQL a statement trigger (``milestones/migrations/0100_portfolio_version.py``) records every
transaction that writes to a table the project list shows (projects, the names joined into them,
team memberships, gate chairs, reviewer assignments) as one row of ``pmflow_portfolio_change``, in
that transaction. The version is ``<epoch>:<n + number of change rows>``, read in one statement. A
later snapshot sees every transaction an earlier one saw, so two statements that read the same
version have seen the same committed writes of those tables: a result computed by a statement that
also returned version *v* may be served again to anyone who reads *v*, exactly as if computed again.
The cache can never serve a row that a committed write has changed. Writers share no row, so nothing
waits and nothing can deadlock. The version is read in the token query that authenticates every API
request (``pmflow.api.authentication``), so a cache hit costs no query of its own.

``portfolio_changes_compact`` (a beat task) folds change rows into ``n`` in one transaction: every
snapshot sees the same sum before and after.

Never inside a transaction: a read there may see the transaction's own uncommitted writes, which must
not outlive it. Elsewhere than PostgreSQL there is no version and nothing is cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from typing import Any

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

#: the version as text, NULL when the version row is missing (nothing may be cached then)
VERSION_SQL = (
    "SELECT v.epoch::text || ':' || (v.n + (SELECT count(*) FROM pmflow_portfolio_change))::text "
    "FROM pmflow_portfolio_version v WHERE v.id = 1"
)

COMPACT_SQL = (
    "WITH gone AS (DELETE FROM pmflow_portfolio_change RETURNING 1) "
    "UPDATE pmflow_portfolio_version SET n = n + (SELECT count(*) FROM gone) WHERE id = 1"
)

_UNKNOWN = object()


def can_cache(using: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[using]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def current_version(user: Any = None, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """The version now: the one the token query read with ``user`` if it did (same request), else one
    prepared query. None where nothing may be cached."""
    if not can_cache(using):
        return None
    known = getattr(user, "_pmflow_portfolio_version", _UNKNOWN)
    if known is not _UNKNOWN:
        return known
    from pmflow.compiled import execute

    rows = execute(using, VERSION_SQL, [])
    return rows[0][0] if rows else None


#: a cached entry lives at most this long (its key changes with the version anyway; this only bounds
#: how long entries of old versions take room)
HOT_CACHE_SECONDS = 600


def _hot_cache_key(kind: str, version: str, key: Hashable, using: str) -> str:
    database = connections[using].settings_dict["NAME"]
    return "pmflow:hot:" + ":".join(str(part) for part in (database, kind, version, *_flat(key)))


def _flat(key: Hashable) -> tuple[Any, ...]:
    return key if isinstance(key, tuple) else (key,)


def hot_cache_enabled() -> bool:
    from pmflow.api.settings import api_setting

    return bool(api_setting("CACHE_SIZE"))


def hot_cache_get(kind: str, version: str | None, key: Hashable, using: str = DEFAULT_DB_ALIAS) -> Any:
    """The ``kind`` result computed under ``version`` for ``key`` (Django's default cache: Redis,
    shared by every worker process), None when there is none or nothing may be cached."""
    if version is None or not hot_cache_enabled():
        return None
    return cache.get(_hot_cache_key(kind, version, key, using))


def hot_cache_put(kind: str, version: str | None, key: Hashable, value: Any, using: str = DEFAULT_DB_ALIAS) -> None:
    """Keep ``value``, computed by a statement that read ``version``, for later reads of that version."""
    if version is None or not hot_cache_enabled():
        return
    cache.set(_hot_cache_key(kind, version, key, using), value, HOT_CACHE_SECONDS)


def hot_etag(kind: str, version: str | None, key: Hashable, using: str = DEFAULT_DB_ALIAS) -> str | None:
    """A strong ETag for the ``kind`` answer to ``key`` under ``version`` (None when there is no
    version): equal tags mean equal committed data, hence an equal body."""
    if version is None:
        return None
    digest = hashlib.blake2b(_hot_cache_key(kind, version, key, using).encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def portfolio_changes_compact(using: str = DEFAULT_DB_ALIAS) -> int:
    """Fold the recorded changes into the version's base count (one statement, one transaction:
    the version every snapshot reads stays the same). Returns how many rows were folded."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pmflow_portfolio_change")
        pending = cursor.fetchone()[0]
        if pending:
            cursor.execute(COMPACT_SQL)
    return pending
