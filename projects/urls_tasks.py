"""Web UI pages for key task lists / task boards."""

from django.urls import path

from projects import views_tasks

app_name = "tasks"
urlpatterns = [
    path("task-lists/<int:list_id>/", views_tasks.task_board, name="board"),
    path("tasks/<int:task_id>/progress/", views_tasks.task_progress, name="progress"),
]
