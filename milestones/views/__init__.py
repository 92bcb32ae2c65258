"""Web UI views of the milestones app (reviewers, chairs, change requests, assessments). Thin: form →
service → error code mapped to a status and a friendly message."""

from milestones.views.chair import chair_gates, gate_decide_view, gate_detail, gate_transition, non_consensus_approve_view
from milestones.views.changes import (
    assessment_form,
    assessment_list,
    change_request_detail,
    change_request_list,
    change_request_new,
    change_request_preview_view,
    change_request_transition,
)
from milestones.views.reviewer import review_declare, review_gate, review_scorecard, reviewer_inbox
from milestones.views.scheduling import gate_assign_reviewers_view, gate_schedule_view, gate_schedule_workdays

__all__ = [
    "assessment_form",
    "assessment_list",
    "chair_gates",
    "change_request_detail",
    "change_request_list",
    "change_request_new",
    "change_request_preview_view",
    "change_request_transition",
    "gate_assign_reviewers_view",
    "gate_decide_view",
    "gate_detail",
    "gate_schedule_view",
    "gate_schedule_workdays",
    "gate_transition",
    "non_consensus_approve_view",
    "review_declare",
    "review_gate",
    "review_scorecard",
    "reviewer_inbox",
]
