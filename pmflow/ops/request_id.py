"""One request id per web request, carried into every Celery task the request enqueues, every log
line written while it runs and every audit row it writes.

* ``RequestIdMiddleware`` takes ``X-Request-ID`` from the request when it is a sane token (a proxy
  or load balancer may set it), otherwise generates one; it answers with the same header and logs
  one line per request (logger ``pmflow.request``) with method, path, view, status and duration.
* Celery: ``before_task_publish`` adds the current id to the message headers; ``task_prerun`` makes
  it current in the worker while the task runs (and logs one line naming it); ``task_postrun``
  clears it. Public Celery signals and message headers only.
* ``RequestIdFilter`` puts ``record.request_id`` on every log record (``-`` outside a request), so
  the JSON formatter (``pmflow.ops.logging``) and plain formats can show it.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("pmflow.request")
task_logger = logging.getLogger("pmflow.task")

#: the message header (and task request attribute) that carries the id
HEADER = "pmflow_request_id"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("pmflow_request_id", default="")
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def request_id_current() -> str:
    """The id of the request (or task) running now, ``""`` outside one."""
    return _current.get()


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_set(value: str) -> contextvars.Token[str]:
    return _current.set(value)


def request_id_reset(token: contextvars.Token[str]) -> None:
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _current.get() or "-"
        return True


class RequestIdMiddleware:
    """First in ``MIDDLEWARE``: everything after it runs with the id current."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        rid = offered if _ACCEPTED.match(offered) else request_id_new()
        request.request_id = rid  # type: ignore[attr-defined]
        token = _current.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            match = getattr(request, "resolver_match", None)
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "view": match.view_name if match else "",
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _current.reset(token)


# --- Celery ---


def _before_task_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    rid = _current.get()
    if rid and headers is not None and not headers.get(HEADER):
        headers[HEADER] = rid


_task_tokens: dict[str, contextvars.Token[str]] = {}


def _task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    rid = ""
    if task is not None:
        rid = getattr(task.request, HEADER, None) or (task.request.get(HEADER) if hasattr(task.request, "get") else "") or ""
    if not rid:
        return
    if task_id:
        _task_tokens[task_id] = _current.set(rid)
    # The id is in the message too: Celery's own log format has no field for it.
    task_logger.info(
        "task %s [%s] started for request %s", getattr(task, "name", "?"), task_id, rid, extra={"task": getattr(task, "name", "")}
    )


def _task_postrun(task_id: str | None = None, **_: Any) -> None:
    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:  # reset from another context (a pool that switched threads): just clear
            _current.set("")


def _after_setup_logger(logger: logging.Logger | None = None, **_: Any) -> None:
    """The worker replaces the root logger's handlers with its own: give them the request-id filter
    and, when JSON logs are on, the JSON formatter."""
    from django.conf import settings

    from pmflow.ops.logging import JsonFormatter

    if logger is None:
        return
    for handler in logger.handlers:
        handler.addFilter(RequestIdFilter())
        if getattr(settings, "PMFLOW_JSON_LOGS", False):
            handler.setFormatter(JsonFormatter())


def connect_celery_signals() -> None:
    from celery import signals

    signals.before_task_publish.connect(_before_task_publish, weak=False, dispatch_uid="pmflow-ops-request-id-publish")
    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="pmflow-ops-request-id-prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="pmflow-ops-request-id-postrun")
    signals.after_setup_logger.connect(_after_setup_logger, weak=False, dispatch_uid="pmflow-ops-logger")
    signals.after_setup_task_logger.connect(_after_setup_logger, weak=False, dispatch_uid="pmflow-ops-task-logger")
