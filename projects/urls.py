"""Web UI pages for projects, dashboards, task boards and exports (owned by the web UI issue)."""

app_name = "projects"
urlpatterns: list = []
