"""Milestone templates per tier (versioned) and the milestones a project gets from one.

A template is never edited in place: ``milestone_template_revise`` adds version N+1 and makes it
current, so projects created from an earlier version keep pointing at it (``project.milestone_template``)
and their milestones are never rewritten.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from milestones.models import Milestone, MilestoneTemplate, MilestoneTemplateStep
from pmflow.audit import audit_record
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from pmflow.rules import is_programme_admin
from pmflow.workdays import add_workdays, is_workday, next_workday
from projects.models import Project, ProjectState, Tier

CENT = Decimal("0.01")
ONE = Decimal("1")


# --- template versions ----------------------------------------------------------------------------
def _share(value: Any, name: str, index: int, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        share = Decimal(str(value).strip())
        if not share.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault("steps", []).append(_("第 %(n)d 步的 %(name)s 必须是数字。") % {"n": index, "name": name})
        return None
    if share <= 0 or share > 1:
        errors.setdefault("steps", []).append(_("第 %(n)d 步的 %(name)s 必须在 0 到 1 之间。") % {"n": index, "name": name})
        return None
    return share.quantize(Decimal("0.0001"))


def milestone_template_steps_clean(steps: Any) -> list[dict[str, Any]]:
    """Validate template steps: at least one, titles given, span and tranche shares in (0, 1] each
    summing to 1. Returns cleaned dicts in order; raises InvalidInput naming ``steps``."""
    errors: dict[str, list[str]] = {}
    if not isinstance(steps, (list, tuple)) or not steps:
        raise InvalidInput(fields={"steps": [_("模板至少需要一个步骤。")]})
    cleaned = []
    for i, raw in enumerate(steps, start=1):
        if not isinstance(raw, dict):
            errors.setdefault("steps", []).append(_("第 %(n)d 步格式无效。") % {"n": i})
            continue
        title_zh = str(raw.get("title_zh") or "").strip()
        title_en = str(raw.get("title_en") or "").strip() or title_zh
        if not title_zh:
            errors.setdefault("steps", []).append(_("第 %(n)d 步缺少名称。") % {"n": i})
        elif len(title_zh) > 100 or len(title_en) > 100:
            errors.setdefault("steps", []).append(_("第 %(n)d 步名称不能超过 100 个字符。") % {"n": i})
        span = _share(raw.get("span_share"), _("时间占比"), i, errors)
        tranche = _share(raw.get("tranche_share"), _("资金占比"), i, errors)
        cleaned.append(
            {
                "title_zh": title_zh,
                "title_en": title_en,
                "span_share": span,
                "tranche_share": tranche,
                "acceptance_hint": str(raw.get("acceptance_hint") or ""),
            }
        )
    if not errors:
        if sum(s["span_share"] for s in cleaned) != ONE:
            errors.setdefault("steps", []).append(_("各步骤时间占比之和必须等于 1。"))
        if sum(s["tranche_share"] for s in cleaned) != ONE:
            errors.setdefault("steps", []).append(_("各步骤资金占比之和必须等于 1。"))
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


def milestone_template_revise(*, actor: Any, tier: Tier | Any, steps: list[dict[str, Any]], note: str = "") -> MilestoneTemplate:
    """Add version N+1 of ``tier``'s template with ``steps`` and make it the current one. Programme
    admins only. Earlier versions (and the projects using them) are left untouched."""
    if not is_programme_admin(actor):
        raise Forbidden(_("只有管理员可以修改里程碑模板。"))
    cleaned = milestone_template_steps_clean(steps)
    with transaction.atomic():
        # The tier row lock serializes two concurrent revisions of one tier's template.
        tier_pk = tier.pk if isinstance(tier, Tier) else tier
        try:
            tier = Tier.objects.select_for_update().get(pk=tier_pk)
        except (Tier.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        top = MilestoneTemplate.objects.filter(tier=tier).aggregate(v=Max("version"))["v"] or 0
        previous = MilestoneTemplate.objects.filter(tier=tier, is_current=True).first()
        MilestoneTemplate.objects.filter(tier=tier, is_current=True).update(is_current=False)
        template = MilestoneTemplate.objects.create(
            tier=tier, version=top + 1, is_current=True, note=(note or _("第 %(v)d 版") % {"v": top + 1})[:200]
        )
        MilestoneTemplateStep.objects.bulk_create(
            MilestoneTemplateStep(template=template, sequence=i, **step) for i, step in enumerate(cleaned, start=1)
        )
        audit_record(
            obj=template,
            actor=actor,
            action="revise",
            data={
                "tier": tier.code,
                "version": template.version,
                "previous_version": previous.version if previous else None,
                "steps": [{k: str(v) for k, v in s.items()} for s in cleaned],
            },
        )
    return template


# --- milestones of a project ---------------------------------------------------------------------
def _snap(day: dt.date, *, latest: dt.date) -> dt.date:
    """The first working day on or after ``day``; if that passes ``latest``, the last working day
    on or before ``latest``."""
    snapped = next_workday(day)
    if snapped <= latest:
        return snapped
    back = latest
    while not is_workday(back):
        back -= dt.timedelta(days=1)
    return back


def tranche_amounts_split(*, budget: Decimal, shares: list[Decimal], first_cap_share: Decimal | None = None) -> list[Decimal]:
    """Split ``budget`` by ``shares`` (normalised), to the cent, the last tranche absorbing rounding.

    With ``first_cap_share`` (risk-controlled track) the first tranche is at most that share of the
    budget; the excess is moved to the later tranches in proportion to their amounts. The total is
    always exactly ``budget``.
    """
    total_share = sum(shares)
    amounts = [(budget * s / total_share).quantize(CENT, rounding=ROUND_HALF_UP) for s in shares[:-1]]
    amounts.append(budget - sum(amounts))
    if first_cap_share is not None and len(amounts) > 1:
        cap = (budget * first_cap_share).quantize(CENT, rounding=ROUND_HALF_UP)
        excess = amounts[0] - cap
        if excess > 0:
            amounts[0] = cap
            rest = amounts[1:]
            rest_total = sum(rest)
            moved = [(excess * a / rest_total).quantize(CENT, rounding=ROUND_HALF_UP) for a in rest[:-1]]
            moved.append(excess - sum(moved))
            amounts = [amounts[0], *(a + m for a, m in zip(rest, moved, strict=True))]
    return amounts


def milestone_due_dates(
    *, start: dt.date, end: dt.date, span_shares: list[Decimal], first_earlier_workdays: int = 0
) -> list[dt.date]:
    """Due dates spread over ``start``..``end`` by cumulative span share, snapped to working days;
    the last one is on (or just before) ``end``. ``first_earlier_workdays`` moves the first one that
    many working days earlier (never before ``start``)."""
    total_days = (end - start).days
    total_share = sum(span_shares)
    dates: list[dt.date] = []
    cumulative = Decimal(0)
    for i, share in enumerate(span_shares):
        cumulative += share
        if i == len(span_shares) - 1:
            day = _snap(end, latest=end)
        else:
            offset = int((Decimal(total_days) * cumulative / total_share).to_integral_value(rounding=ROUND_HALF_UP))
            day = _snap(start + dt.timedelta(days=offset), latest=end)
        dates.append(day)
    if first_earlier_workdays and dates:
        earlier = add_workdays(dates[0], -first_earlier_workdays)
        dates[0] = max(earlier, next_workday(start + dt.timedelta(days=1)))
    return dates


def milestones_create_from_template(*, project: Project, actor: Any) -> list[Milestone]:
    """Create ``project``'s milestones from its tier's CURRENT template and record that version on
    the project. Precondition: caller holds the project row lock, in the transaction approving it.

    Risk-controlled (non-consensus) track: the first tranche is capped at
    ``PMFLOW['NON_CONSENSUS_FIRST_TRANCHE_SHARE']`` of the budget (excess to later tranches) and the
    first due date is ``PMFLOW['NON_CONSENSUS_FIRST_GATE_EARLIER_WORKDAYS']`` working days earlier.
    """
    if project.milestones.exists():
        raise Conflict(_("项目“%(code)s”已有里程碑。") % {"code": project.code})
    template = MilestoneTemplate.objects.filter(tier_id=project.field.tier_id, is_current=True).prefetch_related("steps").first()
    if template is None:
        raise InvalidInput(
            _("梯次“%(tier)s”没有当前的里程碑模板。") % {"tier": project.field.tier},
            fields={"milestone_template": [_("缺少里程碑模板。")]},
        )
    steps = sorted(template.steps.all(), key=lambda s: s.sequence)
    if not steps:
        raise InvalidInput(fields={"milestone_template": [_("里程碑模板没有步骤。")]})
    conf = settings.PMFLOW
    risk_controlled = bool(project.non_consensus_track)
    cap_share = Decimal(str(conf["NON_CONSENSUS_FIRST_TRANCHE_SHARE"])) if risk_controlled else None
    earlier = int(conf["NON_CONSENSUS_FIRST_GATE_EARLIER_WORKDAYS"]) if risk_controlled else 0
    amounts = tranche_amounts_split(budget=project.budget, shares=[s.tranche_share for s in steps], first_cap_share=cap_share)
    dates = milestone_due_dates(
        start=project.planned_start,
        end=project.planned_end,
        span_shares=[s.span_share for s in steps],
        first_earlier_workdays=earlier,
    )
    milestones = Milestone.objects.bulk_create(
        Milestone(
            project=project,
            sequence=step.sequence,
            title=step.title_zh,
            acceptance_criteria=step.acceptance_hint,
            baseline_due=due,
            current_due=due,
            tranche_amount=amount,
            is_final=(i == len(steps) - 1),
            template_step=step,
        )
        for i, (step, due, amount) in enumerate(zip(steps, dates, amounts, strict=True))
    )
    project.milestone_template = template
    project.save(update_fields=["milestone_template", "updated_at"])
    audit_record(
        obj=project,
        actor=actor,
        action="milestones_create",
        from_state=project.status,
        to_state=project.status,
        data={
            "template": template.pk,
            "template_version": template.version,
            "risk_controlled": risk_controlled,
            "milestones": [
                {"sequence": m.sequence, "due": m.current_due.isoformat(), "tranche": str(m.tranche_amount)} for m in milestones
            ],
        },
    )
    return milestones


# --- the baseline --------------------------------------------------------------------------------
EDITABLE_FIELDS = ("title", "deliverables", "acceptance_criteria", "due_date", "tranche_amount")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def milestone_edit_baseline(*, actor: Any, project_id: Any, milestones: list[dict[str, Any]]) -> list[Milestone]:
    """Edit the baseline of an approved (not yet active) project's milestones.

    ``milestones`` is a list of ``{"id": ..., <any of title, deliverables, acceptance_criteria,
    due_date, tranche_amount>}``. Due dates must stay strictly increasing inside the project span
    and the tranche total must stay equal to what it was. While editing, ``baseline_due`` follows
    ``current_due``. PM-team members or programme admins only. Later changes go through change
    requests. Raises InvalidInput (nothing saved), Forbidden, NotFound, Conflict.
    """
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update().get(pk=project_id)
        except (Project.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        if not actor.has_perm("milestones.edit_baseline", project):
            raise Forbidden(_("只有项目经理团队可以编辑里程碑基线。"))
        if project.status != ProjectState.APPROVED:
            raise Conflict(
                _("只有已立项、尚未启动实施的项目可以编辑里程碑基线；之后请提交变更申请。"),
                extra={"state": project.status},
            )
        rows = {m.pk: m for m in Milestone.objects.select_for_update().filter(project=project).order_by("sequence")}
        errors: dict[str, list[str]] = {}
        if not isinstance(milestones, (list, tuple)):
            raise InvalidInput(fields={"milestones": [_("格式无效。")]})
        changed: dict[int, dict[str, Any]] = {}
        for i, raw in enumerate(milestones, start=1):
            if not isinstance(raw, dict) or raw.get("id") not in rows:
                errors.setdefault("milestones", []).append(_("第 %(n)d 项不是本项目的里程碑。") % {"n": i})
                continue
            m = rows[raw["id"]]
            values: dict[str, Any] = {}
            for key, value in raw.items():
                if key == "id":
                    continue
                if key not in EDITABLE_FIELDS:
                    errors.setdefault(key, []).append(_("该字段不可编辑。"))
                elif key in ("title", "deliverables", "acceptance_criteria"):
                    text = str(value or "").strip()
                    if key == "title" and not text:
                        errors.setdefault("title", []).append(_("M%(n)d 名称不能为空。") % {"n": m.sequence})
                    elif key == "title" and len(text) > 200:
                        errors.setdefault("title", []).append(_("M%(n)d 名称不能超过 200 个字符。") % {"n": m.sequence})
                    values[key] = text
                elif key == "due_date":
                    try:
                        values["current_due"] = _date(value)
                    except (ValueError, TypeError):
                        errors.setdefault("due_date", []).append(_("M%(n)d 日期格式无效。") % {"n": m.sequence})
                else:
                    try:
                        amount = Decimal(str(value).strip())
                        if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
                            raise InvalidOperation
                    except (InvalidOperation, ValueError, TypeError):
                        errors.setdefault("tranche_amount", []).append(
                            _("M%(n)d 资金额必须是不小于 0、最多两位小数的数字。") % {"n": m.sequence}
                        )
                    else:
                        values["tranche_amount"] = amount
            changed.setdefault(m.pk, {}).update(values)
        if errors:
            raise InvalidInput(fields=errors)
        before_total = sum(m.tranche_amount for m in rows.values())
        before = {m.pk: _snapshot(m) for m in rows.values()}
        for pk, values in changed.items():
            for key, value in values.items():
                setattr(rows[pk], key, value)
        ordered = list(rows.values())
        after_total = sum(m.tranche_amount for m in ordered)
        if after_total != before_total:
            errors["tranche_amount"] = [
                _("各里程碑资金额之和必须保持为 %(total)s 元（现为 %(now)s 元）。") % {"total": before_total, "now": after_total}
            ]
        end = project.window_extended_to or project.planned_end
        end = max(end, project.planned_end)
        previous: dt.date | None = None
        for m in ordered:
            if m.current_due < project.planned_start or m.current_due > end:
                errors.setdefault("due_date", []).append(_("M%(n)d 截止日必须在项目周期内。") % {"n": m.sequence})
            if previous is not None and m.current_due <= previous:
                errors.setdefault("due_date", []).append(_("M%(n)d 截止日必须晚于前一里程碑。") % {"n": m.sequence})
            previous = m.current_due
        if errors:
            raise InvalidInput(fields=errors)
        touched = [m for m in ordered if _snapshot(m) != before[m.pk]]
        for m in touched:
            m.baseline_due = m.current_due
        if touched:
            Milestone.objects.bulk_update(
                touched, ["title", "deliverables", "acceptance_criteria", "baseline_due", "current_due", "tranche_amount"]
            )
            audit_record(
                obj=project,
                actor=actor,
                action="milestones_edit_baseline",
                from_state=project.status,
                to_state=project.status,
                data={"before": [before[m.pk] for m in touched], "after": [_snapshot(m) for m in touched]},
            )
    return ordered


def _snapshot(m: Milestone) -> dict[str, Any]:
    return {
        "id": m.pk,
        "sequence": m.sequence,
        "title": m.title,
        "deliverables": m.deliverables,
        "acceptance_criteria": m.acceptance_criteria,
        "due": m.current_due.isoformat(),
        "tranche_amount": str(m.tranche_amount),
    }
