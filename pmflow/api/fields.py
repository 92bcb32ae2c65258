"""Strict input types shared by every API serializer and filter.

DRF and Django coerce generously: ``int("１２")`` is 12 (full-width digits), a ``CharField`` turns
the number 5 into ``"5"``, a ``NullBooleanField`` turns ``maybe`` into "no filter". The API's schema
says *integer*, *string*, *boolean*; these fields accept exactly that and refuse the rest with a
400 naming the field or parameter.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pmflow.parsing import MAX_ID, MAX_ID_DIGITS
from pmflow.parsing import id_parse as ascii_id

__all__ = ["MAX_ID", "ascii_id"]


class StrictIdField(serializers.IntegerField):
    """An object id in a request body: a JSON integer (or a string of ASCII digits) from 1 to
    2⁶³−1. Refuses booleans, floats, ``"12.0"`` and full-width ``"１２"``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("invalid")
        if isinstance(data, str) and not (data.isascii() and data.isdigit()):
            self.fail("invalid")
        if isinstance(data, str) and len(data) > MAX_ID_DIGITS:
            self.fail("max_string_length")
        return int(data)


class _StringsOnly:
    default_error_messages = {"not_a_string": _("必须是字符串。")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(_StringsOnly, serializers.CharField):
    """A text field that takes JSON strings only (DRF's turns the number 5 into ``"5"``, so the
    schema's ``type: string`` did not match what the API accepted)."""


class StrictSlugField(_StringsOnly, serializers.SlugField):
    """A code (slug) that takes JSON strings only."""


DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_DECIMAL_RE = re.compile(r"\s*-?[0-9]+(\.[0-9]+)?\s*")


@extend_schema_field({"anyOf": [{"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}, {"type": "number"}]})
class StrictDecimalField(serializers.DecimalField):
    r"""A decimal as a JSON number or a string of ASCII digits (``"1234.50"``). DRF's also took
    ``""``-like and full-width digits its schema pattern (``\d{0,12}``) seemed to allow or refuse by
    accident; here the schema and the API agree: ``""`` is refused by both."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        if isinstance(data, str) and not _DECIMAL_RE.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class BoundedDateField(serializers.DateField):
    """An ISO date within pmflow's sane range (``pmflow.parsing.date_bounds``: default 2000–2100)."""

    def to_internal_value(self, value: Any) -> Any:
        from pmflow.parsing import date_bounds_error

        day = super().to_internal_value(value)
        if (message := date_bounds_error(day)) is not None:
            raise serializers.ValidationError(message, code="date_out_of_bounds")
        return day


# --- query-string filters ----------------------------------------------------------------------------
class StrictBooleanFormField(forms.Field):
    """``true``/``false`` (also ``1``/``0``, any case); empty means "not filtered"; anything else
    is an error (``forms.NullBooleanField`` read it as "not filtered")."""

    TRUE = frozenset({"true", "1"})
    FALSE = frozenset({"false", "0"})

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("必须是 true 或 false。"), code="invalid")


class StrictIdFormField(forms.Field):
    """A positive 64-bit id of ASCII digits; empty means "not filtered"."""

    def to_python(self, value: Any) -> int | None:
        if value in (None, ""):
            return None
        number = ascii_id(value)
        if number is None:
            raise forms.ValidationError(_("必须是 1 到 %(max)d 之间的整数。") % {"max": MAX_ID}, code="invalid")
        return number
