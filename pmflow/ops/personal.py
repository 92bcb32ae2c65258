"""Personal-information requests (PIPL-style): export everything pmflow holds about one person, and
anonymise a departed person while keeping what they did.

* ``person_export`` collects the user row (without the password hash) and every row of every model
  that points at the user (foreign keys, one-to-ones, many-to-manys: memberships, assignments,
  notifications, audit rows they acted in, ...), plus the one-to-one rows owned by those (a
  reviewer's scorecard hangs off the assignment). Found through the model registry, so a new model
  that references users is exported without touching this file.
* ``person_anonymise`` replaces the person's names, username, e-mail and calendar token on the
  **user row only**, disables the login and skips their undelivered notifications. Every link stays:
  scorecards, decisions, memberships and the append-only audit rows still point at the same user
  id, and now show the placeholder name. Audit rows themselves are never changed (the database
  refuses); free text someone typed into a reason or comment is not rewritten.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmflow.audit import audit_record
from pmflow.errors import Forbidden, NotFound

#: fields of the user row never exported
_SECRET_FIELDS = {"password"}


def _rows(queryset: models.QuerySet) -> list[dict[str, Any]]:
    return serializers.serialize("python", queryset)


def _user_references() -> list[tuple[type[models.Model], models.Field]]:
    user_model = get_user_model()
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is user_model and model is not user_model:
                found.append((model, field))
    return found


def person_export(*, user_id: int) -> dict[str, Any]:
    """Everything pmflow holds about one person, as JSON-ready data."""
    user_model = get_user_model()
    try:
        user = user_model.objects.get(pk=user_id)
    except user_model.DoesNotExist as exc:
        raise NotFound(_("用户不存在。")) from exc
    (person,) = _rows(user_model.objects.filter(pk=user.pk))
    person["fields"] = {k: v for k, v in person["fields"].items() if k not in _SECRET_FIELDS}
    records: dict[str, list[dict[str, Any]]] = {}
    for model, field in _user_references():
        queryset = model._default_manager.filter(**{field.name: user}).distinct()
        rows = _rows(queryset)
        if not rows:
            continue
        label = f"{model._meta.label_lower}.{field.name}"
        records[label] = rows
        # One-to-one rows owned by these (a scorecard of an assignment), one level down.
        for child in model._meta.related_objects:
            if child.one_to_one and child.on_delete is models.CASCADE:
                owned = _rows(child.related_model._default_manager.filter(**{f"{child.field.name}__in": queryset}))
                if owned:
                    records.setdefault(f"{child.related_model._meta.label_lower}.{child.field.name}", []).extend(owned)
    return {
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "person": person,
        "records": records,
    }


def person_export_json(*, user_id: int) -> str:
    return json.dumps(person_export(user_id=user_id), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def person_anonymise(*, actor: Any, user_id: int) -> Any:
    """Replace a departed person's identifying fields on their user row; keep every link.
    Only a superuser or programme admin (staff) may; nobody may anonymise themself."""
    if not (getattr(actor, "is_superuser", False) or getattr(actor, "is_staff", False)):
        raise Forbidden(_("只有管理员可以匿名化人员信息。"))
    user_model = get_user_model()
    with transaction.atomic():
        try:
            user = user_model.objects.select_for_update().get(pk=user_id)
        except user_model.DoesNotExist as exc:
            raise NotFound(_("用户不存在。")) from exc
        if user.pk == getattr(actor, "pk", None):
            raise Forbidden(_("不能匿名化自己的账户。"))
        placeholder = _("已离任人员 %(id)s") % {"id": user.pk}
        user.username = f"departed-{user.pk}"
        user.first_name = ""
        user.last_name = ""
        user.email = ""
        user.display_name = placeholder
        user.is_active = False
        user.set_unusable_password()
        user.calendar_token = secrets.token_urlsafe(24)
        user.save(
            update_fields=[
                "username",
                "first_name",
                "last_name",
                "email",
                "display_name",
                "is_active",
                "password",
                "calendar_token",
            ]
        )
        notification = apps.get_model("pmflow", "Notification")
        skipped = notification.objects.filter(recipient=user, status__in=["pending", "sending"]).update(status="skipped")
        audit_record(obj=user, actor=actor, action="person_anonymise", data={"notifications_skipped": skipped})
    return user
