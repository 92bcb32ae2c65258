"""Web UI pages for reviewers, chairs, change requests and assessments."""

from django.urls import include, path

from milestones import views

app_name = "milestones"
urlpatterns = [
    path("reviews/", views.reviewer_inbox, name="reviewer_inbox"),
    path("reviews/gates/<int:gate_id>/", views.review_gate, name="review_gate"),
    path("reviews/gates/<int:gate_id>/declare/", views.review_declare, name="review_declare"),
    path("reviews/gates/<int:gate_id>/scorecard/", views.review_scorecard, name="review_scorecard"),
    path("gates/", views.chair_gates, name="chair_gates"),
    path("gates/schedule/<int:project_id>/", views.gate_schedule_view, name="gate_schedule"),
    path("gates/schedule/workdays/", views.gate_schedule_workdays, name="gate_schedule_workdays"),
    path("gates/<int:gate_id>/reviewers/assign/", views.gate_assign_reviewers_view, name="gate_assign_reviewers"),
    path("gates/<int:gate_id>/", views.gate_detail, name="gate_detail"),
    path("gates/<int:gate_id>/decide/", views.gate_decide_view, name="gate_decide"),
    path("gates/<int:gate_id>/non-consensus/", views.non_consensus_approve_view, name="non_consensus_approve"),
    path("gates/<int:gate_id>/<str:name>/", views.gate_transition, name="gate_transition"),
    path("changes/", views.change_request_list, name="change_request_list"),
    path("changes/new/", views.change_request_new, name="change_request_new"),
    path("changes/preview/", views.change_request_preview_view, name="change_request_preview"),
    path("changes/<int:pk>/", views.change_request_detail, name="change_request_detail"),
    path("changes/<int:pk>/<str:name>/", views.change_request_transition, name="change_request_transition"),
    path("", include("milestones.urls_milestones")),
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/<int:round_id>/projects/<int:project_id>/", views.assessment_form, name="assessment_form"),
]
