"""Funding awards against the policy's support measures (支持措施).

Caps come from ``SupportMeasure`` (reference data, editable in admin): ``amount_cap`` is 最高 (yuan),
``ratio_cap`` is 不超过 x% of ``base_amount`` (the contract amount or the related cost). A refused
award names the cap, e.g. "首台套/首批次/首版次：不超过合同金额的30%（6,000,000.00元）且最高20,000,000元".

An award has a decision date inside the policy window (``Policy``) and pays for an item
(``item_kind`` + ``item_ref``: a contract, a product, a person, an event, a platform); caps apply to
the item (首台套 per contract, 核心研发人员 per person). 一次性 measures are awarded once per
beneficiary and measure, ever.

从优、就高、不重复 compares the same item: a beneficiary has at most one ACTIVE award per named item
(whatever the measure), or per overlap group for awards to the beneficiary as a whole (no item
identifier). Support under other municipal policies (``OtherPolicySupport``) for the same item
counts too: the higher applies. A higher new award supersedes the active one (status
``superseded``, ``superseded_by``, ``retained_amount`` = what its project had been paid, audit row);
a lower or equal one is refused with the reason. Concurrent awards for one beneficiary serialise on
the beneficiary's organisation row (``select_for_update``), so two writers can never both end up active.

There is deliberately no payment function here: awards are paid only through milestone tranches
(``TrancheRelease``, released when a gate passes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmflow.audit import audit_record
from pmflow.errors import Forbidden, InvalidInput, NotFound
from pmflow.models import Organisation
from pmflow.parsing import id_parse
from projects.models import FundingAward, Policy, Project, ProjectState, SupportMeasure
from projects.models.funding import ItemKind, OtherPolicySupport

CENT = Decimal("0.01")
#: projects that can no longer receive awards
CLOSED_PROJECT_STATES = ProjectState.FINAL_STATES


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


def _date(value: Any, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    if value is None or value == "":
        return timezone.localdate()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = [_("日期格式应为 YYYY-MM-DD。")]
        return None


def policy_window() -> tuple[dt.date, dt.date] | None:
    """(effective_from, effective_to) of the policy (reference data, admin-editable), if loaded."""
    row = Policy.objects.order_by("pk").values_list("effective_from", "effective_to").first()
    return (row[0], row[1]) if row else None


def policy_window_error(day: dt.date) -> str | None:
    """Why ``day`` is outside the policy window, or None when it is inside (or no policy is loaded)."""
    window = policy_window()
    if window is None or window[0] <= day <= window[1]:
        return None
    return _("决定日期 %(day)s 不在政策有效期（%(start)s 至 %(end)s）内。") % {
        "day": day.isoformat(),
        "start": window[0].isoformat(),
        "end": window[1].isoformat(),
    }


def _item(measure: SupportMeasure | None, item_kind: Any, item_ref: Any, errors: dict[str, list[str]]) -> tuple[str, str]:
    kind = str(item_kind or "").strip()
    ref = str(item_ref or "").strip()
    if kind and kind not in ItemKind.values:
        errors["item_kind"] = [_("未知的支持对象类型：%(kind)s。") % {"kind": kind}]
    if len(ref) > 120:
        errors["item_ref"] = [_("支持对象标识最多 120 个字符。")]
    if not kind:
        kind = (measure.item_kind if measure is not None else "") or ItemKind.ORGANISATION
    return kind, ref


def _item_label(kind: str, ref: str) -> str:
    label = ItemKind(kind).label if kind in ItemKind.values else kind
    return f"{label} {ref}".strip() if ref else str(label)


@dataclass
class AwardPlan:
    """A validated award: what ``funding_award_add`` writes and what it supersedes."""

    beneficiary: Organisation
    measure: SupportMeasure
    amount: Decimal
    base: Decimal | None
    decision_date: dt.date
    item_kind: str
    item_ref: str
    supersedes: list[FundingAward] = field(default_factory=list)
    #: other-policy support for the same item, all lower than this award (compared, recorded)
    other_support: list[OtherPolicySupport] = field(default_factory=list)


def competing_awards(
    *, beneficiary_id: int, measure: SupportMeasure, item_kind: str, item_ref: str, lock: bool = False
) -> list[FundingAward]:
    """Active awards that 从优、就高、不重复 compares with a new award: for a named item (a contract, a
    person …) every active award of the beneficiary for that same item, whatever the measure; for an
    unnamed item (the beneficiary as a whole) the active unnamed awards in the measure's overlap group."""
    awards = FundingAward.objects.select_for_update() if lock else FundingAward.objects.all()
    awards = awards.filter(beneficiary_id=beneficiary_id, status=FundingAward.AwardState.ACTIVE)
    if item_ref:
        rows = awards.filter(item_ref=item_ref).select_related("measure", "project")
        return sorted(
            (a for a in rows if (a.item_kind or a.measure.item_kind or ItemKind.ORGANISATION) == item_kind),
            key=lambda a: (-a.amount, a.pk),
        )
    return list(
        awards.filter(measure__overlap_group=measure.overlap_group, item_ref="")
        .select_related("measure", "project")
        .order_by("-amount", "pk")
    )


