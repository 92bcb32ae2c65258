"""Admin for the working-day calendar the programme keeps, and the admin home page's list of years
without an entered arrangement. Writes go through ``pmflow.services.calendar`` (cache cleared)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from pmflow.admin_fsm import ProgrammeAdminAccessMixin
from pmflow.models import WorkCalendarDay, WorkCalendarYear
from pmflow.services.calendar import calendar_day_delete, calendar_day_set

admin.site.index_template = "admin/pmflow/index.html"


@admin.register(WorkCalendarYear)
class WorkCalendarYearAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    list_display = ("year", "source", "note", "entered_by", "updated_at")
    search_fields = ("year", "note")
    readonly_fields = ("entered_by", "updated_at")

    def save_model(self, request: HttpRequest, obj: WorkCalendarYear, form: Any, change: bool) -> None:
        from pmflow.workdays import workday_cache_clear

        obj.entered_by = request.user
        super().save_model(request, obj, form, change)
        workday_cache_clear()

    def delete_model(self, request: HttpRequest, obj: WorkCalendarYear) -> None:
        from pmflow.workdays import workday_cache_clear

        super().delete_model(request, obj)
        workday_cache_clear()


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: WorkCalendarDay, form: Any, change: bool) -> None:
        if change and "date" in form.changed_data:
            calendar_day_delete(day=form.initial["date"])
        saved = calendar_day_set(actor=request.user, day=obj.date, kind=obj.kind, name=obj.name)
        obj.pk = saved.pk
        messages.info(request, _("工作日历已更新，到期日按新的安排计算。"), fail_silently=True)

    def delete_model(self, request: HttpRequest, obj: WorkCalendarDay) -> None:
        calendar_day_delete(day=obj.date)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for day in list(queryset.values_list("date", flat=True)):
            calendar_day_delete(day=day)
