"""Admin actions on users for personal-information requests (pmflow/ops/personal.py): export as
JSON, anonymise a departed person. Added to the user admin that ``pmflow/admin.py`` registers
(``AdminSite.get_model_admin``), so that file stays as it is."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pmflow.errors import ApplicationError
from pmflow.ops.personal import person_anonymise, person_export


@admin.action(description=gettext_lazy("导出个人信息 (JSON)"))
def person_export_action(modeladmin: Any, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
    data = {user.get_username(): person_export(user_id=user.pk) for user in queryset.order_by("pk")}
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="pmflow-person-export.json"'
    return response


@admin.action(description=gettext_lazy("匿名化离任人员"))
def person_anonymise_action(modeladmin: Any, request: HttpRequest, queryset: QuerySet) -> None:
    done = 0
    for user_id in queryset.values_list("pk", flat=True):
        try:
            person_anonymise(actor=request.user, user_id=user_id)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{user_id}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, _("已匿名化 %(count)s 人。") % {"count": done}, messages.SUCCESS)


def _install() -> None:
    user_admin = admin.site.get_model_admin(get_user_model())
    user_admin.actions = (*(user_admin.actions or ()), person_export_action, person_anonymise_action)


_install()
