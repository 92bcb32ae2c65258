"""Funding awards against the policy's support measures (caps; 从优、就高、不重复), and support the same
beneficiary received under *other* municipal policies, which the overlap rule compares against."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    """What an award pays for. Caps and 从优、就高、不重复 apply per item (beneficiary, kind, identifier):
    首台套 per contract, 核心研发人员 per person. ``organisation`` is the beneficiary as a whole."""

    CONTRACT = "contract", _("合同")
    PRODUCT = "product", _("产品")
    PERSON = "person", _("人员")
    EVENT = "event", _("活动/展会")
    PLATFORM = "platform", _("平台/载体")
    ORGANISATION = "organisation", _("单位整体")


class OtherPolicySupport(models.Model):
    """Support a beneficiary received for an item under another municipal policy (其他市级政策).
    Recorded so that 从优、就高、不重复 can compare the same item across policies."""

    beneficiary = models.ForeignKey(
        "pmflow.Organisation", on_delete=models.PROTECT, related_name="other_support", verbose_name=_("受益单位")
    )
    policy_name = models.CharField(_("政策名称"), max_length=200)
    measure_name = models.CharField(_("支持措施"), max_length=200)
    amount = models.DecimalField(_("支持金额（元）"), max_digits=14, decimal_places=2)
    decision_date = models.DateField(_("决定日期"))
    item_kind = models.CharField(_("支持对象类型"), max_length=16, choices=ItemKind.choices)
    item_ref = models.CharField(_("支持对象标识"), max_length=120, blank=True, help_text=_("合同编号、产品型号、人员证件号等。"))
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("其他市级政策支持")
        verbose_name_plural = _("其他市级政策支持")
        ordering = ["-decision_date", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="other_support_amount_positive")]
        indexes = [models.Index(fields=["beneficiary", "item_kind", "item_ref"])]

    def __str__(self) -> str:
        return f"{self.policy_name} · {self.measure_name} · {self.amount}"


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
    decision_date = models.DateField(_("决定日期"), default=timezone.localdate, help_text=_("须在政策有效期内。"))
    item_kind = models.CharField(_("支持对象类型"), max_length=16, choices=ItemKind.choices, blank=True, default="")
    item_ref = models.CharField(
        _("支持对象标识"),
        max_length=120,
        blank=True,
        default="",
        help_text=_("合同编号、产品型号、人员证件号等；留空表示该单位在本措施下的整体支持。"),
    )
    status = models.CharField(_("状态"), max_length=12, choices=AwardState.choices, default=AwardState.ACTIVE, db_index=True)
    superseded_by = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes")
    superseded_by_other = models.ForeignKey(
        OtherPolicySupport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("被其他政策支持替代"),
    )
    superseded_at = models.DateTimeField(_("替代时间"), null=True, blank=True)
    retained_amount = models.DecimalField(
        _("替代时已拨付保留额（元）"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("被替代时本项目已拨付的金额（不超过本支持金额）；此后仍计入项目拨付上限。"),
    )
    prior_paid = models.DecimalField(
        _("同一支持对象此前已拨付（元）"),
        max_digits=14,
        decimal_places=2,
        default=0,
        db_default=0,  # the previous release's INSERTs omit the column (rolling upgrades)
        help_text=_("本支持替代的支持已拨付的金额：本支持只补足差额，不重复支付。"),
    )
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("资金支持")
        verbose_name_plural = _("资金支持")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="award_amount_positive")]
        indexes = [models.Index(fields=["beneficiary", "item_kind", "item_ref"])]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.measure} · {self.amount}"
