"""Web forms for change requests: one form per kind; ``payload()`` is what the service receives.

Forms check the shape of the input and what can be checked on the rows they were given (dates are
dates, amounts are amounts in 万元 — the unit every page shows — and a dropped route has its lessons).
Every business rule stays in ``milestones.services.change_plans``; its errors come back keyed by
payload field and ``attach_service_errors`` puts each one next to the form field it is about.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from milestones.models import ChangeKind

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
#: one 万元 in yuan: tranche amounts are stored in yuan and shown (and entered) in 万元
WAN = Decimal("10000")
CENT = Decimal("0.01")


def wan(amount: Decimal | None) -> Decimal:
    """``amount`` yuan as 万元 without trailing zeros (the value an amount box starts with)."""
    value = (amount or Decimal("0")) / WAN
    return value.quantize(Decimal("0.000001")).normalize() if value else Decimal("0")


def yuan_of_wan(value: Decimal) -> Decimal:
    return (value * WAN).quantize(CENT, rounding=ROUND_HALF_UP)


class ChangeRequestBaseForm(forms.Form):
    reason = forms.CharField(label=_("变更理由"), widget=forms.Textarea(attrs={"rows": 3}))

    needs_milestone = False
    #: payload key (as the service names it in its errors) → form field
    error_fields: dict[str, str] = {}

    def __init__(
        self,
        *args: Any,
        project: Any,
        milestones: list[Any],
        routes: list[Any],
        teams: list[Any],
        leads: list[Any] | None = None,
        released: dict[int, Decimal] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.project = project
        self.milestones = milestones
        self.routes = routes
        self.teams = teams
        self.leads = leads or []
        self.released = released or {}
        if self.needs_milestone:
            self.fields["milestone"] = forms.TypedChoiceField(
                label=_("里程碑"),
                coerce=int,
                choices=[
                    ("", "—"),
                    *[
                        (m.pk, f"M{m.sequence} {m.title}（{m.get_status_display()}，{m.current_due:%Y-%m-%d}）")
                        for m in milestones
                    ],
                ],
            )
        # The milestone first, the kind's own fields next, the reason last.
        self.order_fields(["milestone", *[n for n in self.fields if n not in ("milestone", "reason")], "reason"])

    def milestone_id(self) -> int | None:
        return self.cleaned_data.get("milestone") if self.needs_milestone else None

    def payload(self) -> dict[str, Any]:
        return {}

    def field_for(self, key: str) -> str | None:
        """The form field a service error about payload key ``key`` belongs to (None: the whole form)."""
        name = {"milestone_id": "milestone", "reason": "reason", **self.error_fields}.get(key, key)
        return name if name in self.fields else None

    def attach_service_errors(self, fields: dict[str, list[str]]) -> None:
        for key, msgs in fields.items():
            name = self.field_for(key)
            for msg in msgs:
                self.add_error(name, msg)

    def labelled_errors(self) -> list[tuple[str, str, str]]:
        """``(field id, label, message)`` for every error, in field order (the summary above the form)."""
        out: list[tuple[str, str, str]] = []
        for msg in self.non_field_errors():
            out.append(("", "", msg))
        for name, field in self.fields.items():
            for msg in self.errors.get(name, []):
                out.append((self[name].id_for_label, str(field.label), msg))
        return out


class RescheduleForm(ChangeRequestBaseForm):
    needs_milestone = True
    new_due = forms.DateField(
        label=_("新截止日"),
        widget=DATE_INPUT,
        help_text=_("必须是工作日；其后各里程碑按相同的工作日数顺延。"),
    )
    extend_end_to = forms.DateField(
        label=_("项目结束日延展至"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("可选：顺延后超出项目计划结束日时填写。"),
    )

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"new_due": self.cleaned_data["new_due"].isoformat()}
        if self.cleaned_data.get("extend_end_to"):
            out["extend_end_to"] = self.cleaned_data["extend_end_to"].isoformat()
        return out


class RescopeForm(ChangeRequestBaseForm):
    needs_milestone = True
    deliverables = forms.CharField(label=_("新的交付物"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    acceptance_criteria = forms.CharField(label=_("新的验收标准"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    cancel_milestone = forms.BooleanField(label=_("取消该里程碑"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not (data.get("deliverables") or "").strip() and not (data.get("acceptance_criteria") or "").strip():
            if not data.get("cancel_milestone"):
                self.add_error("deliverables", _("请填写新的交付物或验收标准，或勾选取消该里程碑。"))
        return data

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            k: self.cleaned_data[k].strip()
            for k in ("deliverables", "acceptance_criteria")
            if (self.cleaned_data.get(k) or "").strip()
        }
        if self.cleaned_data.get("cancel_milestone"):
            out["cancel_milestone"] = True
        return out


class ReallocateBudgetForm(ChangeRequestBaseForm):
    """One amount box per milestone, in 万元 (six decimals: to the cent), starting at its tranche."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for m in self.milestones:
            released = self.released.get(m.pk)
            help_text = _("当前 %(now)s 万元") % {"now": f"{wan(m.tranche_amount):,f}"}
            if released:
                help_text += _("；已拨付 %(r)s 万元") % {"r": f"{wan(released):,f}"}
            self.fields[f"tranche_{m.pk}"] = forms.DecimalField(
                label=_("M%(seq)s %(title)s（万元）") % {"seq": m.sequence, "title": m.title},
                min_value=Decimal("0"),
                max_digits=16,
                decimal_places=6,
                initial=f"{wan(m.tranche_amount):f}",
                help_text=help_text,
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            )
        self.order_fields([f"tranche_{m.pk}" for m in self.milestones] + ["reason"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        amounts = {m.pk: data.get(f"tranche_{m.pk}") for m in self.milestones}
        if any(a is None for a in amounts.values()):
            return data  # each missing or bad box already has its error
        for m in self.milestones:
            released = self.released.get(m.pk)
            if released and yuan_of_wan(amounts[m.pk]) < released:
                self.add_error(f"tranche_{m.pk}", _("不得低于已拨付金额 %(r)s 万元。") % {"r": f"{wan(released):,f}"})
        old = sum((m.tranche_amount for m in self.milestones), Decimal("0"))
        new = sum((yuan_of_wan(a) for a in amounts.values()), Decimal("0"))
        if old != new and self.milestones:
            self.add_error(
                f"tranche_{self.milestones[-1].pk}",
                _("调整前后资金总额必须一致：调整前合计 %(old)s 万元，调整后合计 %(new)s 万元。")
                % {"old": f"{wan(old):,f}", "new": f"{wan(new):,f}"},
            )
        return data

    def payload(self) -> dict[str, Any]:
        return {"tranches": {str(m.pk): str(yuan_of_wan(self.cleaned_data[f"tranche_{m.pk}"])) for m in self.milestones}}

    def field_for(self, key: str) -> str | None:
        # The service names the milestone in each of its "tranches" messages: shown above the amounts.
        return None if key == "tranches" else super().field_for(key)


class ConvergeRouteForm(ChangeRequestBaseForm):
    error_fields = {"selected_route_id": "selected_route"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["selected_route"] = forms.TypedChoiceField(
            label=_("选定路线"), coerce=int, choices=[("", "—"), *[(r.pk, r.name) for r in self.routes]]
        )
        for r in self.routes:
            self.fields[f"lessons_{r.pk}"] = forms.CharField(
                label=_("放弃“%(name)s”的经验总结") % {"name": r.name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("选定其他路线时必填。"),
            )
        self.order_fields(["selected_route"] + [f"lessons_{r.pk}" for r in self.routes] + ["reason"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        selected = data.get("selected_route")
        if selected is not None:
            for r in self.routes:
                if r.pk != selected and not (data.get(f"lessons_{r.pk}") or "").strip():
                    self.add_error(f"lessons_{r.pk}", _("放弃这条路线必须写明经验总结。"))
        return data

    def payload(self) -> dict[str, Any]:
        selected = self.cleaned_data["selected_route"]
        return {
            "selected_route": selected,
            "lessons": {str(r.pk): self.cleaned_data.get(f"lessons_{r.pk}", "") for r in self.routes if r.pk != selected},
        }

    def field_for(self, key: str) -> str | None:
        if key == "dropped":
            return None  # the message names the route
        return super().field_for(key)


class ProjectStateChangeForm(ChangeRequestBaseForm):
    """Suspend, resume and terminate carry only the reason."""


class ChangeTeamForm(ChangeRequestBaseForm):
    error_fields = {"pm_team_id": "pm_team", "lead_id": "lead", "lead_username": "lead"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["pm_team"] = forms.TypedChoiceField(
            label=_("新项目经理团队"),
            coerce=int,
            required=False,
            empty_value=None,
            choices=[("", _("（不变）")), *[(t.pk, t.name) for t in self.teams]],
            help_text=_("只列出覆盖该项目领域的团队。"),
        )
        self.fields["lead"] = forms.TypedChoiceField(
            label=_("新项目负责人"),
            coerce=int,
            required=False,
            empty_value=None,
            choices=[("", _("（不变）")), *[(u.pk, _user_label(u)) for u in self.leads]],
        )
        self.order_fields(["pm_team", "lead", "reason"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("pm_team") and not data.get("lead") and "pm_team" not in self.errors and "lead" not in self.errors:
            self.add_error("pm_team", _("请选择新的项目经理团队或新的项目负责人。"))
        return data

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cleaned_data.get("pm_team"):
            out["pm_team"] = self.cleaned_data["pm_team"]
        if self.cleaned_data.get("lead"):
            out["lead_id"] = self.cleaned_data["lead"]
        return out


def _user_label(user: Any) -> str:
    name = user.get_full_name()
    return f"{name}（{user.username}）" if name else user.username


CHANGE_FORMS: dict[str, type[ChangeRequestBaseForm]] = {
    ChangeKind.RESCHEDULE: RescheduleForm,
    ChangeKind.RESCOPE: RescopeForm,
    ChangeKind.REALLOCATE_BUDGET: ReallocateBudgetForm,
    ChangeKind.CONVERGE_ROUTE: ConvergeRouteForm,
    ChangeKind.SUSPEND: ProjectStateChangeForm,
    ChangeKind.RESUME: ProjectStateChangeForm,
    ChangeKind.TERMINATE: ProjectStateChangeForm,
    ChangeKind.CHANGE_TEAM: ChangeTeamForm,
}
