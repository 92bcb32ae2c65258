"""Writes on projects: create / update a draft, the lifecycle transitions, technology routes.

Every write runs in one ``transaction.atomic``; bad input raises ``InvalidInput`` naming every bad
field and saves nothing; transitions go through ``pmflow.transitions.transition_run`` (row lock,
rules permission, ``can_proceed``, save with ``update_fields``, audit row) and enqueue their
notifications in the same transaction (outbox), delivered on commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max
from django.db.models.functions import Cast, Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pmflow.audit import audit_record, audit_trail_for
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from pmflow.models import NotificationKind, Organisation, User
from pmflow.notifications import notification_enqueue, notifications_deliver_on_commit
from pmflow.parsing import date_parse
from pmflow.rules import is_programme_admin
from pmflow.transitions import transition_run
from projects.models import Field, PMTeam, PMTeamMembership, Policy, Project, ProjectState, SupportMode, TechnologyRoute

CODE_PREFIX = "FI"
CODE_ATTEMPTS = 5

#: the fields a caller may give to project_create / project_update
PROJECT_INPUT_FIELDS = (
    "title",
    "field",
    "pm_team",
    "performer",
    "lead",
    "budget",
    "support_mode",
    "planned_start",
    "planned_end",
    "window_extended_to",
    "sandbox_supervision",
)
PROJECT_REQUIRED_FIELDS = (
    "title",
    "field",
    "pm_team",
    "performer",
    "lead",
    "budget",
    "support_mode",
    "planned_start",
    "planned_end",
)
#: states after which nothing about a project is edited any more
FINAL_STATES = ProjectState.FINAL_STATES


# --- input cleaning -------------------------------------------------------------------------------
def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _resolve(model: type[models.Model], value: Any, *, lookups: tuple[str, ...]) -> models.Model | None:
    """An instance of ``model`` from an instance, a pk or one of ``lookups`` (e.g. a code)."""
    if isinstance(value, model):
        return value
    qs = model._default_manager.all()
    for lookup in lookups:
        try:
            obj = qs.filter(**{lookup: value}).first()
        except (ValueError, TypeError):
            continue
        if obj is not None:
            return obj
    return None


def project_input_clean(data: dict[str, Any], *, current: Project | None = None) -> dict[str, Any]:
    """Validate ``data`` (all of it for a create, a partial dict for an update of ``current``).
    Reads only; the admin form uses it too so it refuses exactly what the services refuse.

    Returns the cleaned values of the given keys; raises InvalidInput listing every bad field.
    """
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not isinstance(data, dict):
        raise InvalidInput(_("输入必须是字段字典。"), fields={"data": [_("输入必须是字段字典。")]})
    for key in data:
        if key not in PROJECT_INPUT_FIELDS:
            err(key, _("未知字段。"))
    if current is None:
        for key in PROJECT_REQUIRED_FIELDS:
            if _blank(data.get(key)):
                err(key, _("此字段为必填项。"))
    else:
        for key in PROJECT_REQUIRED_FIELDS:
            if key in data and _blank(data[key]):
                err(key, _("此字段不能为空。"))

    cleaned: dict[str, Any] = {}
    present = {k: v for k, v in data.items() if k in PROJECT_INPUT_FIELDS and k not in errors}

    if "title" in present:
        title = str(present["title"]).strip()
        if len(title) > Project._meta.get_field("title").max_length:
            err("title", _("项目名称不能超过 200 个字符。"))
        cleaned["title"] = title
    if "field" in present:
        field = (
            present["field"]
            if isinstance(present["field"], Field)
            else Field.objects.filter(code=str(present["field"]).strip()).first()
        )
        if field is None:
            err("field", _("未知的领域代码：%(code)s。") % {"code": present["field"]})
        else:
            cleaned["field"] = field
    if "pm_team" in present:
        team = _resolve(PMTeam, present["pm_team"], lookups=("pk", "code"))
        if team is None:
            err("pm_team", _("未知的项目经理团队：%(team)s。") % {"team": present["pm_team"]})
        else:
            cleaned["pm_team"] = team
    if "performer" in present:
        org = _resolve(Organisation, present["performer"], lookups=("pk", "name"))
        if org is None:
            err("performer", _("未知的承担单位：%(org)s。") % {"org": present["performer"]})
        else:
            cleaned["performer"] = org
    if "lead" in present:
        lead = _resolve(User, present["lead"], lookups=("pk", "username"))
        if lead is None or not lead.is_active:
            err("lead", _("未知或已停用的项目负责人：%(user)s。") % {"user": present["lead"]})
        else:
            cleaned["lead"] = lead
    if "budget" in present:
        try:
            budget = Decimal(str(present["budget"]).strip())
            if not budget.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            err("budget", _("预算必须是数字。"))
        else:
            if budget <= 0:
                err("budget", _("预算必须大于 0。"))
            elif budget != budget.quantize(Decimal("0.01")) or budget >= Decimal("1e12"):
                err("budget", _("预算最多两位小数，且不超过 999,999,999,999.99 元。"))
            else:
                cleaned["budget"] = budget
    if "support_mode" in present:
        if present["support_mode"] not in SupportMode.values:
            err(
                "support_mode",
                _("支持方式必须是以下之一：%(choices)s。")
                % {"choices": "、".join(f"{v}（{label}）" for v, label in SupportMode.choices)},
            )
        else:
            cleaned["support_mode"] = present["support_mode"]
    for key in ("planned_start", "planned_end"):
        if key in present:
            try:
                cleaned[key] = date_parse(present[key])
            except ValueError as exc:
                err(key, str(exc))
    if "window_extended_to" in data and "window_extended_to" not in errors:
        if _blank(data["window_extended_to"]):
            cleaned["window_extended_to"] = None
        else:
            try:
                cleaned["window_extended_to"] = date_parse(data["window_extended_to"])
            except ValueError as exc:
                err("window_extended_to", str(exc))
    if "sandbox_supervision" in present:
        if not isinstance(present["sandbox_supervision"], bool):
            err("sandbox_supervision", _("必须是布尔值。"))
        else:
            cleaned["sandbox_supervision"] = present["sandbox_supervision"]

    # Cross-field checks on the merged result (given values over the current row's).
    def merged(key: str) -> Any:
        if key in cleaned:
            return cleaned[key]
        if key in data or current is None:
            return None  # given but invalid, or missing on create: already reported
        return getattr(current, key)

    start, end, extended = merged("planned_start"), merged("planned_end"), merged("window_extended_to")
    if start and end and end <= start:
        err("planned_end", _("计划结束日期必须晚于计划开始日期。"))
    policy = Policy.objects.order_by("effective_from").first()
    if policy is not None:
        if start and start < policy.effective_from:
            err(
                "planned_start",
                _("计划开始日期早于政策实施日期（%(date)s）。") % {"date": policy.effective_from.isoformat()},
            )
        if start and start > policy.effective_to:
            err(
                "planned_start",
                _("政策有效期已于 %(date)s 结束，项目不能在此之后开始。") % {"date": policy.effective_to.isoformat()},
            )
        if extended is not None and extended <= policy.effective_to:
            err(
                "window_extended_to",
                _("延展日期必须晚于政策有效期（%(date)s）。") % {"date": policy.effective_to.isoformat()},
            )
        elif end and end > policy.effective_to:
            if extended is None:
                err(
                    "planned_end",
                    _("计划结束日期超出政策有效期（%(date)s），需经批准填写延展日期。")
                    % {"date": policy.effective_to.isoformat()},
                )
            elif end > extended:
                err(
                    "window_extended_to",
                    _("延展日期（%(ext)s）未覆盖计划结束日期（%(end)s）。")
                    % {"ext": extended.isoformat(), "end": end.isoformat()},
                )
    team, field = merged("pm_team"), merged("field")
    if team is not None and field is not None and ("pm_team" in cleaned or "field" in cleaned):
        covered = list(team.fields.values_list("pk", flat=True))
        if covered and field.pk not in covered:
            err("field", _("项目经理团队“%(team)s”不覆盖领域“%(field)s”。") % {"team": team, "field": field})
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


def _require_team_member(actor: Any, team: PMTeam, message: str) -> None:
    if is_programme_admin(actor):
        return
    if not PMTeamMembership.objects.filter(team=team, user_id=actor.pk).exists():
        raise Forbidden(message)


# --- code generation ------------------------------------------------------------------------------
def _next_code(year: int) -> str:
    prefix = f"{CODE_PREFIX}-{year}-"
    top = (
        Project.objects.filter(code__regex=rf"^{re.escape(prefix)}[0-9]+$")
        .annotate(n=Cast(Substr("code", len(prefix) + 1), models.IntegerField()))
        .aggregate(m=Max("n"))["m"]
    )
    return f"{prefix}{(top or 0) + 1:04d}"


def _code_lock(year: int) -> None:
    """Serialize code allocation per year on PostgreSQL (released at commit); elsewhere the
    IntegrityError retry in ``project_create`` is the guard."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x504D46, year])


