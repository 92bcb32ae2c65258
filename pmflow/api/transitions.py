"""``POST /api/v1/<resource>/<id>/transitions/<name>/`` for every FSM resource, and the
``available_transitions`` field.

The endpoint finds the object in the requesting user's *visible* queryset (404 otherwise), then
hands over to the resource's service (which locks the row, checks the rules permission → 403 and
``can_proceed`` → 409, saves, audits and adds its effects). A transition lost to a concurrent one
waits on the row lock and then fails ``can_proceed``: 409.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from pmflow.api.fields import StrictCharField
from pmflow.transitions import transition_run, transitions_available


class TransitionRequestSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, max_length=4000, default="")


def transition_names(model: type[models.Model]) -> list[str]:
    return list(getattr(model, "TRANSITION_PERMISSIONS", {}))


class AvailableTransitionsField(serializers.Field):
    """Names of the transitions the requesting user may take on this object now. Costs rules
    queries per object, so it is on detail serializers only (lists keep a fixed query count)."""

    exposed: tuple[str, ...] | None = None

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs["source"] = "*"
        kwargs.setdefault("help_text", "Transitions the requesting user may take now through the transitions endpoint.")
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        names = transitions_available(value, request.user)
        return [n for n in names if self.exposed is None or n in self.exposed]


def available_transitions_field(model: type[models.Model], exposed: Iterable[str] | None = None) -> AvailableTransitionsField:
    """A field listing the transitions (of ``exposed``, default all of ``model``'s) the user may take
    now; its OpenAPI schema is an array of those names."""
    names = list(exposed) if exposed is not None else transition_names(model)
    cls = type(
        f"{model._meta.object_name}AvailableTransitionsField",
        (AvailableTransitionsField,),
        {"exposed": tuple(names)},
    )
    cls = extend_schema_field({"type": "array", "items": {"type": "string", "enum": names}})(cls)
    return cls()


class TransitionViewSetMixin:
    """Adds the transitions action. Subclasses set ``fsm_model`` and ``transition_services``
    (name → ``fn(actor, pk, reason)``, the same services the web UI and admin call). Transitions
    not in the map happen only as the effect of another action (a gate decision, an applied change
    request) and are not exposed here: 404 like an unknown name."""

    fsm_model: type[models.Model]
    transition_services: dict[str, Callable[[Any, Any, str], Any]] | None = None

    def exposed_transitions(self) -> list[str]:
        if self.transition_services is None:
            return transition_names(self.fsm_model)
        return list(self.transition_services)

    def _run_transition(self, request: Request, pk: Any, transition: str) -> Response:
        if transition not in self.exposed_transitions():
            raise NotFound(_("未知的状态转换：%(name)s") % {"name": transition})
        obj = self.get_object()  # type: ignore[attr-defined]  # 404 unless visible to the user
        data = request.data if request.data is not None else {}
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [_("请求体必须是 JSON 对象。")]})
        body = TransitionRequestSerializer(data=data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data.get("reason", "")
        if self.transition_services is None:
            transition_run(model=self.fsm_model, pk=obj.pk, name=transition, actor=request.user, reason=reason)
        else:
            self.transition_services[transition](request.user, obj.pk, reason)
        fresh = self.get_queryset().get(pk=obj.pk)  # type: ignore[attr-defined]
        serializer = self.get_detail_serializer(fresh)
        return Response(serializer.data)

    def get_detail_serializer(self, obj: models.Model) -> serializers.Serializer:
        cls = getattr(self, "detail_serializer_class", None) or self.get_serializer_class()  # type: ignore[attr-defined]
        return cls(obj, context=self.get_serializer_context())  # type: ignore[attr-defined]


def transition_action(
    model: type[models.Model], detail_serializer: type[serializers.Serializer], exposed: Iterable[str] | None = None
) -> Any:
    """The ``transitions/<name>`` action for a viewset of ``model``, with its schema."""
    names = list(exposed) if exposed is not None else transition_names(model)

    @extend_schema(
        summary=f"Run a {model._meta.object_name} transition",
        description=(
            "Run transition `transition` with an optional `reason` (some transitions require one). "
            "403 if you may not take it, 404 if the object is not visible, 409 if the current state "
            "does not allow it or a concurrent request changed the object first."
        ),
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter("transition", OpenApiTypes.STR, OpenApiParameter.PATH, enum=names),
        ],
        request=TransitionRequestSerializer,
        responses={200: detail_serializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"transitions/(?P<transition>[A-Za-z0-9_]+)",
        url_name="transition",
    )
    def transitions(self: Any, request: Request, pk: Any = None, transition: str = "") -> Response:
        return self._run_transition(request, pk, transition)

    return transitions