def other_support_for_item(*, beneficiary_id: int, item_kind: str, item_ref: str) -> list[OtherPolicySupport]:
    """Support under other municipal policies for the same item of the same beneficiary, highest first."""
    return list(
        OtherPolicySupport.objects.filter(beneficiary_id=beneficiary_id, item_kind=item_kind, item_ref=item_ref).order_by(
            "-amount", "pk"
        )
    )


def _award_clean(
    *,
    project: Project,
    beneficiary_id: Any,
    measure_code: Any,
    amount: Any,
    base_amount: Any,
    lock: bool,
    decision_date: Any = None,
    item_kind: Any = "",
    item_ref: Any = "",
) -> AwardPlan:
    """Validate an award and return its plan (incl. the active awards it supersedes). With ``lock``
    the beneficiary row and its competing active awards are locked (caller is in a transaction).
    Raises InvalidInput naming the field; the cap, the window, 一次性 and 从优、就高、不重复 are named."""
    errors: dict[str, list[str]] = {}
    if project.status in CLOSED_PROJECT_STATES:
        errors["project_id"] = [_("项目已“%(state)s”，不能再登记资金支持。") % {"state": project.get_status_display()}]
    measure = SupportMeasure.objects.filter(code=str(measure_code or "").strip()).first()
    if measure is None:
        errors["measure_code"] = [_("未知的支持措施：%(code)s。") % {"code": measure_code}]
    # Lock the beneficiary first: every award for it serialises here, even when it has none yet.
    orgs = Organisation.objects.select_for_update() if lock else Organisation.objects.all()
    beneficiary_pk = id_parse(beneficiary_id)  # not int(): 7.5 or True would name another organisation
    beneficiary = orgs.filter(pk=beneficiary_pk).first() if beneficiary_pk is not None else None
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
    day = _date(decision_date, "decision_date", errors)
    if day is not None and (reason := policy_window_error(day)):
        errors["decision_date"] = [reason]
    kind, ref = _item(measure, item_kind, item_ref, errors)
    if errors:
        raise InvalidInput(fields=errors)
    assert measure is not None and value is not None and beneficiary is not None and day is not None
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
    if measure.one_off:
        earlier = FundingAward.objects.filter(beneficiary=beneficiary, measure=measure).select_related("project").first()
        if earlier is not None:
            raise InvalidInput(
                fields={
                    "measure_code": [
                        _("“%(measure)s”为一次性支持：%(org)s已于 %(day)s 获得（项目 %(code)s，%(amount)s元），不能再次获得。")
                        % {
                            "measure": measure.name_zh,
                            "org": beneficiary.name,
                            "day": earlier.decision_date.isoformat(),
                            "code": earlier.project.code,
                            "amount": _yuan(earlier.amount),
                        }
                    ]
                }
            )
    active = competing_awards(beneficiary_id=beneficiary.pk, measure=measure, item_kind=kind, item_ref=ref, lock=lock)
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
    others = other_support_for_item(beneficiary_id=beneficiary.pk, item_kind=kind, item_ref=ref)
    if others and others[0].amount >= value:
        top = others[0]
        raise InvalidInput(
            fields={
                "amount": [
                    _(
                        "从优、就高、不重复：%(org)s的%(item)s已获%(policy)s“%(other_measure)s”支持 %(existing)s元"
                        "（%(day)s），不低于新登记金额 %(amount)s元，不予重复支持。"
                    )
                    % {
                        "org": beneficiary.name,
                        "item": _item_label(kind, ref),
                        "policy": top.policy_name,
                        "other_measure": top.measure_name,
                        "existing": _yuan(top.amount),
                        "day": top.decision_date.isoformat(),
                        "amount": _yuan(value),
                    }
                ]
            }
        )
    return AwardPlan(
        beneficiary=beneficiary,
        measure=measure,
        amount=value,
        base=base,
        decision_date=day,
        item_kind=kind,
        item_ref=ref,
        supersedes=active,
        other_support=others,
    )