# --- create / update ------------------------------------------------------------------------------
def project_create(*, actor: Any, data: dict[str, Any]) -> Project:
    """Create a draft project with a new unique code ``FI-<year>-<NNNN>``.

    The actor must be a member of the chosen PM team (or a programme admin). Writes the audit row in
    the same transaction. Raises InvalidInput (every bad field named; nothing saved) or Forbidden.
    """
    team = _resolve(PMTeam, data.get("pm_team"), lookups=("pk", "code")) if isinstance(data, dict) else None
    if team is not None:
        _require_team_member(actor, team, _("只有该项目经理团队的成员可以为其创建项目。"))
    elif not getattr(actor, "is_authenticated", False):
        raise Forbidden()
    cleaned = project_input_clean(data)
    cleaned.update(_window_extension_approval(actor, cleaned.get("window_extended_to")))
    year = timezone.localdate().year
    field: Field = cleaned["field"]
    template = field.tier.milestone_templates.filter(is_current=True).first()
    for attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                _code_lock(year)
                project = Project.objects.create(
                    code=_next_code(year),
                    created_by=actor,
                    milestone_template=template,
                    **cleaned,
                )
                audit_record(
                    obj=project,
                    actor=actor,
                    action="create",
                    to_state=project.status,
                    data={"code": project.code},
                )
                return project
        except IntegrityError:
            # Lost a race for the code (only possible without the advisory lock): take the next one.
            if attempt == CODE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, (dt.date, Decimal)):
        return str(value)
    return value


