from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from milestones.models import MilestoneTemplate
from projects.models import Direction, Field, Policy, SupportMeasure, TaskCategory, Tier

pytestmark = pytest.mark.django_db


def test_reference_data_counts(reference_data):
    assert Direction.objects.count() == 6
    assert Tier.objects.count() == 3
    assert Field.objects.count() == 11
    assert TaskCategory.objects.count() == 6
    assert SupportMeasure.objects.count() == 13  # the ten capped measures + three the seed names without a cap
    assert MilestoneTemplate.objects.filter(is_current=True).count() == 3


def test_chinese_names_are_the_source_of_truth(reference_data):
    assert set(Direction.objects.values_list("name_zh", flat=True)) == {
        "未来制造",
        "未来信息",
        "未来材料",
        "未来能源",
        "未来空间",
        "未来健康",
    }
    assert set(TaskCategory.objects.values_list("name_zh", flat=True)) == {
        "标志性产品打造",
        "产业链保障",
        "重大项目投资",
        "重要平台建设",
        "重点人才引进",
        "改革举措",
    }
    assert Direction.objects.get(name_zh="未来健康").name_en == "Future Health"


@pytest.mark.parametrize(
    ("tier", "fields"),
    [
        ("发展壮大", {"细胞与基因治疗", "脑机接口", "生物制造", "具身智能"}),
        ("加快培育", {"第四代半导体", "硅基光电子", "第六代移动通信", "类脑智能"}),
        ("加速布局", {"量子科技", "可控核聚变", "再生医学"}),
    ],
)
def test_fields_belong_to_their_tier(reference_data, tier, fields):
    assert set(Field.objects.filter(tier__name_zh=tier).values_list("name_zh", flat=True)) == fields


def test_tier_focus_comes_from_the_policy(reference_data):
    assert Tier.objects.get(code="early_layout").focus_zh.startswith("技术难题攻关、技术路线收敛")


@pytest.mark.parametrize(
    ("name", "amount_cap", "ratio_cap", "ratio_base"),
    [
        ("孵化器建设运行", Decimal("20000000"), None, ""),
        ("概念验证/中试/共性技术平台", Decimal("30000000"), None, ""),
        ("基础研究一次性补助", Decimal("10000000"), None, ""),
        ("小升规/规转强一次性奖励", Decimal("500000"), None, ""),
        ("未来产业集聚区建设主体", Decimal("20000000"), None, ""),
        ("境外展会/活动", None, Decimal("0.5"), "cost"),
        ("首台套/首批次/首版次", Decimal("20000000"), Decimal("0.3"), "contract"),
        ("示范应用场景", Decimal("8000000"), None, ""),
        ("核心研发人员", Decimal("500000"), None, ""),
        ("国际标准/知识产权", Decimal("2000000"), None, ""),
    ],
)
def test_support_measure_caps(reference_data, name, amount_cap, ratio_cap, ratio_base):
    m = SupportMeasure.objects.get(name_zh=name)
    assert m.amount_cap == amount_cap
    assert m.ratio_cap == ratio_cap
    assert m.ratio_base == ratio_base


def test_policy_window(reference_data):
    p = Policy.objects.get()
    assert (p.effective_from, p.effective_to) == (dt.date(2025, 9, 26), dt.date(2030, 9, 25))
    assert p.overlap_rule == "从优、就高、不重复"


def test_loading_twice_changes_nothing(reference_data, django_assert_max_num_queries):
    before = {
        m.__name__: list(m.objects.order_by("pk").values())
        for m in (Direction, Tier, Field, TaskCategory, SupportMeasure, Policy, MilestoneTemplate)
    }
    from projects.services.reference import reference_data_load

    assert reference_data_load() == 0
    call_command("load_reference_data", verbosity=0)
    after = {
        m.__name__: list(m.objects.order_by("pk").values())
        for m in (Direction, Tier, Field, TaskCategory, SupportMeasure, Policy, MilestoneTemplate)
    }
    assert before == after


def test_a_changed_value_is_restored_only_by_a_reset(reference_data):
    SupportMeasure.objects.filter(code="incubator").update(amount_cap=1)
    from projects.services.reference import reference_data_load

    assert reference_data_load() == 0  # an admin's edit stands
    assert SupportMeasure.objects.get(code="incubator").amount_cap == Decimal("1")
    assert reference_data_load(reset=True) == 1
    assert SupportMeasure.objects.get(code="incubator").amount_cap == Decimal("20000000")
