"""Forms of the project pages. They only type and shape the input; the services validate it
(InvalidInput names the bad fields, which the views put back on these forms)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pmflow.models import Organisation, User
from projects.models import Field, PMTeam, SupportMode


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ProjectForm(forms.Form):
    """Create or edit a draft project (project_create / project_update)."""

    title = forms.CharField(label=_("项目名称"), max_length=200)
    field = forms.ModelChoiceField(
        label=_("领域"),
        queryset=Field.objects.select_related("direction", "tier").order_by("order", "code"),
        to_field_name="code",
    )
    pm_team = forms.ModelChoiceField(label=_("项目经理团队"), queryset=PMTeam.objects.none(), to_field_name="code")
    performer = forms.ModelChoiceField(label=_("承担单位"), queryset=Organisation.objects.order_by("name"))
    lead = forms.ModelChoiceField(
        label=_("项目负责人"), queryset=User.objects.filter(is_active=True).order_by("username"), to_field_name="username"
    )
    #: entered and shown in 万元 (the unit PM teams read, as on every page); stored in 元
    budget = forms.DecimalField(
        label=_("预算（万元）"),
        max_digits=14,
        decimal_places=6,
        help_text=_("单位：万元。例如 1,200 万元填写 1200。"),
        error_messages={
            "invalid": _("请输入数字（单位：万元）。"),
            "max_decimal_places": _("最多 6 位小数（精确到元的分）。"),
            "max_digits": _("金额过大。"),
            "max_whole_digits": _("金额过大。"),
        },
    )
    support_mode = forms.ChoiceField(label=_("支持方式"), choices=SupportMode.choices)
    planned_start = forms.DateField(label=_("计划开始"), widget=DateInput())
    planned_end = forms.DateField(label=_("计划结束"), widget=DateInput())
    window_extended_to = forms.DateField(
        label=_("政策期延展至"), required=False, widget=DateInput(), help_text=_("仅在经批准超出政策有效期时填写。")
    )
    sandbox_supervision = forms.BooleanField(label=_("沙盒监管"), required=False)

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["pm_team"].queryset = teams if teams is not None else PMTeam.objects.none()
        self.fields["field"].queryset = fields_for_teams(teams)
        self.fields["field"].label_from_instance = lambda f: (
            gettext("%(direction)s · %(field)s（%(tier)s）")
            % {
                "direction": f.direction.name,
                "field": f.name,
                "tier": f.tier.name,
            }
        )
        self.fields["lead"].label_from_instance = lambda u: f"{u} ({u.username})"

    def clean_budget(self) -> Decimal:
        budget = self.cleaned_data["budget"]
        if budget <= 0:
            raise forms.ValidationError(gettext("预算必须大于 0。"))
        return budget

    def service_data(self) -> dict[str, Any]:
        """The cleaned values in the shape project_create / project_update take (codes and keys)."""
        d = self.cleaned_data
        return {
            "title": d["title"],
            "field": d["field"].code,
            "pm_team": d["pm_team"].code,
            "performer": d["performer"].pk,
            "lead": d["lead"].pk,
            "budget": str(wan_to_yuan(d["budget"])),
            "support_mode": d["support_mode"],
            "planned_start": d["planned_start"],
            "planned_end": d["planned_end"],
            "window_extended_to": d.get("window_extended_to"),
            "sandbox_supervision": bool(d.get("sandbox_supervision")),
        }

    @classmethod
    def initial_from(cls, project: Any) -> dict[str, Any]:
        return {
            "title": project.title,
            "field": project.field.code,
            "pm_team": project.pm_team.code,
            "performer": project.performer_id,
            "lead": project.lead.username,
            "budget": yuan_to_wan(project.budget),
            "support_mode": project.support_mode,
            "planned_start": project.planned_start,
            "planned_end": project.planned_end,
            "window_extended_to": project.window_extended_to,
            "sandbox_supervision": project.sandbox_supervision,
        }


YUAN_PER_WAN = Decimal(10000)


def wan_to_yuan(amount: Decimal) -> Decimal:
    """万元 → 元, to the fen (分)."""
    return (amount * YUAN_PER_WAN).quantize(Decimal("0.01"))


def yuan_to_wan(amount: Decimal | None) -> Decimal | None:
    """元 → 万元 without trailing zeros (12000000.00 → 1200)."""
    if amount is None:
        return None
    value = (Decimal(amount) / YUAN_PER_WAN).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


def fields_for_teams(teams: Any) -> Any:
    """The fields a project of one of ``teams`` may have: those the teams cover (a team that lists
    no field covers every field, as project_input_clean rules)."""
    qs = Field.objects.select_related("direction", "tier").order_by("order", "code")
    if teams is None:
        return qs
    team_ids = [t.pk for t in teams]
    if not team_ids:
        return qs.none()
    if PMTeam.objects.filter(pk__in=team_ids, fields__isnull=True).exists():
        return qs
    return qs.filter(pm_teams__in=team_ids).distinct()


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PlanVersionForm(forms.Form):
    """A new version of the cultivation plan (the first is the baseline)."""

    objectives = forms.CharField(label=_("培育目标"), widget=forms.Textarea(attrs={"rows": 4}))
    scope = forms.CharField(label=_("主要内容"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    deliverables = forms.CharField(label=_("预期成果"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    change_note = forms.CharField(
        label=_("修订说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=_("修订时必填。")
    )


class RouteForm(forms.Form):
    name = forms.CharField(label=_("路线名称"), max_length=200)
    family = forms.CharField(label=_("路线族"), max_length=100, required=False)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(label=_("操作人"), queryset=User.objects.none(), required=False)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())

    def __init__(self, *args: Any, actors: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if actors is not None:
            self.fields["actor"].queryset = actors