def project_update(*, actor: Any, project_id: Any, data: dict[str, Any]) -> Project:
    """Change fields of a draft project. Only PM-team members of the project's team (or admins),
    only while the project is a draft; a move to another PM team needs membership there too."""
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update().get(pk=project_id)
        except (Project.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        if not actor.has_perm("projects.edit_project", project):
            raise Forbidden(_("您无权修改项目“%(code)s”。") % {"code": project.code})
        if project.status != ProjectState.DRAFT:
            raise InvalidInput(
                _("只有草稿状态的项目可以直接修改；已提交的项目请通过变更申请调整。"),
                fields={"status": [_("项目不是草稿状态。")]},
            )
        cleaned = project_input_clean(data, current=project)
        if "pm_team" in cleaned and cleaned["pm_team"].pk != project.pm_team_id:
            _require_team_member(actor, cleaned["pm_team"], _("您不是目标项目经理团队的成员。"))
        changed = {k: v for k, v in cleaned.items() if getattr(project, k) != v}
        if "window_extended_to" in changed:
            changed.update(_window_extension_approval(actor, changed["window_extended_to"]))
        if not changed:
            return project
        before = {k: _jsonable(getattr(project, k)) for k in changed}
        if "field" in changed:
            template = changed["field"].tier.milestone_templates.filter(is_current=True).first()
            changed["milestone_template"] = template
        for k, v in changed.items():
            setattr(project, k, v)
        project.save(update_fields=[*changed, "updated_at"])
        audit_record(
            obj=project,
            actor=actor,
            action="update",
            from_state=project.status,
            to_state=project.status,
            data={"before": before, "after": {k: _jsonable(v) for k, v in changed.items() if k in before}},
        )
    return project


# --- the policy window -----------------------------------------------------------------------------
def _window_extension_approval(actor: Any, extended_to: Any) -> dict[str, Any]:
    """Who approved an extension past the policy window: a programme admin typing it approves it (and
    is recorded); anyone else only requests it, and any change clears an earlier approval."""
    if extended_to is not None and is_programme_admin(actor):
        return {"window_extension_approved_by": actor, "window_extension_approved_at": timezone.now()}
    return {"window_extension_approved_by": None, "window_extension_approved_at": None}


def project_window_refusal(project: Project, *, starting: bool = False) -> str | None:
    """Why ``project`` may not go ahead under the policy window, or None: its end lies past the
    window without an extension a programme admin approved; or (``starting``) the window has closed."""
    policy = Policy.objects.order_by("effective_from").first()
    if policy is None:
        return None
    if starting and timezone.localdate() > policy.effective_to:
        return _("政策有效期已于 %(date)s 结束，项目不能再启动。") % {"date": policy.effective_to.isoformat()}
    if project.planned_end > policy.effective_to and (
        project.window_extended_to is None or project.window_extension_approved_at is None
    ):
        return _("计划结束日期（%(end)s）超出政策有效期（%(date)s），延展须经管理员批准后方可继续。") % {
            "end": project.planned_end.isoformat(),
            "date": policy.effective_to.isoformat(),
        }
    return None


def project_window_extension_approve(*, actor: Any, project_id: Any) -> Project:
    """A programme admin approves a project's requested extension past the policy window (recorded
    with who and when, audit row)."""
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update().get(pk=project_id)
        except (Project.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        if not is_programme_admin(actor):
            raise Forbidden(_("政策期延展只能由管理员批准。"))
        if project.window_extended_to is None:
            raise InvalidInput(fields={"window_extended_to": [_("该项目没有申请延展。")]})
        project.window_extension_approved_by = actor
        project.window_extension_approved_at = timezone.now()
        project.save(update_fields=["window_extension_approved_by", "window_extension_approved_at", "updated_at"])
        audit_record(
            obj=project,
            actor=actor,
            action="window_extension_approve",
            from_state=project.status,
            to_state=project.status,
            data={"window_extended_to": project.window_extended_to.isoformat()},
        )
    return project


# --- transitions ----------------------------------------------------------------------------------
def _project_url(project: Project) -> str:
    for name in ("projects:project_detail", "projects:detail"):
        try:
            return reverse(name, args=[project.pk])
        except NoReverseMatch:
            continue
    return ""


def _notify_state_changed(project: Project, from_state: str, name: str, actor: Any) -> None:
    """Outbox rows for the PM-team lead and the project lead (not the actor). The notification's
    object is the audit row of this change, so each change has its own unique key."""
    entry = audit_trail_for(project).first()
    recipients = [u for u in (project.pm_team.lead, project.lead) if u is not None and u.pk != getattr(actor, "pk", None)]
    if entry is None or not recipients:
        return
    subject = _("项目“%(code)s”状态变更：%(from)s → %(to)s") % {
        "code": project.code,
        "from": ProjectState(from_state).label,
        "to": project.get_status_display(),
    }
    body = _("%(actor)s 执行了“%(name)s”。%(reason)s") % {
        "actor": actor,
        "name": Project.TRANSITION_LABELS.get(name, name),
        "reason": (_("理由：%(reason)s") % {"reason": entry.reason}) if entry.reason else "",
    }
    notification_enqueue(
        recipients=recipients,
        kind=NotificationKind.STATE_CHANGED,
        obj=entry,
        subject=subject,
        body=body,
        url=_project_url(project),
    )
    notifications_deliver_on_commit()


def project_transition(
    *,
    actor: Any,
    project_id: Any,
    name: str,
    reason: str = "",
    effects: Callable[[Project, str], None] | None = None,
) -> Project:
    """Run lifecycle transition ``name`` (a key of ``Project.TRANSITION_PERMISSIONS``) on a project.

    Locks the row, checks the rules permission, refuses a transition the state does not allow with
    Conflict (row untouched), saves, writes one audit row, runs ``effects(project, from_state)`` and
    enqueues the STATE_CHANGED notifications, all in one transaction. A reason is required for
    ``Project.REASON_REQUIRED``. Raises InvalidInput / Forbidden / NotFound / Conflict.
    """
    if name not in Project.TRANSITION_PERMISSIONS:
        raise InvalidInput(_("未知的项目状态转换：%(name)s") % {"name": name}, fields={"transition": [_("未知的状态转换。")]})
    # Someone who cannot even see the project is refused without learning its code or title
    # (interfaces that must answer 404 for unseen objects look it up with project_get_visible first).
    try:
        seen = Project.objects.filter(pk=project_id).first()
    except (ValueError, TypeError) as exc:
        raise NotFound() from exc
    if seen is None:
        raise NotFound()
    if not actor.has_perm("projects.view_project", seen):
        raise Forbidden(_("您无权对该项目执行“%(name)s”。") % {"name": Project.TRANSITION_LABELS[name]})
    extra = ["updated_at"]
    if name == "send_to_non_consensus":
        extra.append("non_consensus_track")

    def _effects(project: Project, from_state: str) -> None:
        # Checked under the row lock; raising rolls the transition back.
        if name in ("submit", "activate") and (refusal := project_window_refusal(project, starting=name == "activate")):
            raise Conflict(refusal)
        if effects is not None:
            effects(project, from_state)
        _notify_state_changed(project, from_state, name, actor)

    return transition_run(
        model=Project,
        pk=project_id,
        name=name,
        actor=actor,
        reason=reason,
        reason_required=name in Project.REASON_REQUIRED,
        extra_update_fields=extra,
        effects=_effects,
    )


def project_transition_direct(*, actor: Any, project_id: Any, name: str, reason: str = "") -> Project:
    """``project_transition`` for the interfaces a person drives (web buttons, admin buttons, API
    transitions endpoint): refuses the transitions that only a gate decision, a non-consensus
    approval or a milestone submission may cause (``Project.EFFECT_ONLY_TRANSITIONS``)."""
    if name in Project.EFFECT_ONLY_TRANSITIONS:
        label = Project.TRANSITION_LABELS.get(name, name)
        raise Conflict(_("“%(name)s”只能通过关口评审决定或里程碑提交完成，不能直接执行。") % {"name": label})
    return project_transition(actor=actor, project_id=project_id, name=name, reason=reason)


def project_submit(*, actor: Any, project_id: Any, reason: str = "") -> Project:
    return project_transition(actor=actor, project_id=project_id, name="submit", reason=reason)


def project_activate(*, actor: Any, project_id: Any, reason: str = "") -> Project:
    return project_transition(actor=actor, project_id=project_id, name="activate", reason=reason)


# --- technology routes ----------------------------------------------------------------------------
def route_add(*, actor: Any, project_id: Any, name: str, family: str = "", description: str = "") -> TechnologyRoute:
    """Add a technology route (exploring) to a project. Selecting and dropping routes is done by
    route convergence through an approved change request, not here."""
    with transaction.atomic():
        try:
            project = Project.objects.select_for_update().get(pk=project_id)
        except (Project.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        if not actor.has_perm("projects.edit_project", project):
            raise Forbidden(_("您无权为项目“%(code)s”添加技术路线。") % {"code": project.code})
        errors: dict[str, list[str]] = {}
        name = (name or "").strip()
        family = (family or "").strip()
        if not name:
            errors["name"] = [_("此字段为必填项。")]
        elif len(name) > 200:
            errors["name"] = [_("路线名称不能超过 200 个字符。")]
        elif project.routes.filter(name=name).exists():
            errors["name"] = [_("该项目已有同名技术路线。")]
        if len(family) > 100:
            errors["family"] = [_("路线族不能超过 100 个字符。")]
        if project.status in FINAL_STATES:
            errors["project"] = [_("项目已结束，不能再添加技术路线。")]
        if errors:
            raise InvalidInput(fields=errors)
        route = TechnologyRoute.objects.create(project=project, name=name, family=family, description=description or "")
        audit_record(obj=route, actor=actor, action="create", to_state=route.status, data={"project": project.code})
    return route
