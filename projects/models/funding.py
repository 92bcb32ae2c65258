"""Funding awards against the policy's support measures (caps; 从优、就高、不重复)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FundingAward(models.Model):
    class AwardState(models.TextChoices):
        ACTIVE = "active", _("有效")
        SUPERSEDED = "superseded", _("已被更高额度替代")

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="awards", verbose_name=_("项目"))
    beneficiary = models.ForeignKey(
        "pmflow.Organisation", on_delete=models.PROTECT, related_name="awards", verbose_name=_("受益单位")
    )
    measure = models.ForeignKey(
        "projects.SupportMeasure", on_delete=models.PROTECT, related_name="awards", verbose_name=_("支持措施")
    )
    amount = models.DecimalField(_("支持金额（元）"), max_digits=14, decimal_places=2)
    base_amount = models.DecimalField(
        _("比例基数金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True, help_text=_("合同金额或相关费用。")
    )
    status = models.CharField(_("状态"), max_length=12, choices=AwardState.choices, default=AwardState.ACTIVE, db_index=True)
    superseded_by = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes")
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("资金支持")
        verbose_name_plural = _("资金支持")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="award_amount_positive")]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.measure} · {self.amount}"
