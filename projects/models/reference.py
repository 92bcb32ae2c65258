"""Reference data from 沪府办规〔2025〕8号, loaded by ``manage.py load_reference_data``.
Chinese names are the source of truth; English names sit alongside."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from projects.models.funding import ItemKind


class BilingualName(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name_zh = models.CharField(_("中文名称"), max_length=100, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=100)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    def __str__(self) -> str:
        return self.name


class Direction(BilingualName):
    """Six directions: 未来制造、未来信息、未来材料、未来能源、未来空间、未来健康."""

    class Meta(BilingualName.Meta):
        verbose_name = _("方向")
        verbose_name_plural = _("方向")


class Tier(BilingualName):
    """发展壮大 / 加快培育 / 加速布局; the tier decides the default milestone template."""

    focus_zh = models.CharField(_("支持重点"), max_length=200)
    focus_en = models.CharField(_("支持重点（英文）"), max_length=300)

    class Meta(BilingualName.Meta):
        verbose_name = _("梯次")
        verbose_name_plural = _("梯次")


class Field(BilingualName):
    """One of the eleven fields (领域) named by the policy."""

    direction = models.ForeignKey(Direction, on_delete=models.PROTECT, related_name="fields", verbose_name=_("方向"))
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="fields", verbose_name=_("梯次"))

    class Meta(BilingualName.Meta):
        verbose_name = _("领域")
        verbose_name_plural = _("领域")


class TaskCategory(BilingualName):
    """重点任务清单 categories: 标志性产品打造, 产业链保障, 重大项目投资, 重要平台建设, 重点人才引进, 改革举措."""

    class Meta(BilingualName.Meta):
        verbose_name = _("任务类别")
        verbose_name_plural = _("任务类别")


class SupportMeasure(BilingualName):
    """A support measure with its caps. ``amount_cap`` is 最高 (yuan); ``ratio_cap`` is 不超过 x% of
    ``ratio_base`` (contract amount or cost). Awards in one ``overlap_group`` follow 从优、就高、不重复."""

    class RatioBase(models.TextChoices):
        NONE = "", _("无")
        CONTRACT = "contract", _("合同金额")
        COST = "cost", _("相关费用")

    clause = models.CharField(_("政策条款"), max_length=40)
    amount_cap = models.DecimalField(_("金额上限（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    ratio_cap = models.DecimalField(_("比例上限"), max_digits=5, decimal_places=4, null=True, blank=True)
    ratio_base = models.CharField(_("比例基数"), max_length=16, choices=RatioBase.choices, blank=True, default="")
    overlap_group = models.SlugField(_("重叠组"), max_length=40)
    one_off = models.BooleanField(_("一次性"), default=False, help_text=_("每个受益单位在本措施下只能获得一次支持。"))
    item_kind = models.CharField(
        _("支持对象类型"),
        max_length=16,
        choices=ItemKind.choices,
        blank=True,
        default="",
        help_text=_("本措施按什么计算上限与重复：合同（首台套）、人员（核心研发人员）……留空为单位整体。"),
    )

    class Meta(BilingualName.Meta):
        verbose_name = _("支持措施")
        verbose_name_plural = _("支持措施")


class Policy(models.Model):
    """The policy itself and its window of force (2025-09-26 to 2030-09-25)."""

    code = models.CharField(_("文号"), max_length=40, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    effective_from = models.DateField(_("实施日期"))
    effective_to = models.DateField(_("有效期至"))
    overlap_rule = models.CharField(_("重复政策原则"), max_length=40)

    class Meta:
        verbose_name = _("政策")
        verbose_name_plural = _("政策")

    def __str__(self) -> str:
        return self.code
