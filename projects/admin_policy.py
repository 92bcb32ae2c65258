"""Admin for programme tags (专项), organisation profiles and qualifications (梯度培育), and the
performing organisations of consortium projects (read-only here: set through
``project_participants_set``, which checks that the shares add up)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pmflow.admin_fsm import ProgrammeAdminAccessMixin
from projects.models.projects import OrganisationProfile, OrganisationQualification, ProgrammeTag, ProjectParticipant


@admin.register(ProgrammeTag)
class ProgrammeTagAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(OrganisationProfile)
class OrganisationProfileAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    list_display = ("organisation", "stage", "stage_since")
    list_filter = ("stage",)
    search_fields = ("organisation__name",)
    list_select_related = ("organisation",)


@admin.register(OrganisationQualification)
class OrganisationQualificationAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    list_display = ("organisation", "kind", "granted_on", "expires_on")
    list_filter = ("kind",)
    search_fields = ("organisation__name",)
    list_select_related = ("organisation",)


@admin.register(ProjectParticipant)
class ProjectParticipantAdmin(ProgrammeAdminAccessMixin, admin.ModelAdmin):
    list_display = ("project", "organisation", "role", "share", "responsibility")
    list_filter = ("role",)
    search_fields = ("project__code", "organisation__name")
    list_select_related = ("project", "organisation")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
