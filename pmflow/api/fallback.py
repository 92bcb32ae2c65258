"""Unknown URLs under /api/: a JSON 404 in the API's error shape."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from pmflow.api.exceptions import error_body


@csrf_exempt  # no state is changed here; a CSRF page would break the JSON error contract
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    return JsonResponse(error_body("not_found", _("没有这个 API 地址。")), status=404)
