"""The one application error type. Services raise it; views and API views map ``code`` to a status:
invalid → 400, forbidden → 403, not_found → 404, conflict → 409."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: Any = "", *, fields: dict[str, list[str] | str] | None = None, extra: dict | None = None):
        self.message = str(message) if message else ""
        self.fields = {k: ([str(m) for m in v] if isinstance(v, (list, tuple)) else [str(v)]) for k, v in (fields or {}).items()}
        if not self.message and self.fields:
            name, msgs = next(iter(self.fields.items()))
            self.message = f"{name}: {msgs[0]}"
        self.extra = extra or {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class InvalidInput(ApplicationError):
    code = "invalid"
    http_status = 400


class Forbidden(ApplicationError):
    code = "forbidden"
    http_status = 403

    def __init__(self, message: Any = "", **kwargs: Any):
        super().__init__(message or _("您没有执行此操作的权限。"), **kwargs)


class NotFound(ApplicationError):
    code = "not_found"
    http_status = 404

    def __init__(self, message: Any = "", **kwargs: Any):
        super().__init__(message or _("对象不存在或不可见。"), **kwargs)


class Conflict(ApplicationError):
    """A transition not allowed from the current state, or lost to a concurrent one."""

    code = "conflict"
    http_status = 409
