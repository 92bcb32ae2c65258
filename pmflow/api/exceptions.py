"""The one error body of the API, for every failure:

    {"error": {"code": "<code>", "message": "<text>", "fields": {"<field>": ["<text>", ...]}}}

``code`` is one of: invalid (400), not_authenticated (401), forbidden (403), not_found (404),
method_not_allowed (405), not_acceptable (406), conflict (409), too_large (413),
unsupported_media_type (415), throttled or locked (429). Services raise ``pmflow.errors.ApplicationError``; DRF and Django exceptions are
mapped here too, and database integrity / data errors never surface as a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from pmflow.errors import ApplicationError

logger = logging.getLogger(__name__)


class AccountLocked(exceptions.APIException):
    """Too many failed logins (django-axes): the token endpoint answers like the login page, 429."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked"

    def __init__(self, minutes: int | None) -> None:
        if minutes:
            detail = _("登录失败次数过多，账户已暂时锁定，请 %(minutes)d 分钟后再试。") % {"minutes": minutes}
        else:
            detail = _("登录失败次数过多，账户已锁定，请联系管理员。")
        super().__init__(detail)
        self.wait = minutes * 60 if minutes else None


#: DRF exception class → our code
_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (AccountLocked, "locked"),
    (exceptions.ValidationError, "invalid"),
    (exceptions.ParseError, "invalid"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
]


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → ``{"a.b": ["msg", ...]}`` (``non_field_errors`` kept as is)."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for i, item in enumerate(detail):
                for k, v in _flatten(item, f"{prefix}.{i}" if prefix else str(i)).items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def _first_message(fields: dict[str, list[str]], default: str) -> str:
    for name, messages in fields.items():
        if messages:
            return f"{name}: {messages[0]}" if name != "non_field_errors" else messages[0]
    return default


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: every error the API returns goes through here."""
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE when the parser reads it; unhandled,
        # that is Django's HTML 400 page.
        set_rollback()
        return Response(
            error_body("too_large", _("请求体过大（超过 %(n)d 字节）。") % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        set_rollback()
        return Response(error_body("not_found", _("对象不存在或不可见。")), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        set_rollback()
        return Response(error_body("forbidden", _("您没有执行此操作的权限。")), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        fields = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return Response(error_body("invalid", _first_message(fields, _("输入无效。")), fields), status=400)
    if isinstance(exc, IntegrityError):
        # A constraint the service did not foresee (usually a concurrent write): a conflict, not a crash.
        set_rollback()
        logger.warning("API integrity error: %s", exc)
        return Response(error_body("conflict", _("数据与现有记录冲突，请刷新后重试。")), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DataError):
        # Values the database refuses (out of range, NUL bytes): bad input.
        set_rollback()
        logger.warning("API data error: %s", exc)
        return Response(error_body("invalid", _("输入的数据超出允许范围或格式无效。")), status=400)
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "error")
        headers: dict[str, str] = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
        if isinstance(exc, exceptions.ValidationError):
            fields = _flatten(exc.detail)
            message = _first_message(fields, _("输入无效。"))
        else:
            fields = {}
            message = str(exc.detail) if not isinstance(exc.detail, (list, dict)) else _first_message(_flatten(exc.detail), "")
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            status_code = status.HTTP_401_UNAUTHORIZED if headers.get("WWW-Authenticate") else exc.status_code
        else:
            status_code = exc.status_code
        set_rollback()
        return Response(error_body(code, message, fields), status=status_code, headers=headers)
    return None
