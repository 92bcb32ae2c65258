"""Deadline reminders about gate reviews and milestones: the two sources of rows that the core's
daily sweep (``pmflow.services.reminders.reminders_sweep``, beat task ``pmflow.reminders_sweep``)
runs, registered in ``MilestonesConfig.ready``. Set-based: a fixed handful of queries each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext as _

from milestones.models import GateReview, GateState, Milestone, MilestoneState, ReviewerAssignment
from pmflow.models import Notification, NotificationKind
from pmflow.services.reminders import reminder_row, reminder_stage
from pmflow.workdays import add_workdays
from projects.models import PMTeamMembership

K = NotificationKind


def review_reminder_rows(today: dt.date, stages: dict[dt.date, int], horizon: dt.date) -> Iterable[Notification]:
    ct = ContentType.objects.get_for_model(GateReview)
    gates = {
        g["pk"]: g
        for g in GateReview.objects.filter(status__in=GateState.SCORING_STATES, due_date__lte=horizon)
        .order_by()
        .values("pk", "due_date", "chair_id", "project__code", "milestone__sequence", "kind")
    }
    if not gates:
        return []
    pending = (
        ReviewerAssignment.objects.filter(gate_id__in=list(gates))
        .exclude(has_conflict=True)
        .filter(Q(scorecard__isnull=True) | Q(scorecard__submitted_at__isnull=True))
        .order_by()
        .values_list("gate_id", "reviewer_id")
    )
    waiting: dict[int, list[int]] = {}
    for gate_id, reviewer_id in pending:
        waiting.setdefault(gate_id, []).append(reviewer_id)
    rows: list[Notification] = []
    for gate_id, g in gates.items():
        due: dt.date = g["due_date"]
        label = f"{g['project__code']} " + (f"M{g['milestone__sequence']}" if g["milestone__sequence"] else f"#{gate_id}")
        if due < today:
            for reviewer_id in waiting.get(gate_id, []):
                rows.append(
                    reminder_row(
                        recipient_id=reviewer_id,
                        kind=K.REVIEW_OVERDUE,
                        ct=ct,
                        object_id=gate_id,
                        key_date=due,
                        due=due,
                        subject=_("关口评审 %(gate)s 已逾期（截止日 %(due)s），请尽快提交评分。") % {"gate": label, "due": due},
                    )
                )
            rows.append(
                reminder_row(
                    recipient_id=g["chair_id"],
                    kind=K.REVIEW_ESCALATION,
                    ct=ct,
                    object_id=gate_id,
                    key_date=due,
                    due=due,
                    subject=_("关口评审 %(gate)s 已逾期（截止日 %(due)s），尚有 %(count)s 位专家未提交评分。")
                    % {"gate": label, "due": due, "count": len(waiting.get(gate_id, []))},
                )
            )
        elif due in stages:
            left = stages[due]
            for reviewer_id in waiting.get(gate_id, []):
                rows.append(
                    reminder_row(
                        recipient_id=reviewer_id,
                        kind=K.REVIEW_DUE,
                        ct=ct,
                        object_id=gate_id,
                        key_date=add_workdays(due, -reminder_stage(left)),
                        due=due,
                        subject=_("关口评审 %(gate)s 将于 %(due)s 截止（剩余 %(left)s 个工作日）。")
                        % {"gate": label, "due": due, "left": left},
                    )
                )
    return rows


def milestone_reminder_rows(today: dt.date, stages: dict[dt.date, int], horizon: dt.date) -> Iterable[Notification]:
    ct = ContentType.objects.get_for_model(Milestone)
    milestones = list(
        Milestone.objects.filter(status__in=MilestoneState.DUE_REMINDER_STATES, current_due__lte=horizon)
        .order_by()
        .values(
            "pk",
            "project_id",
            "current_due",
            "sequence",
            "title",
            "project__code",
            "project__pm_team_id",
            "project__pm_team__lead_id",
        )
    )
    if not milestones:
        return []
    members: dict[int, list[int]] = {}
    for team_id, user_id in (
        PMTeamMembership.objects.filter(team_id__in={m["project__pm_team_id"] for m in milestones})
        .order_by()
        .values_list("team_id", "user_id")
    ):
        members.setdefault(team_id, []).append(user_id)
    rows: list[Notification] = []
    for m in milestones:
        due: dt.date = m["current_due"]
        label = f"{m['project__code']} M{m['sequence']} {m['title']}"
        team = members.get(m["project__pm_team_id"], [])
        if due < today:
            for user_id in team:
                rows.append(
                    reminder_row(
                        recipient_id=user_id,
                        kind=K.MILESTONE_OVERDUE,
                        ct=ct,
                        object_id=m["pk"],
                        project_id=m["project_id"],
                        key_date=due,
                        due=due,
                        subject=_("里程碑 %(ms)s 已逾期（截止日 %(due)s）。") % {"ms": label, "due": due},
                    )
                )
            rows.append(
                reminder_row(
                    recipient_id=m["project__pm_team__lead_id"],
                    kind=K.MILESTONE_ESCALATION,
                    ct=ct,
                    object_id=m["pk"],
                    project_id=m["project_id"],
                    key_date=due,
                    due=due,
                    subject=_("里程碑逾期升级：%(ms)s 已逾期（截止日 %(due)s），请项目经理跟进。") % {"ms": label, "due": due},
                )
            )
        elif due in stages:
            left = stages[due]
            for user_id in team:
                rows.append(
                    reminder_row(
                        recipient_id=user_id,
                        kind=K.MILESTONE_DUE,
                        ct=ct,
                        object_id=m["pk"],
                        project_id=m["project_id"],
                        key_date=add_workdays(due, -reminder_stage(left)),
                        due=due,
                        subject=_("里程碑 %(ms)s 将于 %(due)s 到期（剩余 %(left)s 个工作日）。")
                        % {"ms": label, "due": due, "left": left},
                    )
                )
    return rows
