"""load_reference_data respects admins: it adds what is missing (rows, empty values) and never
overwrites an admin's edit (a field moved to another tier, a changed cap); ``--reset --dry-run``
lists the differences, ``--reset`` restores the seed's values."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from projects.models import Direction, Field, SupportMeasure, Tier

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("load_reference_data", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def edited(reference_data):
    """An admin moves 量子科技 to 加快培育, raises the 核心研发人员 cap, and adds 未来空间's own field."""
    Field.objects.filter(code="quantum").update(tier=Tier.objects.get(code="accelerate"))
    SupportMeasure.objects.filter(code="core_rd_talent").update(amount_cap=Decimal("800000"))
    Field.objects.create(
        code="deep_space",
        name_zh="深空探测",
        name_en="Deep-space exploration",
        direction=Direction.objects.get(code="space"),
        tier=Tier.objects.get(code="early_layout"),
    )


def test_a_load_after_an_admins_edit_keeps_the_edit(edited):
    out = _run()
    assert Field.objects.get(code="quantum").tier.code == "accelerate"
    assert SupportMeasure.objects.get(code="core_rd_talent").amount_cap == Decimal("800000")
    assert Field.objects.filter(code="deep_space").exists()
    assert "2 admin edits kept" in out


def test_missing_rows_and_empty_values_are_added(edited):
    Field.objects.filter(code="fusion").delete()
    SupportMeasure.objects.filter(code="first_of_kind").update(item_kind="")
    _run()
    assert Field.objects.get(code="fusion").tier.code == "early_layout"
    assert SupportMeasure.objects.get(code="first_of_kind").item_kind == "contract"
    assert SupportMeasure.objects.get(code="core_rd_talent").amount_cap == Decimal("800000")


def test_reset_dry_run_lists_the_differences_and_writes_nothing(edited):
    out = _run("--reset", "--dry-run")
    assert "Field quantum.tier" in out and "加快培育" in out and "加速布局" in out
    assert "SupportMeasure core_rd_talent.amount_cap" in out and "800000" in out and "500000" in out
    assert "dry run: 2 differences" in out
    assert Field.objects.get(code="quantum").tier.code == "accelerate"
    assert SupportMeasure.objects.get(code="core_rd_talent").amount_cap == Decimal("800000")


def test_reset_restores_the_seeds_values_and_keeps_admin_added_rows(edited):
    _run("--reset")
    assert Field.objects.get(code="quantum").tier.code == "early_layout"
    assert SupportMeasure.objects.get(code="core_rd_talent").amount_cap == Decimal("500000")
    assert Field.objects.filter(code="deep_space").exists()
    assert "dry run: 0 differences" in _run("--reset", "--dry-run")
