"""Funding awards against the policy's support measures (支持措施).

Caps come from ``SupportMeasure`` (reference data, editable in admin): ``amount_cap`` is 最高 (yuan),
``ratio_cap`` is 不超过 x% of ``base_amount`` (the contract amount or the related cost). A refused
award names the cap, e.g. "首台套/首批次/首版次：不超过合同金额的30%（6,000,000.00元）且最高20,000,000元".

从优、就高、不重复: one beneficiary has at most one ACTIVE award per ``overlap_group``. A higher new
award supersedes the active one (status ``superseded``, ``superseded_by`` set, audit row); a lower or
equal one is refused with the reason. Concurrent awards for one beneficiary serialise on the
beneficiary's organisation row (``select_for_update``), so two writers can never both end up active.

There is deliberately no payment function here: awards are paid only through milestone tranches
(``TrancheRelease``, released when a gate passes).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pmflow.audit import audit_record
from pmflow.errors import Forbidden, InvalidInput, NotFound
from pmflow.models import Organisation
from projects.models import FundingAward, Project, ProjectState, SupportMeasure

CENT = Decimal("0.01")
#: projects that can no longer receive awards
CLOSED_PROJECT_STATES = (ProjectState.CLOSED, ProjectState.REJECTED, ProjectState.TERMINATED)


def _yuan(value: Decimal) -> str:
    """20000000 → "20,000,000"; 6000000.5 → "6,000,000.50"."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(CENT):,}"


def _percent(ratio: Decimal) -> str:
    """0.3000 → "30"; 0.125 → "12.5"."""
    return f"{(Decimal(ratio) * 100).normalize():f}"


def measure_cap_text(measure: SupportMeasure, base_amount: Decimal | None = None) -> str:
    """The cap of ``measure`` in words, with the ratio cap's value in yuan when the base is known."""
    parts = []
    if measure.ratio_cap is not None:
        base_label = SupportMeasure.RatioBase(measure.ratio_base).label if measure.ratio_base else _("基数")
        text = _("不超过%(base)s的%(pct)s%%") % {"base": base_label, "pct": _percent(measure.ratio_cap)}
        if base_amount is not None:
            text += _("（%(value)s元）") % {"value": _yuan(ratio_cap_value(measure, base_amount))}
        parts.append(text)
    if measure.amount_cap is not None:
        parts.append(_("最高%(cap)s元") % {"cap": _yuan(measure.amount_cap)})
    return f"{measure.name_zh}：" + _("且").join(parts)


def ratio_cap_value(measure: SupportMeasure, base_amount: Decimal) -> Decimal:
    """ratio × base, rounded down to the fen (a cap is never rounded up)."""
    return (Decimal(measure.ratio_cap) * Decimal(base_amount)).quantize(CENT, rounding=ROUND_DOWN)


def measure_max_amount(measure: SupportMeasure, base_amount: Decimal | None = None) -> Decimal | None:
    """The largest amount ``measure`` allows for ``base_amount`` (None = no cap known)."""
    caps = []
    if measure.amount_cap is not None:
        caps.append(Decimal(measure.amount_cap))
    if measure.ratio_cap is not None and base_amount is not None:
        caps.append(ratio_cap_value(measure, base_amount))
    return min(caps) if caps else None


