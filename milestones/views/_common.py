"""Small helpers every web view of this app shares: map the one application error type to a
status code and a friendly message, and paginate a queryset with a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest

from pmflow.errors import ApplicationError, Forbidden, NotFound

PAGE_SIZE = 25


class KnownCountPaginator(Paginator):
    """A paginator told the number of objects (e.g. a tab count already read with the others), so
    it never counts the queryset again."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:  # type: ignore[override]
        return self.known_count


def page_of(request: HttpRequest, queryset: Any, *, per_page: int = PAGE_SIZE, count: int | None = None) -> Page:
    """One page of ``queryset`` (two queries: the count and the page; one when ``count`` is known),
    never an error for a bad page number."""
    if count is not None:
        return KnownCountPaginator(queryset, per_page, count=count).get_page(request.GET.get("page"))
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def service_call(request: HttpRequest, fn: Callable[..., Any], /, **kwargs: Any) -> tuple[Any, ApplicationError | None]:
    """Call a service; on an application error add it to the messages and return it (status = ``error.http_status``).

    Missing and forbidden objects on a page the user opened directly are raised as Http404 /
    PermissionDenied so that the friendly 404/403 pages answer.
    """
    try:
        return fn(**kwargs), None
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None, exc


def field_errors(error: ApplicationError | None) -> dict[str, list[str]]:
    return dict(error.fields) if error is not None else {}
