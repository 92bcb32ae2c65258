"""Web UI pages for one milestone (start / submit / resume / conditions met) and its evidence.
Included from ``milestones.urls`` without an ``app_name``: the names live in the ``milestones``
namespace (``milestones:milestone_detail``)."""

from django.urls import path

from milestones.views.evidence import evidence_download, evidence_upload
from milestones.views.milestones import (
    milestone_conditions_met_view,
    milestone_detail,
    milestone_resume_view,
    milestone_start_view,
    milestone_submit_view,
)
from milestones.views.tranches import milestone_release_view

urlpatterns = [
    path("milestones/<int:pk>/", milestone_detail, name="milestone_detail"),
    path("milestones/<int:pk>/start/", milestone_start_view, name="milestone_start"),
    path("milestones/<int:pk>/submit/", milestone_submit_view, name="milestone_submit"),
    path("milestones/<int:pk>/resume/", milestone_resume_view, name="milestone_resume"),
    path("milestones/<int:pk>/conditions-met/", milestone_conditions_met_view, name="milestone_conditions_met"),
    path("milestones/<int:pk>/release/", milestone_release_view, name="milestone_release"),
    path("milestones/<int:pk>/evidence/", evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/download/", evidence_download, name="evidence_download"),
]
