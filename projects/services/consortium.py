"""联合攻关: a project performed by several organisations, each with its role and its share of the
budget and of every tranche (``ProjectParticipant``). Shares add up to exactly 1; the lead is the
project's ``performer``. A tranche is split by share, rounded down to the fen, the remainder to the
lead, so the parts always add up to the tranche."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pmflow.audit import audit_record
from pmflow.errors import Forbidden, InvalidInput, NotFound
from pmflow.models import Organisation
from pmflow.rules import is_programme_admin
from projects.models import Project, ProjectState
from projects.models.projects import ProjectParticipant


def project_participants_set(*, actor: Any, project_id: Any, participants: list[dict[str, Any]]) -> list[ProjectParticipant]:
    """Replace the project's performing organisations: ``[{organisation_id, role, share, responsibility}]``.
    PM-team members on a draft, programme admins at any time. Refuses (InvalidInput on ``participants``,
    nothing saved): unknown or repeated organisations, a share outside (0, 1], shares not adding up
    to 1, not exactly one lead, a lead other than the project's performer."""
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update().get(pk=project_id)
        except (Project.DoesNotExist, TypeError, ValueError) as exc:
            raise NotFound() from exc
        if not is_programme_admin(actor):
            if not actor.has_perm("projects.edit_project", project):
                raise Forbidden(_("您无权修改项目“%(code)s”。") % {"code": project.code})
            if project.status != ProjectState.DRAFT:
                raise Forbidden(_("立项后调整承担单位须通过变更申请或由管理员办理。"))
        errors: list[str] = []
        rows: list[ProjectParticipant] = []
        if not isinstance(participants, list) or not participants:
            raise InvalidInput(fields={"participants": [_("至少需要一个承担单位。")]})
        ids = [p.get("organisation_id") if isinstance(p, dict) else None for p in participants]
        try:
            orgs = Organisation.objects.in_bulk([i for i in ids if i is not None])
        except (TypeError, ValueError):
            orgs = {}
        seen: set[int] = set()
        total = Decimal(0)
        for n, item in enumerate(participants, start=1):
            if not isinstance(item, dict):
                errors.append(_("第 %(n)d 项格式不正确。") % {"n": n})
                continue
            org = orgs.get(item.get("organisation_id"))
            if org is None:
                errors.append(_("第 %(n)d 项：未知的单位。") % {"n": n})
                continue
            if org.pk in seen:
                errors.append(_("第 %(n)d 项：单位“%(org)s”重复。") % {"n": n, "org": org})
                continue
            seen.add(org.pk)
            role = item.get("role") or ProjectParticipant.Role.MEMBER
            if role not in ProjectParticipant.Role.values:
                errors.append(_("第 %(n)d 项：角色应为 lead 或 member。") % {"n": n})
                continue
            try:
                share = Decimal(str(item.get("share")).strip())
                if not share.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors.append(_("第 %(n)d 项：份额必须是数字。") % {"n": n})
                continue
            if not (0 < share <= 1) or share != share.quantize(Decimal("0.0001")):
                errors.append(_("第 %(n)d 项：份额须在 0 到 1 之间，最多四位小数。") % {"n": n})
                continue
            total += share
            rows.append(
                ProjectParticipant(
                    project=project,
                    organisation=org,
                    role=role,
                    share=share,
                    responsibility=str(item.get("responsibility") or "").strip()[:200],
                )
            )
        if not errors:
            leads = [r for r in rows if r.role == ProjectParticipant.Role.LEAD]
            if total != 1:
                errors.append(_("各单位份额之和为 %(total)s，应为 1。") % {"total": f"{total.normalize():f}"})
            if len(leads) != 1:
                errors.append(_("须有且仅有一个牵头单位。"))
            elif leads[0].organisation_id != project.performer_id:
                errors.append(_("牵头单位须为项目承担单位“%(org)s”。") % {"org": project.performer})
        if errors:
            raise InvalidInput(fields={"participants": errors})
        before = list(project.participants.values_list("organisation_id", "role", "share"))
        project.participants.all().delete()
        ProjectParticipant.objects.bulk_create(rows)
        audit_record(
            obj=project,
            actor=actor,
            action="participants_set",
            from_state=project.status,
            to_state=project.status,
            data={
                "before": [[o, r, str(s)] for o, r, s in before],
                "after": [[r.organisation_id, r.role, str(r.share)] for r in rows],
            },
        )
    return list(project.participants.select_related("organisation"))
