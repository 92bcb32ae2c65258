"""Admin for funding awards that goes through the funding service, so the admin is no side door
around the caps and 从优、就高、不重复.

``FundingAward`` is registered in ``projects/admin.py``; put ``FundingAwardServiceAdminMixin`` first
in that admin's bases::

    class FundingAwardAdmin(FundingAwardServiceAdminMixin, PmflowAdmin): ...

Adding validates with ``funding_award_check`` (errors shown on the form fields) and saves with
``funding_award_add`` (which checks again under the locks and supersedes the lower award). Existing
awards are read-only and cannot be deleted: the superseded chain is the record.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from pmflow.errors import ApplicationError
from projects.models import FundingAward
from projects.services.funding import funding_award_add, funding_award_check

#: service field name → form field name
FIELD_MAP = {"project_id": "project", "beneficiary_id": "beneficiary", "measure_code": "measure"}
ADD_FIELDS = ("project", "beneficiary", "measure", "amount", "base_amount", "note")


class FundingAwardAddForm(forms.ModelForm):
    request_user: Any = None

    class Meta:
        model = FundingAward
        fields = ADD_FIELDS

    def _service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "project_id": data["project"].pk,
            "beneficiary_id": data["beneficiary"].pk,
            "measure_code": data["measure"].code,
            "amount": data["amount"],
            "base_amount": data.get("base_amount"),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            funding_award_check(actor=self.request_user, **self._service_kwargs())
        except ApplicationError as exc:
            if not exc.fields:
                raise ValidationError(exc.message) from exc
            for name, msgs in exc.fields.items():
                field = FIELD_MAP.get(name, name)
                for msg in msgs:
                    self.add_error(field if field in self.fields else None, msg)
        return cleaned


class FundingAwardServiceAdminMixin:
    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = type("FundingAwardAddForm", (FundingAwardAddForm,), {"request_user": request.user})
            kwargs["fields"] = ADD_FIELDS
        return super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return [f.name for f in FundingAward._meta.concrete_fields]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ADD_FIELDS
        return [f.name for f in FundingAward._meta.concrete_fields if f.name != "id"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: FundingAward, form: Any, change: bool) -> None:
        if change:
            return  # read-only once recorded
        award = funding_award_add(actor=request.user, note=form.cleaned_data.get("note", ""), **form._service_kwargs())
        for f in FundingAward._meta.concrete_fields:
            setattr(obj, f.attname, getattr(award, f.attname))
        if award.supersedes.exists():
            messages.info(request, _("从优、就高、不重复：该单位同类支持中较低的一项已被替代。"), fail_silently=True)
