"""``{% screening_schedule_button project %}``: the "schedule screening" button on the project page,
rendered only for who may press it (``milestones.schedule_screening``) while the project is submitted.
The projects app cannot import milestones; its template loads this library instead."""

from __future__ import annotations

from typing import Any

from django import template

from milestones.models import GateState
from projects.models import ProjectState

register = template.Library()


@register.inclusion_tag("milestones/partials/assign_screening_button.html", takes_context=True)
def screening_schedule_button(context: Any, project: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    show = (
        user is not None and project.status == ProjectState.SUBMITTED and user.has_perm("milestones.schedule_screening", project)
    )
    return {"show": show, "project": project}


@register.inclusion_tag("milestones/partials/assign_gate_button.html", takes_context=True)
def assign_reviewers_button(context: Any, gate: Any) -> dict[str, Any]:
    """On the gate page: "assign reviewers" while the gate is scheduled or open, for who may assign."""
    request = context.get("request")
    user = getattr(request, "user", None)
    show = (
        user is not None
        and gate.status in (GateState.SCHEDULED, GateState.OPEN)
        and user.has_perm("milestones.assign_reviewers", gate)
    )
    return {"show": show, "gate": gate}
