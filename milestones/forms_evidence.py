"""The evidence upload form (the milestone page shows it, ``evidence_upload`` validates it)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from milestones.models.milestones import EvidenceKind
from milestones.services.evidence import allowed_extensions_text, evidence_max_bytes


class EvidenceForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=EvidenceKind.choices, initial=EvidenceKind.REPORT)
    file = forms.FileField(label=gettext_lazy("文件"))
    description = forms.CharField(label=gettext_lazy("说明"), max_length=300, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("允许的类型：%(allowed)s；不超过 %(mb)s MB。") % {
            "allowed": allowed_extensions_text(),
            "mb": f"{evidence_max_bytes() / 1024 / 1024:g}",
        }
