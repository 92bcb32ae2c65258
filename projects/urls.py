"""Web UI pages for projects, dashboards and exports."""

from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("projects/", views.project_list, name="list"),
    path("projects/new/", views.project_create_view, name="create"),
    path("projects/<int:pk>/", views.project_detail, name="detail"),
    path("projects/<int:pk>/edit/", views.project_edit_view, name="edit"),
    path("projects/<int:pk>/plan/", views.plan_add, name="plan_add"),
    path("projects/<int:pk>/routes/", views.route_add_view, name="route_add"),
    path("projects/<int:pk>/transitions/<str:name>/", views.project_transition_view, name="transition"),
    path("exports/portfolio.csv", views.export_csv, name="export_csv"),
    path("exports/portfolio.xlsx", views.export_xlsx, name="export_xlsx"),
]
