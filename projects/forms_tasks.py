"""Forms of the task board: filters and the inline progress update. Shape only; rules live in
projects/services/tasks.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.models import TaskStatus


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态")), *TaskStatus.choices])
    owner = forms.TypedChoiceField(label=_("负责人"), required=False, coerce=int, empty_value=None, choices=())
    category = forms.TypedChoiceField(label=_("类别"), required=False, coerce=int, empty_value=None, choices=())

    def __init__(self, *args: Any, owners: list[Any], categories: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("全部负责人")), *[(u.pk, str(u)) for u in owners]]
        self.fields["category"].choices = [("", _("全部类别")), *[(c.pk, c.name) for c in categories]]


class TaskProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("进度（%）"), min_value=0, max_value=100, required=False)
    blocked = forms.BooleanField(label=_("受阻"), required=False)
    done_date = forms.DateField(label=_("完成日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
