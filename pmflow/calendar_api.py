"""The "no calendar data" flag for API date fields: ``<field>_provisional`` is true when the date
falls in a year whose holiday arrangement nobody has entered (``pmflow.workdays``), so a client can
say that the date may still move once the year's holidays are entered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pmflow.workdays import date_is_provisional


@extend_schema_field(OpenApiTypes.BOOL)
class ProvisionalDateFlagField(serializers.Field):
    """Read-only boolean computed from the date at ``source``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        kwargs.setdefault(
            "help_text", "True when this date falls in a year without an entered holiday arrangement (may still move)."
        )
        super().__init__(**kwargs)

    def to_representation(self, value: dt.date | None) -> bool:
        return date_is_provisional(value)
