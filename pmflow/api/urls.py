"""REST API under /api/v1/ and the OpenAPI schema at /api/schema/ (owned by the API issue)."""

urlpatterns: list = []
