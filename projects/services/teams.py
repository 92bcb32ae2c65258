"""项目经理团队: creating PM teams and adding members. Programme admins only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pmflow.audit import audit_record
from pmflow.errors import Forbidden, InvalidInput, NotFound
from pmflow.models import User
from pmflow.rules import is_programme_admin
from projects.models import Field, PMTeam, PMTeamMembership


def _require_admin(actor: Any) -> None:
    if not is_programme_admin(actor):
        raise Forbidden(_("只有市科委管理员可以管理项目经理团队。"))


def _user(value: Any) -> User | None:
    if isinstance(value, User):
        return value
    try:
        return User.objects.filter(pk=value).first()
    except (ValueError, TypeError):
        return User.objects.filter(username=value).first()


def pm_team_create(
    *,
    actor: Any,
    code: str,
    name: str,
    lead: Any,
    term_start: dt.date,
    term_end: dt.date,
    fields: Iterable[Any] = (),
    non_consensus_quota: int = 2,
) -> PMTeam:
    """Create a PM team with its lead as a member (role lead). ``fields`` are Field codes or instances."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        errors["code"] = [_("此字段为必填项。")]
    elif slugify(code) != code or len(code) > 40:
        errors["code"] = [_("代码只能包含小写字母、数字、连字符和下划线，且不超过 40 个字符。")]
    elif PMTeam.objects.filter(code=code).exists():
        errors["code"] = [_("该代码已被使用。")]
    if not name:
        errors["name"] = [_("此字段为必填项。")]
    elif len(name) > 200:
        errors["name"] = [_("名称不能超过 200 个字符。")]
    elif PMTeam.objects.filter(name=name).exists():
        errors["name"] = [_("该名称已被使用。")]
    lead_user = _user(lead) if lead not in (None, "") else None
    if lead_user is None or not lead_user.is_active:
        errors["lead"] = [_("未知或已停用的用户：%(user)s。") % {"user": lead}]
    if not isinstance(term_start, dt.date):
        errors["term_start"] = [_("日期格式无效。")]
    if not isinstance(term_end, dt.date):
        errors["term_end"] = [_("日期格式无效。")]
    elif isinstance(term_start, dt.date) and term_end <= term_start:
        errors["term_end"] = [_("任期结束必须晚于任期开始。")]
    if not isinstance(non_consensus_quota, int) or isinstance(non_consensus_quota, bool) or not 0 <= non_consensus_quota <= 100:
        errors["non_consensus_quota"] = [_("每年非共识项目额度必须是 0 到 100 的整数。")]
    field_objs: list[Field] = []
    unknown: list[str] = []
    for f in fields or ():
        obj = f if isinstance(f, Field) else Field.objects.filter(code=str(f)).first()
        if obj is None:
            unknown.append(str(f))
        else:
            field_objs.append(obj)
    if unknown:
        errors["fields"] = [_("未知的领域代码：%(codes)s。") % {"codes": "、".join(unknown)}]
    if errors:
        raise InvalidInput(fields=errors)
    with transaction.atomic():
        team = PMTeam.objects.create(
            code=code,
            name=name,
            lead=lead_user,
            term_start=term_start,
            term_end=term_end,
            non_consensus_quota=non_consensus_quota,
        )
        PMTeamMembership.objects.create(team=team, user=lead_user, role=PMTeamMembership.Role.LEAD)
        if field_objs:
            team.fields.set(field_objs)
        audit_record(
            obj=team,
            actor=actor,
            action="create",
            data={"code": code, "lead": lead_user.pk, "fields": [f.code for f in field_objs]},
        )
    return team


def _team_locked(team_id: Any) -> PMTeam:
    """The PM team, locked for this transaction; NotFound for an unknown or malformed id."""
    try:
        return PMTeam.objects.select_for_update().get(pk=team_id)
    except (PMTeam.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def pm_team_member_add(*, actor: Any, team_id: Any, user: Any, role: str = PMTeamMembership.Role.MEMBER) -> PMTeamMembership:
    """Add ``user`` to a PM team with ``role`` (lead / member)."""
    _require_admin(actor)
    with transaction.atomic():
        team = _team_locked(team_id)
        errors: dict[str, list[str]] = {}
        person = _user(user) if user not in (None, "") else None
        if person is None or not person.is_active:
            errors["user"] = [_("未知或已停用的用户：%(user)s。") % {"user": user}]
        elif team.memberships.filter(user=person).exists():
            errors["user"] = [_("该用户已是团队成员。")]
        if role not in PMTeamMembership.Role.values:
            errors["role"] = [_("角色必须是 lead（项目经理）或 member（团队成员）。")]
        if errors:
            raise InvalidInput(fields=errors)
        membership = PMTeamMembership.objects.create(team=team, user=person, role=role)
        audit_record(obj=team, actor=actor, action="member_add", data={"user": person.pk, "role": role})
    return membership


def pm_team_lead_membership_ensure(*, actor: Any, team_id: Any) -> PMTeamMembership:
    """Make sure the team's lead is a member with role lead (used after an admin edits a team, so a
    new or changed lead can act for the team at once). Idempotent."""
    _require_admin(actor)
    with transaction.atomic():
        team = _team_locked(team_id)
        membership, created = PMTeamMembership.objects.get_or_create(
            team=team, user_id=team.lead_id, defaults={"role": PMTeamMembership.Role.LEAD}
        )
        if not created and membership.role != PMTeamMembership.Role.LEAD:
            membership.role = PMTeamMembership.Role.LEAD
            membership.save(update_fields=["role"])
            created = True
        if created:
            audit_record(obj=team, actor=actor, action="member_add", data={"user": team.lead_id, "role": "lead"})
    return membership
