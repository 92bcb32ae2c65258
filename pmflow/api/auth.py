"""``POST /api/v1/auth/token/``: username + password → token (DRF authtoken), throttled (scope
``token``) and guarded by django-axes lockout like the login page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pmflow.api.base import ApiViewMixin, ErrorSerializer, TokenThrottle
from pmflow.api.exceptions import AccountLocked
from pmflow.api.fields import StrictCharField


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class TokenObtainView(ApiViewMixin, APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Obtain an API token",
        description="Send `Authorization: Token <token>` on later requests.",
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Wrong credentials."),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests, or the account is locked (code `locked`)."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        serializer = AuthTokenSerializer(data=body.validated_data, context={"request": request})
        valid = serializer.is_valid()
        # django-axes marks the request it authenticated when the account is (or just became) locked;
        # answer as the login page does (429), not "wrong credentials" — even with the right password.
        if getattr(request, "axes_locked_out", False):
            from axes.helpers import get_cool_off

            cool_off = get_cool_off(request)
            raise AccountLocked(int(cool_off.total_seconds() // 60) if cool_off else None)
        if not valid:
            raise ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
