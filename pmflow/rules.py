"""Permission predicates shared by every app (the ``rules`` package). Access is denied unless a
rule allows it; per-object rules live in each app's ``rules.py``."""

from __future__ import annotations

import rules

PROGRAMME_ADMIN_GROUP = "programme_admin"


@rules.predicate
def is_programme_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_pmflow_is_admin", None)
    if cached is None:
        cached = user.groups.filter(name=PROGRAMME_ADMIN_GROUP).exists()
        user._pmflow_is_admin = cached
    return cached


rules.add_perm("pmflow.view_audit", rules.is_authenticated)
