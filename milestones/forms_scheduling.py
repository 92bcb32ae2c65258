"""Forms for scheduling a screening gate and assigning reviewers in bulk. They type the input;
every rule (committee covers the field, working-day due date, criteria, conflicts) is checked by
the services in ``milestones.services.scheduling`` and reported back on the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from milestones.models import Committee, GateCriterion

CRITERIA_EXTRA_ROWS = 2


class ScreeningScheduleForm(forms.Form):
    committee = forms.ModelChoiceField(
        label=_("评审委员会"),
        queryset=Committee.objects.none(),
        empty_label="—",
        required=False,  # the service names a missing committee on this field
        help_text=_("只列出负责本项目领域的评审委员会；评审由其主任主持。"),
    )
    due_date = forms.DateField(label=_("评审截止日"), required=False, help_text=_("须为工作日（法定节假日和调休已计入）。"))
    quorum = forms.IntegerField(label=_("法定人数"), min_value=1, max_value=100, initial=3)

    def __init__(self, *args: Any, committees: Any, workdays_url: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees
        self.fields["committee"].label_from_instance = lambda c: f"{c.name}（{_('主任')}：{c.chair}）"
        # the working days left to the chosen date, recomputed by the server as the date changes
        self.fields["due_date"].widget = forms.DateInput(
            attrs={"type": "date", "hx-get": workdays_url, "hx-trigger": "change", "hx-target": "#due-workdays"},
            format="%Y-%m-%d",
        )


class CriterionRowForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=GateCriterion.Kind.choices)
    title = forms.CharField(label=_("指标"), max_length=200, required=False)
    weight = forms.DecimalField(
        label=_("权重"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": 0, "step": "any"}),
    )


CriterionFormSet = forms.formset_factory(CriterionRowForm, extra=CRITERIA_EXTRA_ROWS, max_num=30, absolute_max=30)


def criteria_of(formset: Any) -> list[dict[str, Any]]:
    """The rows that have a title, in order, in the shape ``gate_criteria_clean`` takes (an empty
    list when none: the service then says at least one criterion is needed)."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        title = (data.get("title") or "").strip()
        if not title:
            continue
        weight = data.get("weight")
        rows.append({"kind": data.get("kind"), "title": title, "weight": weight if weight is not None else Decimal(0)})
    return rows


class ReviewerAssignForm(forms.Form):
    reviewers = forms.TypedMultipleChoiceField(
        label=_("评审专家"),
        coerce=int,
        required=False,  # the service names an empty choice on this field
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, member_ids: list[int], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].choices = [(pk, str(pk)) for pk in member_ids]
