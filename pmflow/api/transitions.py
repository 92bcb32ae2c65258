"""``POST /api/v1/<resource>/<id>/transitions/<name>/`` for every FSM resource, and the
``available_transitions`` field.

The endpoint finds the object in the requesting user's *visible* queryset (404 otherwise), then
hands over to the resource's service (which locks the row, checks the rules permission → 403 and
``can_proceed`` → 409, saves, audits and adds its effects). A transition lost to a concurrent one
waits on the row lock and then fails ``can_proceed``: 409.
"""

from __future__ import annotations

from collections.abc import Callable
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

from pmflow.transitions import transition_run, transitions_available

#: signature of a transition runner: (actor, pk, name, reason) -> the updated object
Runner = Callable[..., models.Model]


class TransitionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


def transition_names(model: type[models.Model]) -> list[str]:
    return list(getattr(model, "TRANSITION_PERMISSIONS", {}))


class AvailableTransitionsField(serializers.Field):
    """Names of the transitions the requesting user may take on this object now. Costs rules
    queries per object, so it is on detail serializers only (lists keep a fixed query count)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs["source"] = "*"
        kwargs.setdefault("help_text", "Transitions the requesting user may take now.")
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return transitions_available(value, request.user)


def available_transitions_field(model: type[models.Model]) -> AvailableTransitionsField:
    """A field instance whose OpenAPI schema is an array of ``model``'s transition names."""
    cls = type(f"{model._meta.object_name}AvailableTransitionsField", (AvailableTransitionsField,), {})
    cls = extend_schema_field({"type": "array", "items": {"type": "string", "enum": transition_names(model)}})(cls)
    return cls()


def generic_runner(model: type[models.Model]) -> Runner:
    def run(*, actor: Any, pk: Any, name: str, reason: str) -> models.Model:
        return transition_run(model=model, pk=pk, name=name, actor=actor, reason=reason)

    return run


class TransitionViewSetMixin:
    """Adds the transitions action. Subclasses set ``fsm_model`` and may override ``transition_runner``
    to route a transition through the resource's own service (with its effects)."""

    fsm_model: type[models.Model]

    def transition_runner(self, name: str) -> Runner:
        return generic_runner(self.fsm_model)

    def _run_transition(self, request: Request, pk: Any, transition: str) -> Response:
        if transition not in transition_names(self.fsm_model):
            raise NotFound(_("未知的状态转换：%(name)s") % {"name": transition})
        obj = self.get_object()  # type: ignore[attr-defined]  # 404 unless visible to the user
        data = request.data if request.data is not None else {}
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [_("请求体必须是 JSON 对象。")]})
        body = TransitionRequestSerializer(data=data)
        body.is_valid(raise_exception=True)
        runner = self.transition_runner(transition)
        runner(actor=request.user, pk=obj.pk, name=transition, reason=body.validated_data.get("reason", ""))
        fresh = self.get_queryset().get(pk=obj.pk)  # type: ignore[attr-defined]
        serializer = self.get_detail_serializer(fresh)
        return Response(serializer.data)

    def get_detail_serializer(self, obj: models.Model) -> serializers.Serializer:
        cls = getattr(self, "detail_serializer_class", None) or self.get_serializer_class()  # type: ignore[attr-defined]
        return cls(obj, context=self.get_serializer_context())  # type: ignore[attr-defined]


def transition_action(model: type[models.Model], detail_serializer: type[serializers.Serializer]) -> Any:
    """The ``transitions/<name>`` action for a viewset of ``model``, with its schema."""

    @extend_schema(
        summary=f"Run a {model._meta.object_name} transition",
        description=(
            "Run transition `transition` with an optional `reason` (some transitions require one). "
            "403 if you may not take it, 404 if the object is not visible, 409 if the current state "
            "does not allow it or a concurrent request changed the object first."
        ),
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter("transition", OpenApiTypes.STR, OpenApiParameter.PATH, enum=transition_names(model)),
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
