"""Filters every API FilterSet builds on: booleans that are booleans, ids that are positive ASCII
integers (and say so in the schema), and a FilterSet base whose generated filters use them."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db import models
from drf_spectacular.utils import extend_schema_field

from pmflow.api.fields import MAX_ID, StrictBooleanFormField, StrictIdFormField


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(df.BooleanFilter):
    """``?flag=true|false``; anything else is a 400 naming the parameter."""

    field_class = StrictBooleanFormField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(df.Filter):
    """``?thing=<id>``: 1 to 2⁶³−1, ASCII digits only; anything else is a 400 naming the parameter."""

    field_class = StrictIdFormField


def id_filter(field_name: str, **kwargs: Any) -> IdFilter:
    return IdFilter(field_name=field_name, **kwargs)


class StrictFilterSet(df.FilterSet):
    """A FilterSet whose filters generated from ``Meta.fields`` are strict too."""

    FILTER_DEFAULTS = {**df.FilterSet.FILTER_DEFAULTS, models.BooleanField: {"filter_class": StrictBooleanFilter}}