def _money(value: Any, name: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[name] = [_("此字段为必填项。")]
        return None
    try:
        amount = Decimal(str(value).strip())
        if not amount.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors[name] = [_("金额必须是数字。")]
        return None
    if amount <= 0:
        errors[name] = [_("金额必须大于 0。")]
    elif amount != amount.quantize(CENT) or amount >= Decimal("1e12"):
        errors[name] = [_("金额最多两位小数，且不超过 999,999,999,999.99 元。")]
    else:
        return amount
    return None


def _award_clean(
    *, project: Project, beneficiary_id: Any, measure_code: Any, amount: Any, base_amount: Any, lock: bool
) -> tuple[Organisation, SupportMeasure, Decimal, Decimal | None, list[FundingAward]]:
    """Validate an award and return (beneficiary, measure, amount, base, active awards it supersedes).
    With ``lock`` the beneficiary row and its active awards in the group are locked (caller is in a
    transaction). Raises InvalidInput naming the field; the cap and 从优、就高、不重复 are named."""
    errors: dict[str, list[str]] = {}
    if project.status in CLOSED_PROJECT_STATES:
        errors["project_id"] = [_("项目已“%(state)s”，不能再登记资金支持。") % {"state": project.get_status_display()}]
    measure = SupportMeasure.objects.filter(code=str(measure_code or "").strip()).first()
    if measure is None:
        errors["measure_code"] = [_("未知的支持措施：%(code)s。") % {"code": measure_code}]
    # Lock the beneficiary first: every award for it serialises here, even when it has none yet.
    orgs = Organisation.objects.select_for_update() if lock else Organisation.objects.all()
    try:
        beneficiary = orgs.filter(pk=beneficiary_id).first()
    except (TypeError, ValueError):
        beneficiary = None
    if beneficiary is None:
        errors["beneficiary_id"] = [_("未知的受益单位。")]
    value = _money(amount, "amount", errors)
    base = None
    if measure is not None and measure.ratio_cap is not None:
        base = _money(base_amount, "base_amount", errors)
        if "base_amount" in errors:
            base_label = SupportMeasure.RatioBase(measure.ratio_base).label if measure.ratio_base else _("基数")
            errors["base_amount"] = [
                _("“%(measure)s”按比例支持，必须填写%(base)s（元）：%(detail)s")
                % {"measure": measure.name_zh, "base": base_label, "detail": errors["base_amount"][0]}
            ]
    elif base_amount not in (None, ""):
        base = _money(base_amount, "base_amount", errors)
    if errors:
        raise InvalidInput(fields=errors)
    assert measure is not None and value is not None and beneficiary is not None
    cap = measure_max_amount(measure, base if measure.ratio_cap is not None else None)
    if cap is not None and value > cap:
        raise InvalidInput(
            _("超出支持上限。%(cap)s") % {"cap": measure_cap_text(measure, base)},
            fields={
                "amount": [
                    _("%(amount)s元超出上限——%(cap)s。") % {"amount": _yuan(value), "cap": measure_cap_text(measure, base)}
                ]
            },
        )
    awards = FundingAward.objects.select_for_update() if lock else FundingAward.objects.all()
    active = list(
        awards.filter(
            beneficiary=beneficiary,
            measure__overlap_group=measure.overlap_group,
            status=FundingAward.AwardState.ACTIVE,
        )
        .select_related("measure", "project")
        .order_by("-amount", "pk")
    )
    best = active[0] if active else None
    if best is not None and value <= best.amount:
        raise InvalidInput(
            fields={
                "amount": [
                    _(
                        "从优、就高、不重复：%(org)s在同类支持中已有有效支持 %(existing)s元"
                        "（%(measure)s，项目 %(code)s），新登记金额 %(amount)s元不高于现有金额，不予重复支持。"
                    )
                    % {
                        "org": beneficiary.name,
                        "existing": _yuan(best.amount),
                        "measure": best.measure.name_zh,
                        "code": best.project.code,
                        "amount": _yuan(value),
                    }
                ]
            }
        )
    return beneficiary, measure, value, base, active


def _project_for_funding(actor: Any, project_id: Any) -> Project:
    try:
        project = Project.objects.get(pk=project_id)
    except (Project.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc
    if not actor.has_perm("projects.manage_funding", project):
        raise Forbidden(_("只有管理员可以登记资金支持。"))
    return project


def funding_award_check(
    *, actor: Any, project_id: Any, beneficiary_id: Any, measure_code: str, amount: Any, base_amount: Any = None
) -> None:
    """Everything ``funding_award_add`` would refuse, without saving or locking (admin form, API
    validation). ``funding_award_add`` checks again under the locks."""
    project = _project_for_funding(actor, project_id)
    _award_clean(
        project=project,
        beneficiary_id=beneficiary_id,
        measure_code=measure_code,
        amount=amount,
        base_amount=base_amount,
        lock=False,
    )


def funding_award_add(
    *,
    actor: Any,
    project_id: Any,
    beneficiary_id: Any,
    measure_code: str,
    amount: Any,
    base_amount: Any = None,
    note: str = "",
) -> FundingAward:
    """Record an award of ``measure_code`` to ``beneficiary_id`` on a project (programme admin only).

    Refuses (InvalidInput, field named, nothing saved): an unknown beneficiary or measure, a bad
    amount, a missing ``base_amount`` for a ratio measure, an amount over a cap (message names the
    cap), or an amount not higher than the beneficiary's active award in the same overlap group
    (从优、就高、不重复). A higher amount supersedes that award (status, ``superseded_by``, audit row).
    """
    with transaction.atomic():
        project = _project_for_funding(actor, project_id)
        beneficiary, measure, value, base, active = _award_clean(
            project=project,
            beneficiary_id=beneficiary_id,
            measure_code=measure_code,
            amount=amount,
            base_amount=base_amount,
            lock=True,
        )
        award = FundingAward.objects.create(
            project=project,
            beneficiary=beneficiary,
            measure=measure,
            amount=value,
            base_amount=base,
            note=(note or "").strip(),
            created_by=actor,
        )
        audit_record(
            obj=award,
            actor=actor,
            action="create",
            to_state=award.status,
            data={
                "measure": measure.code,
                "amount": str(value),
                "base_amount": str(base) if base is not None else None,
                "supersedes": [a.pk for a in active],
            },
        )
        if active:
            FundingAward.objects.filter(pk__in=[a.pk for a in active]).update(
                status=FundingAward.AwardState.SUPERSEDED, superseded_by=award
            )
            for old in active:
                audit_record(
                    obj=old,
                    actor=actor,
                    action="supersede",
                    from_state=FundingAward.AwardState.ACTIVE,
                    to_state=FundingAward.AwardState.SUPERSEDED,
                    reason=_("从优、就高、不重复：被更高额度的支持 #%(id)s（%(amount)s元）替代。")
                    % {"id": award.pk, "amount": _yuan(value)},
                    data={"superseded_by": award.pk},
                )
    return award
