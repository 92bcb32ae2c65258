"""Web UI pages for key task lists / task boards (owned by web UI part 2)."""

app_name = "tasks"
urlpatterns: list = []
