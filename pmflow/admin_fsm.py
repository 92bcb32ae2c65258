"""Reusable pieces for the Django admin of FSM models.

``FSMTransitionAdminMixin`` shows one button per transition the *current user* may take now
(``pmflow.transitions.transitions_available``: the state allows it *and* the rules permission in
``Model.TRANSITION_PERMISSIONS`` allows it), with a reason box. The buttons POST to a custom admin
view that goes through the same service as every other interface (row lock, permission, audit
row), so the admin is never a side door. django-fsm-2's own admin is not used: its button path does
not check transition permissions.

Usage::

    @admin.register(Milestone)
    class MilestoneAdmin(FSMTransitionAdminMixin, ProgrammeAdminAccessMixin, admin.ModelAdmin):
        # Optional: route every button through your service instead of the generic driver.
        def fsm_transition_run(self, request, obj, name, reason):
            return milestone_transition(actor=request.user, milestone_id=obj.pk, name=name, reason=reason)

        # Optional: transitions that need a form of their own (e.g. a gate decision) are not buttons.
        fsm_hidden_transitions = {"decide"}

Without an override, ``fsm_transition_run`` calls ``transition_run`` with ``reason_required`` taken
from ``Model.REASON_REQUIRED`` (if the model has one).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pmflow.errors import ApplicationError
from pmflow.models import AuditEntry
from pmflow.rules import is_programme_admin
from pmflow.transitions import state_field_name, transition_run, transitions_available


class ProgrammeAdminAccessMixin:
    """Admin access for programme admins (superuser or group ``programme_admin``).

    The ``rules`` backend knows nothing of Django's model permissions (``change_project`` …), so a
    programme admin in the group would otherwise see an empty admin. Django's model permissions still
    work as a fallback for staff users granted them explicitly.
    """

    def _is_programme_admin(self, request: HttpRequest) -> bool:
        return bool(is_programme_admin(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_programme_admin(request) or super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_programme_admin(request) or super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._is_programme_admin(request) or super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_programme_admin(request) or super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_programme_admin(request) or super().has_delete_permission(request, obj)  # type: ignore[misc]


class AuditEntryInline(GenericTabularInline):
    """The audit trail of the object, newest first, read-only (the table is append-only)."""

    model = AuditEntry
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "action", "from_state", "to_state", "reason")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name = gettext_lazy("审计记录")
    verbose_name_plural = gettext_lazy("审计记录")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[AuditEntry]:
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


class FSMTransitionAdminMixin:
    """Transition buttons for the transitions the current user may take; see the module docstring."""

    change_form_template = "admin/pmflow/fsm_change_form.html"
    #: transitions never offered as buttons (they need a form of their own)
    fsm_hidden_transitions: set[str] | frozenset[str] = frozenset()
    #: add the read-only audit-trail inline
    fsm_audit_inline = True

    # --- hooks -----------------------------------------------------------------------------------
    def fsm_transition_run(self, request: HttpRequest, obj: models.Model, name: str, reason: str) -> models.Model:
        """Run transition ``name`` for ``request.user``. Override to call the model's own service."""
        model = type(obj)
        return transition_run(
            model=model,
            pk=obj.pk,
            name=name,
            actor=request.user,
            reason=reason,
            reason_required=name in getattr(model, "REASON_REQUIRED", ()),
        )

    def fsm_transitions_for(self, request: HttpRequest, obj: models.Model) -> list[dict[str, Any]]:
        """Buttons to show: transitions the state and the rules allow now, minus hidden ones."""
        model = type(obj)
        labels = getattr(model, "TRANSITION_LABELS", {})
        required = getattr(model, "REASON_REQUIRED", ())
        return [
            {"name": name, "label": str(labels.get(name, name)), "reason_required": name in required}
            for name in transitions_available(obj, request.user)
            if name not in self.fsm_hidden_transitions
        ]

    # --- ModelAdmin plumbing ------------------------------------------------------------------------
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The state field is protected (FSMField(protected=True)): it only moves through transitions.
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        state = state_field_name(self.model)  # type: ignore[attr-defined]
        if state not in fields:
            fields.append(state)
        return fields

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        inlines = list(super().get_inlines(request, obj))  # type: ignore[misc]
        if self.fsm_audit_inline and obj is not None and AuditEntryInline not in inlines:
            inlines.append(AuditEntryInline)
        return inlines

    def get_urls(self) -> list[Any]:
        opts = self.model._meta  # type: ignore[attr-defined]
        custom = [
            path(
                "<path:object_id>/transition/",
                self.admin_site.admin_view(self.fsm_transition_view),  # type: ignore[attr-defined]
                name=f"{opts.app_label}_{opts.model_name}_transition",
            )
        ]
        return custom + super().get_urls()  # type: ignore[misc]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None) -> Any:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is not None:
            opts = self.model._meta  # type: ignore[attr-defined]
            extra_context["fsm_transitions"] = self.fsm_transitions_for(request, obj)
            extra_context["fsm_transition_url"] = reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_transition",  # type: ignore[attr-defined]
                args=[obj.pk],
            )
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def fsm_transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST ``transition`` (+ ``reason``): run it through the service, report the outcome."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is None:
            raise PermissionDenied  # do not reveal whether the object exists
        if not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        name = (request.POST.get("transition") or "").strip()
        reason = request.POST.get("reason") or ""
        opts = self.model._meta  # type: ignore[attr-defined]
        back = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])  # type: ignore[attr-defined]
        if not name or name in self.fsm_hidden_transitions:
            messages.error(request, _("未知的状态转换：%(name)s") % {"name": name})
            return HttpResponseRedirect(back)
        try:
            obj = self.fsm_transition_run(request, obj, name, reason)
        except ApplicationError as exc:
            message = exc.message
            if exc.fields:
                message = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            messages.error(request, message)
            return HttpResponseRedirect(back)
        labels = getattr(self.model, "TRANSITION_LABELS", {})  # type: ignore[attr-defined]
        messages.success(
            request,
            _("“%(obj)s”已执行“%(name)s”。") % {"obj": obj, "name": labels.get(name, name)},
        )
        return HttpResponseRedirect(back)


class ReadOnlyAdminMixin:
    """An admin that shows rows and never offers add, change or delete (e.g. the audit trail)."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        actions.pop("delete_selected", None)
        return actions


__all__ = [
    "AuditEntryInline",
    "FSMTransitionAdminMixin",
    "ProgrammeAdminAccessMixin",
    "ReadOnlyAdminMixin",
]
