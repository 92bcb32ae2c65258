"""Loading the policy's reference data. Idempotent: rows are matched by code and only written when
a value differs, so a second run changes nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction

from projects.models import Direction, Field, Policy, SupportMeasure, TaskCategory, Tier

REFERENCE_FILE = Path(settings.BASE_DIR) / "fixtures" / "reference_data.json"


def _upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> int:
    """Create or update one row; return 1 if anything was written."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        model._default_manager.create(**lookup, **values)
        return 1
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.save(update_fields=changed)
        return 1
    return 0


def _dec(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


@transaction.atomic
def reference_data_load(*, path: Path = REFERENCE_FILE) -> int:
    """Load (or refresh) the reference data; return the number of rows written."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    written = 0
    p = data["policy"]
    written += _upsert(
        Policy,
        {"code": p["code"]},
        {
            "title": p["title"],
            "effective_from": _date(p["effective_from"]),
            "effective_to": _date(p["effective_to"]),
            "overlap_rule": p["overlap_rule"],
        },
    )
    for i, d in enumerate(data["directions"]):
        written += _upsert(Direction, {"code": d["code"]}, {"name_zh": d["name_zh"], "name_en": d["name_en"], "order": i})
    for i, t in enumerate(data["tiers"]):
        written += _upsert(
            Tier,
            {"code": t["code"]},
            {"name_zh": t["name_zh"], "name_en": t["name_en"], "focus_zh": t["focus_zh"], "focus_en": t["focus_en"], "order": i},
        )
    directions = {d.code: d for d in Direction.objects.all()}
    tiers = {t.code: t for t in Tier.objects.all()}
    for i, f in enumerate(data["fields"]):
        written += _upsert(
            Field,
            {"code": f["code"]},
            {
                "name_zh": f["name_zh"],
                "name_en": f["name_en"],
                "order": i,
                "direction": directions[f["direction"]],
                "tier": tiers[f["tier"]],
            },
        )
    for i, c in enumerate(data["task_categories"]):
        written += _upsert(TaskCategory, {"code": c["code"]}, {"name_zh": c["name_zh"], "name_en": c["name_en"], "order": i})
    for i, m in enumerate(data["support_measures"]):
        written += _upsert(
            SupportMeasure,
            {"code": m["code"]},
            {
                "name_zh": m["name_zh"],
                "name_en": m["name_en"],
                "order": i,
                "clause": m["clause"],
                "amount_cap": _dec(m["amount_cap"]),
                "ratio_cap": _dec(m["ratio_cap"]),
                "ratio_base": m["ratio_base"],
                "overlap_group": m["overlap_group"],
                "one_off": m["one_off"],
                "item_kind": m.get("item_kind", ""),
            },
        )
    written += _templates_load(data["milestone_templates"], tiers)
    return written


def _templates_load(templates: list[dict[str, Any]], tiers: dict[str, Tier]) -> int:
    """Create version 1 of each tier's milestone template if the tier has none. Templates are then
    edited in admin as new versions, so later loads never touch them."""
    from milestones.models import MilestoneTemplate, MilestoneTemplateStep

    written = 0
    for tpl in templates:
        tier = tiers[tpl["tier"]]
        if MilestoneTemplate.objects.filter(tier=tier).exists():
            continue
        template = MilestoneTemplate.objects.create(tier=tier, version=1, is_current=True, note="政策默认模板")
        MilestoneTemplateStep.objects.bulk_create(
            MilestoneTemplateStep(
                template=template,
                sequence=i + 1,
                title_zh=s["title_zh"],
                title_en=s["title_en"],
                span_share=Decimal(s["span_share"]),
                tranche_share=Decimal(s["tranche_share"]),
            )
            for i, s in enumerate(tpl["steps"])
        )
        written += 1 + len(tpl["steps"])
    return written


def _date(value: str):
    import datetime as dt

    return dt.date.fromisoformat(value)
