"""Admin for the core models: users, organisations, the audit trail (read-only) and the outbox."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pmflow.admin_fsm import ProgrammeAdminAccessMixin, ReadOnlyAdminMixin
from pmflow.models import AuditEntry, Notification, NotificationPreference, NotificationStatus, Organisation, User

admin.site.site_header = _("未来产业项目经理团队管理平台")
admin.site.site_title = _("pmflow 管理")
admin.site.index_title = _("管理首页")


@admin.register(Organisation)
class OrganisationAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    list_display = ("name", "name_en", "credit_code")
    search_fields = ("name", "name_en", "credit_code")


@admin.register(User)
class UserAdmin(ProgrammeAdminAccessMixin, DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "organisation", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "display_name", "email", "organisation__name")
    list_select_related = ("organisation",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("平台信息"), {"fields": ("display_name", "organisation")}),
    )
    readonly_fields = ("calendar_token",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only superusers may edit superusers (a group admin must not promote itself or others).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ("is_superuser", "user_permissions")
        return fields


class ContentTypeFilter(admin.SimpleListFilter):
    title = _("对象类型")
    parameter_name = "ct"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from django.contrib.contenttypes.models import ContentType

        ids = AuditEntry.objects.order_by().values_list("content_type_id", flat=True).distinct()
        return [
            (str(ct.pk), str(ct.model_class()._meta.verbose_name) if ct.model_class() else ct.model)
            for ct in ContentType.objects.filter(pk__in=ids)
        ]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(content_type_id=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: append-only. No add, change or delete here (and a PostgreSQL trigger refuses
    UPDATE/DELETE whatever path tries it). Filterable by actor, object type, action and date."""

    list_display = ("created_at", "object_repr", "action", "from_state", "to_state", "actor", "reason")
    list_filter = (
        ContentTypeFilter,
        "action",
        ("created_at", admin.DateFieldListFilter),
        ("actor", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("object_repr", "object_id", "reason", "actor__username", "actor__display_name")
    date_hierarchy = "created_at"
    list_select_related = ("actor", "content_type")
    readonly_fields = (
        "content_type",
        "object_id",
        "object_repr",
        "action",
        "from_state",
        "to_state",
        "actor",
        "reason",
        "data",
        "created_at",
    )

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The trail of one object: ?content_type__id__exact=<ct>&object_id=<pk> (linked from object pages).
        if lookup in ("object_id", "object_id__exact", "content_type__id__exact", "content_type_id"):
            return True
        return super().lookup_allowed(lookup, value, request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        from pmflow.rules import is_programme_admin

        return bool(is_programme_admin(request.user)) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        from pmflow.rules import is_programme_admin

        return bool(is_programme_admin(request.user)) or super().has_view_permission(request, obj)


class DeliveryTroubleFilter(admin.SimpleListFilter):
    """Rows that need an admin's eye: refused for good (``failed``), or still being retried after
    more than DELIVERY_ALERT_AFTER (the mail server has been failing for a while)."""

    title = _("发送问题")
    parameter_name = "trouble"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("failed", _("发送失败")), ("retrying", _("重试超过 1 小时"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        from django.utils import timezone

        from pmflow.services.delivery import delivery_setting

        if self.value() == "failed":
            return queryset.filter(status=NotificationStatus.FAILED)
        if self.value() == "retrying":
            since = timezone.now() - delivery_setting("DELIVERY_ALERT_AFTER")
            return queryset.filter(
                status__in=(NotificationStatus.PENDING, NotificationStatus.SENDING), first_failed_at__lte=since
            )
        return queryset


@admin.register(Notification)
class NotificationAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "subject", "status", "attempts", "due_date", "sent_at", "last_error")
    list_filter = (DeliveryTroubleFilter, "kind", "status", "send_email")
    search_fields = ("subject", "recipient__username", "recipient__display_name")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
    readonly_fields = ("created_at", "sent_at", "read_at", "attempts", "last_error", "claimed_at", "first_failed_at")
    actions = ("retry_failed",)

    @admin.action(description=_("重新发送所选的发送失败通知"))
    def retry_failed(self, request: HttpRequest, queryset: Any) -> None:
        from pmflow.services.delivery import notifications_retry

        count = notifications_retry(notification_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("已重新排队 %(count)s 条通知。") % {"count": count})


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    list_display = ("user", "email_enabled", "daily_digest")
    list_filter = ("email_enabled", "daily_digest")
    search_fields = ("user__username", "user__display_name")
    raw_id_fields = ("user",)


from pmflow import admin_calendar  # noqa: E402,F401  (working-day calendar; admin home page)
