"""Web forms for reviewers, chairs and assessments (change requests: ``milestones.forms_changes``). Forms only check the shape of
the input (types, required fields); every business rule lives in the services they feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from milestones.models import (
    AssessmentRecommendation,
    DecisionOutcome,
    GateCriterion,
    Rating,
    Recommendation,
)

CONDITION_ROWS = 3

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ConflictDeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("是否存在利益冲突"),
        choices=[("no", _("不存在利益冲突")), ("yes", _("存在利益冲突（回避评审）"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ScorecardForm(forms.Form):
    """One pass/fail field per must-meet criterion (``must_<id>``) and one 0–100 score per weighted
    criterion (``score_<id>``), then the recommendation, champion flag (screening gates) and comments."""

    recommendation = forms.ChoiceField(label=_("建议"), choices=[("", "—"), *Recommendation.choices], required=False)
    champion = forms.BooleanField(label=_("我愿意作为支持专家（非共识）"), required=False)
    comments = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, criteria: list[GateCriterion], screening: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for c in criteria:
            if c.kind == GateCriterion.Kind.MUST:
                self.fields[f"must_{c.pk}"] = forms.TypedChoiceField(
                    label=c.title,
                    choices=[("", "—"), ("pass", _("满足")), ("fail", _("不满足"))],
                    coerce=lambda v: {"pass": True, "fail": False}.get(v),
                    empty_value=None,
                    required=False,
                )
            else:
                self.fields[f"score_{c.pk}"] = forms.IntegerField(
                    label=f"{c.title}（{_('权重')} {c.weight.normalize():f}）",
                    min_value=0,
                    max_value=100,
                    required=False,
                    widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
                )
        if not screening:
            del self.fields["champion"]

    def criterion_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(("must_", "score_"))]

    def scores(self) -> dict[int, dict[str, Any]]:
        """``{criterion_id: {"passed": bool|None}}`` for must-meet, ``{"score": int|None}`` for weighted."""
        out: dict[int, dict[str, Any]] = {}
        for c in self.criteria:
            if c.kind == GateCriterion.Kind.MUST:
                out[c.pk] = {"passed": self.cleaned_data.get(f"must_{c.pk}")}
            else:
                out[c.pk] = {"score": self.cleaned_data.get(f"score_{c.pk}")}
        return out


class GateDecisionForm(forms.Form):
    """The chair's decision. ``options`` are ``decision_options`` of the gate: only the outcomes the
    service accepts are offered; the others are listed with the reason (``refused``). Condition rows
    appear only when conditional go is offered, the new due date only when recycle is."""

    outcome = forms.ChoiceField(label=_("决定"), choices=DecisionOutcome.choices)
    rationale = forms.CharField(label=_("决定理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    new_due_date = forms.DateField(label=_("新截止日（返工重审）"), required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, options: list[dict[str, Any]], computed: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.options = options
        self.computed = computed
        self.condition_errors: list[str] = []
        offered = [(o["value"], o["label"]) for o in options if o["refusal"] is None]
        self.offered = {value for value, _label in offered}
        # Every outcome passes the field's own check; clean_outcome names the reason for a refused one.
        self.fields["outcome"].widget.choices = offered
        if not self.is_bound:
            self.initial.setdefault("outcome", computed if computed in self.offered else (offered[0][0] if offered else ""))
        computed_label = DecisionOutcome(computed).label if computed in DecisionOutcome.values else "—"
        self.fields["rationale"].help_text = _("系统建议为“%(computed)s”；作出其他决定时必须填写理由（记入审计日志）。") % {
            "computed": computed_label
        }
        if DecisionOutcome.RECYCLE not in self.offered:
            del self.fields["new_due_date"]
        if DecisionOutcome.CONDITIONAL_GO in self.offered:
            for i in range(1, CONDITION_ROWS + 1):
                self.fields[f"condition_title_{i}"] = forms.CharField(
                    label=_("条件 %(n)d") % {"n": i}, required=False, max_length=300
                )
                self.fields[f"condition_due_{i}"] = forms.DateField(
                    label=_("条件 %(n)d 完成期限") % {"n": i}, required=False, widget=DATE_INPUT
                )

    def refused(self) -> list[dict[str, Any]]:
        """The outcomes not offered, grouped by reason: ``[{"labels": [...], "reason": str}]``."""
        groups: dict[str, list[str]] = {}
        for o in self.options:
            if o["refusal"] is not None:
                groups.setdefault(o["refusal"], []).append(o["label"])
        return [{"labels": labels, "reason": reason} for reason, labels in groups.items()]

    def clean_outcome(self) -> str:
        value = self.cleaned_data["outcome"]
        for o in self.options:
            if o["value"] == value and o["refusal"] is not None:
                raise forms.ValidationError(o["refusal"])
        return value

    def has_conditions(self) -> bool:
        return "condition_title_1" in self.fields

    def condition_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        if not self.has_conditions():
            return []
        return [(self[f"condition_title_{i}"], self[f"condition_due_{i}"]) for i in range(1, CONDITION_ROWS + 1)]

    def conditions(self) -> list[dict[str, Any]]:
        rows = []
        if not self.has_conditions():
            return rows
        for i in range(1, CONDITION_ROWS + 1):
            title = (self.cleaned_data.get(f"condition_title_{i}") or "").strip()
            due = self.cleaned_data.get(f"condition_due_{i}")
            if title or due:
                rows.append({"title": title, "due_date": due})
        return rows


class GateCloseForm(forms.Form):
    """Closing scoring. With reviewers still outstanding (``outstanding``: names with what is missing)
    the chair must tick the confirmation; the service itself closes regardless."""

    confirm_outstanding = forms.BooleanField(label=_("仍然截止评分（上述专家的评分将不计入结果）"), required=False)

    def __init__(self, *args: Any, outstanding: list[dict[str, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.outstanding = outstanding
        if outstanding:
            self.fields["confirm_outstanding"].required = True
            self.fields["confirm_outstanding"].error_messages["required"] = _("还有专家未完成评审；请勾选确认后再截止评分。")


class NonConsensusApprovalForm(forms.Form):
    endorsement_by = forms.TypedChoiceField(label=_("项目经理背书人"), coerce=int, choices=())
    endorsement = forms.CharField(label=_("背书意见"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, endorsers: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["endorsement_by"].choices = [(u.pk, str(u)) for u in endorsers]


class TransitionNoteForm(forms.Form):
    note = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssessmentForm(forms.Form):
    scope = forms.ChoiceField(label=_("内容"), choices=Rating.choices)
    time = forms.ChoiceField(label=_("进度"), choices=Rating.choices)
    cost = forms.ChoiceField(label=_("成本"), choices=Rating.choices)
    risk = forms.ChoiceField(label=_("风险"), choices=Rating.choices)
    transfer = forms.ChoiceField(label=_("转化前景"), choices=Rating.choices)
    overall = forms.ChoiceField(label=_("总体评级"), choices=Rating.choices)
    recommendation = forms.ChoiceField(label=_("建议"), choices=AssessmentRecommendation.choices)
    comments = forms.CharField(label=_("评估意见"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None
