"""Token authentication for the API: DRF's, in one prepared query per request including the
programme-admin check."""

from __future__ import annotations

import functools
from typing import Any

from django.utils.translation import gettext as drf_gettext
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as BaseTokenAuthentication

from pmflow.compiled import CompiledQuery, ModelColumns, sentinel_str


def _token_query(postgresql: bool, key: str) -> Any:
    """The token, its user and ``EXISTS(admin group)`` for ``key``; on PostgreSQL also the portfolio
    data version (``pmflow.portfolio_version``: what cached list pages are checked against)."""
    from django.contrib.auth import get_user_model
    from django.db.models import CharField, Exists, OuterRef, Value
    from django.db.models.expressions import RawSQL
    from rest_framework.authtoken.models import Token

    from pmflow.portfolio_version import VERSION_SQL
    from pmflow.rules import PROGRAMME_ADMIN_GROUP

    user_model = get_user_model()
    memberships = user_model.groups.through.objects.filter(
        **{user_model._meta.model_name + "_id": OuterRef("user_id")}, group__name=PROGRAMME_ADMIN_GROUP
    )
    version = RawSQL(f"({VERSION_SQL})", [], output_field=CharField()) if postgresql else Value(None, CharField())
    query = Token.objects.annotate(_in_admin_group=Exists(memberships), _portfolio_version=version).filter(key=key)
    return query.values_list(*token_columns().names, "_in_admin_group", "_portfolio_version")


@functools.cache
def token_columns() -> ModelColumns:
    """The token's columns and its user's (built once per process)."""
    from rest_framework.authtoken.models import Token

    return ModelColumns(Token, ["user"])


TOKEN_QUERY = CompiledQuery("api-token", _token_query, key=sentinel_str("key"))


class TokenAuthentication(BaseTokenAuthentication):
    """DRF's token authentication, with the programme-admin check read in the same query as the
    token and its user (``Exists`` on the admin group): every visibility rule asks it, and on its own
    it was one more round trip per API request. The answer is fresh on every request (nothing is
    cached between requests); ``pmflow.rules.is_programme_admin`` reads it from the user object.
    The query is compiled once (``pmflow.compiled``) and prepared by psycopg: it runs on every API request."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from django.db import connection

        postgresql = connection.vendor == "postgresql"
        found = TOKEN_QUERY.rows(postgresql, key=key)
        if not found:
            raise exceptions.AuthenticationFailed(drf_gettext("Invalid token."))
        *columns, in_admin_group, version = found[0]
        token = token_columns().instance(columns)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(drf_gettext("User inactive or deleted."))
        token.user._pmflow_is_admin = in_admin_group
        if postgresql and not connection.in_atomic_block:
            token.user._pmflow_portfolio_version = version
        return (token.user, token)
