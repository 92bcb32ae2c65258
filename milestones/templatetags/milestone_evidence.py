"""``{% gate_evidence gate as evidence %}``: the evidence of a gate's milestone that the viewer may
read (one query; none for a gate without a milestone). Lets pages owned by other views (the
reviewer's scorecard page) show evidence with one include line."""

from __future__ import annotations

from typing import Any

from django import template

from milestones.selectors.evidence import milestone_evidence

register = template.Library()


@register.simple_tag(takes_context=True)
def gate_evidence(context: template.Context, gate: Any) -> list[Any]:
    request = context.get("request")
    if request is None or gate is None or not getattr(gate, "milestone_id", None):
        return []
    return milestone_evidence(request.user, gate.milestone_id)
