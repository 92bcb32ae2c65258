"""Web UI pages for reviewers, chairs, change requests and assessments (owned by the web UI issue)."""

app_name = "milestones"
urlpatterns: list = []