def _project_for_funding(actor: Any, project_id: Any) -> Project:
    try:
        project = Project.objects.get(pk=project_id)
    except (Project.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc
    if not actor.has_perm("projects.manage_funding", project):
        raise Forbidden(_("只有管理员可以登记资金支持。"))
    return project


def funding_award_check(
    *,
    actor: Any,
    project_id: Any,
    beneficiary_id: Any,
    measure_code: str,
    amount: Any,
    base_amount: Any = None,
    decision_date: Any = None,
    item_kind: Any = "",
    item_ref: Any = "",
) -> AwardPlan:
    """Everything ``funding_award_add`` would refuse, without saving or locking (admin form, API
    validation); returns the plan (what it would supersede, the other-policy support compared).
    ``funding_award_add`` checks again under the locks."""
    project = _project_for_funding(actor, project_id)
    return _award_clean(
        project=project,
        beneficiary_id=beneficiary_id,
        measure_code=measure_code,
        amount=amount,
        base_amount=base_amount,
        lock=False,
        decision_date=decision_date,
        item_kind=item_kind,
        item_ref=item_ref,
    )


def _awards_supersede(
    *, actor: Any, awards: list[FundingAward], by_award: FundingAward | None = None, by_other: OtherPolicySupport | None = None
) -> None:
    """Mark ``awards`` superseded (caller holds their locks). Each keeps, as ``retained_amount``, what
    had been paid under it, so its project's tranche ceiling is never lifted; the superseding award
    records the item's earlier payments as ``prior_paid`` and only tops them up (nothing paid twice)."""
    from projects.selectors.funding import project_released_total

    now = timezone.now()
    prior_paid = Decimal(0)
    for old in awards:
        # What was paid under ``old``: its project's releases, up to what ``old`` itself funded
        # (its amount less what earlier awards for the item had already paid).
        own = max(Decimal(0), old.amount - old.prior_paid)
        retained = min(own, project_released_total(project_id=old.project_id))
        prior_paid += old.prior_paid + retained
        FundingAward.objects.filter(pk=old.pk).update(
            status=FundingAward.AwardState.SUPERSEDED,
            superseded_by=by_award,
            superseded_by_other=by_other,
            superseded_at=now,
            retained_amount=retained,
        )
        if by_award is not None:
            reason = _("从优、就高、不重复：被更高额度的支持 #%(id)s（%(amount)s元）替代。") % {
                "id": by_award.pk,
                "amount": _yuan(by_award.amount),
            }
        else:
            assert by_other is not None
            reason = _("从优、就高、不重复：同一支持对象已获%(policy)s更高额度支持（%(amount)s元），本项支持被替代。") % {
                "policy": by_other.policy_name,
                "amount": _yuan(by_other.amount),
            }
        audit_record(
            obj=old,
            actor=actor,
            action="supersede",
            from_state=FundingAward.AwardState.ACTIVE,
            to_state=FundingAward.AwardState.SUPERSEDED,
            reason=reason,
            data={
                "superseded_by": by_award.pk if by_award is not None else None,
                "superseded_by_other": by_other.pk if by_other is not None else None,
                "retained_amount": str(retained),
            },
        )
    if by_award is not None and prior_paid:
        # 不重复: the superseding award only tops up what was already paid for the item.
        FundingAward.objects.filter(pk=by_award.pk).update(prior_paid=prior_paid)
        by_award.prior_paid = prior_paid


def funding_award_add(
    *,
    actor: Any,
    project_id: Any,
    beneficiary_id: Any,
    measure_code: str,
    amount: Any,
    base_amount: Any = None,
    note: str = "",
    decision_date: Any = None,
    item_kind: Any = "",
    item_ref: Any = "",
) -> FundingAward:
    """Record an award of ``measure_code`` to ``beneficiary_id`` on a project (programme admin only).

    ``decision_date`` (default today) must lie in the policy window. The item (``item_kind`` +
    ``item_ref``: a contract, a person …) is what caps and 从优、就高、不重复 apply to; without an
    identifier the award is for the beneficiary as a whole within the measure's overlap group.

    Refuses (InvalidInput, field named, nothing saved): an unknown beneficiary or measure, a bad
    amount, a missing ``base_amount`` for a ratio measure, an amount over a cap (message names the
    cap), a decision date outside the window, a second award of a 一次性 measure to one beneficiary,
    an amount not higher than an active award for the same item, or not higher than support the same
    item received under another municipal policy (从优、就高、不重复). A higher amount supersedes the
    active award(s) for the item (status, ``superseded_by``, retained amount, audit row).
    """
    with transaction.atomic():
        project = _project_for_funding(actor, project_id)
        plan = _award_clean(
            project=project,
            beneficiary_id=beneficiary_id,
            measure_code=measure_code,
            amount=amount,
            base_amount=base_amount,
            lock=True,
            decision_date=decision_date,
            item_kind=item_kind,
            item_ref=item_ref,
        )
        award = FundingAward.objects.create(
            project=project,
            beneficiary=plan.beneficiary,
            measure=plan.measure,
            amount=plan.amount,
            base_amount=plan.base,
            decision_date=plan.decision_date,
            item_kind=plan.item_kind,
            item_ref=plan.item_ref,
            note=(note or "").strip(),
            created_by=actor,
        )
        audit_record(
            obj=award,
            actor=actor,
            action="create",
            to_state=award.status,
            data={
                "measure": plan.measure.code,
                "amount": str(plan.amount),
                "base_amount": str(plan.base) if plan.base is not None else None,
                "decision_date": plan.decision_date.isoformat(),
                "item": [plan.item_kind, plan.item_ref],
                "supersedes": [a.pk for a in plan.supersedes],
                "other_support_compared": [[o.pk, o.policy_name, str(o.amount)] for o in plan.other_support],
            },
        )
        if plan.supersedes:
            _awards_supersede(actor=actor, awards=plan.supersedes, by_award=award)
    return award


OTHER_SUPPORT_FIELDS = ("beneficiary_id", "policy_name", "measure_name", "amount", "decision_date", "item_kind", "item_ref")


def other_support_add(
    *,
    actor: Any,
    beneficiary_id: Any,
    policy_name: str,
    measure_name: str,
    amount: Any,
    decision_date: Any,
    item_kind: str,
    item_ref: str = "",
    note: str = "",
) -> OtherPolicySupport:
    """Record support ``beneficiary_id`` received for an item under another municipal policy
    (programme admin only). 从优、就高、不重复: our active awards for the same item that are lower are
    superseded by it (they keep what was already paid); higher ones stand."""
    if not actor.has_perm("projects.manage_funding"):
        raise Forbidden(_("只有管理员可以登记其他政策支持。"))
    with transaction.atomic():
        errors: dict[str, list[str]] = {}
        try:
            beneficiary = Organisation.objects.select_for_update().filter(pk=beneficiary_id).first()
        except (TypeError, ValueError):
            beneficiary = None
        if beneficiary is None:
            errors["beneficiary_id"] = [_("未知的受益单位。")]
        for name, text in (("policy_name", policy_name), ("measure_name", measure_name)):
            if not str(text or "").strip():
                errors[name] = [_("此字段为必填项。")]
            elif len(str(text).strip()) > 200:
                errors[name] = [_("最多 200 个字符。")]
        value = _money(amount, "amount", errors)
        if decision_date in (None, ""):
            errors["decision_date"] = [_("此字段为必填项。")]
            day = None
        else:
            day = _date(decision_date, "decision_date", errors)
        if not str(item_kind or "").strip():
            errors["item_kind"] = [_("此字段为必填项。")]
        kind, ref = _item(None, item_kind, item_ref, errors)
        if errors:
            raise InvalidInput(fields=errors)
        assert beneficiary is not None and value is not None and day is not None
        support = OtherPolicySupport.objects.create(
            beneficiary=beneficiary,
            policy_name=str(policy_name).strip(),
            measure_name=str(measure_name).strip(),
            amount=value,
            decision_date=day,
            item_kind=kind,
            item_ref=ref,
            note=(note or "").strip(),
            created_by=actor,
        )
        ours = FundingAward.objects.select_for_update().filter(
            beneficiary=beneficiary, status=FundingAward.AwardState.ACTIVE, item_ref=ref
        )
        lower = [
            a
            for a in ours.select_related("measure")
            if (a.item_kind or a.measure.item_kind or ItemKind.ORGANISATION) == kind and a.amount <= value
        ]
        audit_record(
            obj=support,
            actor=actor,
            action="create",
            data={"policy": support.policy_name, "amount": str(value), "item": [kind, ref], "supersedes": [a.pk for a in lower]},
        )
        if lower:
            _awards_supersede(actor=actor, awards=lower, by_other=support)
    return support
