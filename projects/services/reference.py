"""Loading the policy's reference data. Idempotent: rows are matched by code; missing rows and empty
values are added, an admin's edit is kept unless ``reset`` is asked for, so a second run changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction

from projects.models import Direction, Field, Policy, SupportMeasure, TaskCategory, Tier

REFERENCE_FILE = Path(settings.BASE_DIR) / "fixtures" / "reference_data.json"


@dataclass(frozen=True)
class Difference:
    """A value where the database differs from the seed (``field == "*"``: the row is missing)."""

    model: str
    code: str
    field: str
    current: Any
    seed: Any

    def __str__(self) -> str:
        if self.field == "*":
            return f"{self.model} {self.code}: missing (will be added)"
        return f"{self.model} {self.code}.{self.field}: {self.current!r} (database) → {self.seed!r} (seed)"


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def _upsert(
    model: type[models.Model],
    lookup: dict[str, Any],
    values: dict[str, Any],
    *,
    reset: bool,
    dry_run: bool,
    diffs: list[Difference],
) -> int:
    """Create a missing row; fill values that are still empty; overwrite a differing value only with
    ``reset`` (an admin's edit otherwise stands). Records every difference; writes nothing with
    ``dry_run``. Returns 1 if anything was (or, dry, would be) written."""
    code = str(next(iter(lookup.values())))
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        diffs.append(Difference(model.__name__, code, "*", None, None))
        if not dry_run:
            model._default_manager.create(**lookup, **values)
        return 1
    differing = [k for k, v in values.items() if getattr(obj, k) != v]
    for k in differing:
        current, seed = getattr(obj, k), values[k]
        diffs.append(Difference(model.__name__, code, k, str(current) if current is not None else None, str(seed)))
    to_write = differing if reset else [k for k in differing if _is_empty(getattr(obj, k))]
    if not to_write:
        return 0
    if not dry_run:
        for k in to_write:
            setattr(obj, k, values[k])
        obj.save(update_fields=to_write)
    return 1


def _dec(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


def reference_data_load(
    *, path: Path = REFERENCE_FILE, reset: bool = False, dry_run: bool = False, diffs: list[Difference] | None = None
) -> int:
    """Load the reference data; return the number of rows written (or, with ``dry_run``, that would be).

    Adds what is missing (rows, and values still empty, e.g. a column added by a release) and never
    overwrites an admin's edit: the policy's 及时调整优化战略布局 means admins move fields between
    tiers or change caps. ``reset`` restores the seed's values; ``dry_run`` writes nothing. Every
    difference between the database and the seed is appended to ``diffs``."""
    diffs = diffs if diffs is not None else []
    with transaction.atomic():
        written = _load(Path(path), reset=reset, dry_run=dry_run, diffs=diffs)
        if dry_run:
            transaction.set_rollback(True)
    return written


def _load(path: Path, *, reset: bool, dry_run: bool, diffs: list[Difference]) -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    opts = {"reset": reset, "dry_run": dry_run, "diffs": diffs}
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
        **opts,
    )
    for i, d in enumerate(data["directions"]):
        written += _upsert(Direction, {"code": d["code"]}, {"name_zh": d["name_zh"], "name_en": d["name_en"], "order": i}, **opts)
    for i, t in enumerate(data["tiers"]):
        written += _upsert(
            Tier,
            {"code": t["code"]},
            {"name_zh": t["name_zh"], "name_en": t["name_en"], "focus_zh": t["focus_zh"], "focus_en": t["focus_en"], "order": i},
            **opts,
        )
    directions = {d.code: d for d in Direction.objects.all()}
    tiers = {t.code: t for t in Tier.objects.all()}
    for i, f in enumerate(data["fields"]):
        if f["direction"] not in directions or f["tier"] not in tiers:  # dry run before directions exist
            diffs.append(Difference(Field.__name__, f["code"], "*", None, None))
            written += 1
            continue
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
            **opts,
        )
    for i, c in enumerate(data["task_categories"]):
        written += _upsert(
            TaskCategory, {"code": c["code"]}, {"name_zh": c["name_zh"], "name_en": c["name_en"], "order": i}, **opts
        )
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
            **opts,
        )
    if not dry_run:
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
