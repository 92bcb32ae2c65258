"""The portfolio data version, and a per-process cache of results computed under it.

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

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

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
    from pmflow.compiled import execute_prepared

    rows = execute_prepared(using, VERSION_SQL, [])
    return rows[0][0] if rows else None


class VersionedCache:
    """A small LRU map from (version, key) to a result. Entries of older versions are never read
    again and age out."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, version: str | None, key: Hashable) -> Any:
        if version is None:
            return None
        with self._lock:
            found = self._entries.get((version, key))
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end((version, key))
            self.hits += 1
            return found

    def put(self, version: str | None, key: Hashable, value: Any) -> None:
        if version is None:
            return
        with self._lock:
            self._entries[(version, key)] = value
            self._entries.move_to_end((version, key))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


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
