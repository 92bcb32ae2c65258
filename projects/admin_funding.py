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
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from pmflow.admin_fsm import ProgrammeAdminAccessMixin
from pmflow.errors import ApplicationError
from projects.models import FundingAward
from projects.models.funding import ItemKind, OtherPolicySupport
from projects.selectors.funding import funding_item_comparison
from projects.services.funding import OTHER_SUPPORT_FIELDS, funding_award_add, funding_award_check, other_support_add

#: service field name → form field name
FIELD_MAP = {"project_id": "project", "beneficiary_id": "beneficiary", "measure_code": "measure"}
ADD_FIELDS = (
    "project",
    "beneficiary",
    "measure",
    "item_kind",
    "item_ref",
    "amount",
    "base_amount",
    "decision_date",
    "note",
)


class FundingAwardAddForm(forms.ModelForm):
    request_user: Any = None

    class Meta:
        model = FundingAward
        fields = ADD_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Left empty, the service takes today (and checks it against the policy window).
        self.fields["decision_date"].required = False

    def _service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "project_id": data["project"].pk,
            "beneficiary_id": data["beneficiary"].pk,
            "measure_code": data["measure"].code,
            "amount": data["amount"],
            "base_amount": data.get("base_amount"),
            "decision_date": data.get("decision_date"),
            "item_kind": data.get("item_kind") or "",
            "item_ref": data.get("item_ref") or "",
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
        return [f.name for f in FundingAward._meta.concrete_fields] + ["overlap_comparison"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ADD_FIELDS
        return [f.name for f in FundingAward._meta.concrete_fields if f.name != "id"] + ["overlap_comparison"]

    @admin.display(description=_l("从优、就高、不重复：同一支持对象的比较"))
    def overlap_comparison(self, obj: FundingAward) -> str:
        return overlap_comparison_html(obj)

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


def overlap_comparison_html(award: FundingAward) -> str:
    """Every award of ours and every other-policy support for the award's item, highest first, with
    the one that applies marked: what 从优、就高、不重复 compared."""
    rows = funding_item_comparison(award=award)
    if not rows:
        return "—"
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td style='text-align:right'>{}</td><td>{}</td><td>{}</td></tr>",
        ((r["source"], r["measure"], r["date"], f"{r['amount']:,.2f}", r["status"], "✔" if r["applies"] else "") for r in rows),
    )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        _("政策"),
        _("支持措施"),
        _("决定日期"),
        _("金额（元）"),
        _("状态"),
        _("适用"),
        body,
    )


class OtherPolicySupportForm(forms.ModelForm):
    request_user: Any = None

    class Meta:
        model = OtherPolicySupport
        fields = ("beneficiary", "policy_name", "measure_name", "item_kind", "item_ref", "amount", "decision_date", "note")


@admin.register(OtherPolicySupport)
class OtherPolicySupportAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    """Support under other municipal policies, recorded through ``other_support_add`` (which supersedes
    our lower awards for the same item). Read-only once recorded."""

    list_display = ("beneficiary", "policy_name", "measure_name", "item_kind", "item_ref", "amount", "decision_date")
    list_filter = ("item_kind",)
    search_fields = ("beneficiary__name", "policy_name", "measure_name", "item_ref")
    list_select_related = ("beneficiary",)
    form = OtherPolicySupportForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else [f.name for f in OtherPolicySupport._meta.concrete_fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: OtherPolicySupport, form: Any, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        kwargs = {name: data.get(name.removesuffix("_id")) for name in OTHER_SUPPORT_FIELDS}
        kwargs["beneficiary_id"] = data["beneficiary"].pk
        support = other_support_add(actor=request.user, note=data.get("note", ""), **kwargs)
        for f in OtherPolicySupport._meta.concrete_fields:
            setattr(obj, f.attname, getattr(support, f.attname))
        if support.supersedes.exists():
            messages.info(request, _("从优、就高、不重复：本系统对同一支持对象较低的资金支持已被替代。"), fail_silently=True)


__all__ = ["FundingAwardServiceAdminMixin", "ItemKind", "OtherPolicySupportAdmin"]


from projects import admin_policy  # noqa: E402,F401  (tags, organisation profiles, consortium participants)
