"""One generic driver for FSM transitions, used by every ``<entity>_<verb>`` service.

Inside one ``transaction.atomic`` it locks the row (``select_for_update``), checks visibility and
permission (rules), checks ``can_proceed``, calls the pure transition method, saves with
``update_fields``, writes the audit row and lets the caller add its own effects in the same
transaction. Concurrent callers queue on the row lock; once the winner commits the others see the
new state and get a ``Conflict`` — never a silent overwrite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from pmflow.audit import audit_record
from pmflow.errors import Conflict, Forbidden, InvalidInput, NotFound

M = TypeVar("M", bound=models.Model)


def state_field_name(model: type[models.Model]) -> str:
    return getattr(model, "STATE_FIELD", "status")


def transition_permission(model: type[models.Model], name: str) -> str:
    """The rules permission that guards transition ``name`` of ``model`` (``TRANSITION_PERMISSIONS``)."""
    try:
        return model.TRANSITION_PERMISSIONS[name]  # type: ignore[attr-defined]
    except (AttributeError, KeyError) as exc:
        raise InvalidInput(
            _("未知的状态转换：%(name)s") % {"name": name}, fields={"transition": [_("未知的状态转换。")]}
        ) from exc


def transitions_available(obj: models.Model, user: Any) -> list[str]:
    """Names of the transitions ``user`` may take on ``obj`` now (state allows it and rules allow it).
    Transitions the model declares in ``EFFECT_ONLY_TRANSITIONS`` are never offered: they happen only
    as the effect of another action (e.g. a gate decision)."""
    field = state_field_name(type(obj))
    getter = getattr(obj, f"get_available_{field}_transitions")
    effect_only = getattr(type(obj), "EFFECT_ONLY_TRANSITIONS", frozenset())
    names = []
    for t in getter():
        if t.name in effect_only:
            continue
        perm = getattr(type(obj), "TRANSITION_PERMISSIONS", {}).get(t.name)
        if perm and user.has_perm(perm, obj):
            names.append(t.name)
    return names


def transition_run(
    *,
    model: type[M],
    pk: Any,
    name: str,
    actor: Any,
    reason: str = "",
    reason_required: bool = False,
    view_permission: str | None = None,
    kwargs: dict[str, Any] | None = None,
    extra_update_fields: Iterable[str] = (),
    effects: Callable[[M, str], None] | None = None,
    audit_data: dict[str, Any] | None = None,
) -> M:
    """Run transition ``name`` on row ``pk`` of ``model`` for ``actor``.

    ``effects(obj, from_state)`` runs after the save and the audit row, in the same transaction: it
    is where the calling service creates related rows, releases funds or enqueues notifications.
    Raises NotFound (404), Forbidden (403), InvalidInput (400) or Conflict (409).
    """
    perm = transition_permission(model, name)
    field = state_field_name(model)
    reason = (reason or "").strip()
    with transaction.atomic():
        try:
            obj = model._default_manager.select_for_update().get(pk=pk)
        except (model.DoesNotExist, ValueError, TypeError) as exc:
            raise NotFound() from exc
        if view_permission and not actor.has_perm(view_permission, obj):
            raise NotFound()
        if not actor.has_perm(perm, obj):
            raise Forbidden(
                _("您无权对“%(obj)s”执行“%(name)s”。") % {"obj": obj, "name": _label(model, name)},
            )
        method = getattr(obj, name)
        from_state = getattr(obj, field)
        if not can_proceed(method):
            raise Conflict(
                _("“%(obj)s”当前状态为“%(state)s”，不能执行“%(name)s”。")
                % {"obj": obj, "state": _state_label(obj, field), "name": _label(model, name)},
                extra={"state": from_state},
            )
        if reason_required and not reason:
            raise InvalidInput(fields={"reason": [_("此操作必须填写理由。")]})
        try:
            method(**(kwargs or {}))
            obj.save(update_fields=[field, *extra_update_fields])
        except (TransitionNotAllowed, ConcurrentTransition) as exc:
            raise Conflict(_("“%(obj)s”已被其他操作修改，请刷新后重试。") % {"obj": obj}) from exc
        audit_record(
            obj=obj,
            actor=actor,
            action=name,
            from_state=from_state,
            to_state=getattr(obj, field),
            reason=reason,
            data=audit_data,
        )
        if effects is not None:
            effects(obj, from_state)
    return obj


def _label(model: type[models.Model], name: str) -> str:
    labels = getattr(model, "TRANSITION_LABELS", {})
    return str(labels.get(name, name))


def _state_label(obj: models.Model, field: str) -> str:
    display = getattr(obj, f"get_{field}_display", None)
    return str(display()) if display else str(getattr(obj, field))
