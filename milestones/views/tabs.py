"""The three urgency tabs shared by the reviewer's inbox and the chair's gate list."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from milestones.selectors.gate_lists import ACTION, DONE, PROGRESS

TAB_LABELS = {ACTION: _("需要我处理"), PROGRESS: _("进行中"), DONE: _("已完成")}


def tab_links(counts: dict[str, int]) -> list[dict[str, Any]]:
    """``[{"value", "label", "count"}]`` in the order the pages show them (needs my action first)."""
    return [{"value": value, "label": label, "count": counts.get(value, 0)} for value, label in TAB_LABELS.items()]
