"""Token authentication for the API (DRF's, one query per request including the admin check)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as drf_gettext
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as BaseTokenAuthentication


class TokenAuthentication(BaseTokenAuthentication):
    """DRF's token authentication, with the programme-admin check read in the same query as the
    token and its user (``Exists`` on the admin group): every visibility rule asks it, and on its own
    it was one more round trip per API request. The answer is fresh on every request (nothing is
    cached between requests); ``pmflow.rules.is_programme_admin`` reads it from the user object."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from django.contrib.auth import get_user_model
        from django.db.models import Exists, OuterRef

        from pmflow.rules import PROGRAMME_ADMIN_GROUP

        memberships = get_user_model().groups.through.objects.filter(
            **{get_user_model()._meta.model_name + "_id": OuterRef("user_id")}, group__name=PROGRAMME_ADMIN_GROUP
        )
        model = self.get_model()
        try:
            token = model.objects.select_related("user").annotate(_in_admin_group=Exists(memberships)).get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(drf_gettext("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(drf_gettext("User inactive or deleted."))
        token.user._pmflow_is_admin = token._in_admin_group
        return (token.user, token)
