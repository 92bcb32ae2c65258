"""培育方案: the cultivation plan is versioned. Version 1 is the baseline; each revision appends a
new version with the full text it had. A written version is never edited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from pmflow.audit import audit_record
from pmflow.errors import Forbidden, InvalidInput, NotFound
from projects.models import PlanVersion, Project
from projects.services.projects import FINAL_STATES


def _clean_budget_breakdown(value: Any) -> tuple[dict[str, str], list[str]]:
    """``{"item": amount}`` with non-negative decimal amounts (kept as strings in JSON)."""
    if value in (None, ""):
        return {}, []
    if not isinstance(value, dict):
        return {}, [_("预算安排必须是“科目: 金额”形式的字典。")]
    out: dict[str, str] = {}
    problems: list[str] = []
    for key, amount in value.items():
        label = str(key).strip()
        if not label:
            problems.append(_("预算科目名称不能为空。"))
            continue
        try:
            number = Decimal(str(amount))
            if not number.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems.append(_("预算科目“%(item)s”的金额必须是数字。") % {"item": label})
            continue
        if number < 0:
            problems.append(_("预算科目“%(item)s”的金额不能为负数。") % {"item": label})
            continue
        out[label] = str(number)
    return out, problems


def plan_version_add(
    *,
    actor: Any,
    project_id: Any,
    objectives: str,
    scope: str = "",
    deliverables: str = "",
    budget_breakdown: dict[str, Any] | None = None,
    change_note: str = "",
) -> PlanVersion:
    """Append a version of the project's cultivation plan. The first is the baseline; later ones are
    revisions and need a ``change_note``. The budget breakdown may not exceed the project budget.
    Locks the project row so two revisions never get the same number."""
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update().get(pk=project_id)
        except (Project.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        if not actor.has_perm("projects.edit_project", project):
            raise Forbidden(_("您无权修改项目“%(code)s”的培育方案。") % {"code": project.code})
        errors: dict[str, list[str]] = {}
        objectives = (objectives or "").strip()
        if not objectives:
            errors["objectives"] = [_("此字段为必填项。")]
        breakdown, problems = _clean_budget_breakdown(budget_breakdown)
        if problems:
            errors["budget_breakdown"] = problems
        elif breakdown and sum(Decimal(v) for v in breakdown.values()) > project.budget:
            errors["budget_breakdown"] = [_("预算安排合计超过项目预算（%(budget)s 元）。") % {"budget": project.budget}]
        last = project.plan_versions.aggregate(m=Max("version"))["m"] or 0
        if last and not (change_note or "").strip():
            errors["change_note"] = [_("修订培育方案必须填写修订说明。")]
        if project.status in FINAL_STATES:
            errors["project"] = [_("项目已结束，不能再修订培育方案。")]
        if errors:
            raise InvalidInput(fields=errors)
        version = PlanVersion.objects.create(
            project=project,
            version=last + 1,
            is_baseline=last == 0,
            objectives=objectives,
            scope=(scope or "").strip(),
            deliverables=(deliverables or "").strip(),
            budget_breakdown=breakdown,
            change_note=(change_note or "").strip(),
            created_by=actor,
        )
        audit_record(
            obj=project,
            actor=actor,
            action="plan_baseline" if version.is_baseline else "plan_revise",
            from_state=project.status,
            to_state=project.status,
            reason=version.change_note,
            data={"plan_version": version.version},
        )
    return version
