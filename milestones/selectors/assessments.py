"""Reads on assessment rounds: the portfolio summary of a round (fixed number of queries)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from milestones.models import Assessment, AssessmentRecommendation, AssessmentRound, Rating


def _counts() -> dict[str, Any]:
    out: dict[str, Any] = {
        "total": Count("pk"),
        "submitted": Count("pk", filter=Q(submitted_at__isnull=False)),
    }
    for r in Rating.values:
        out[f"overall_{r}"] = Count("pk", filter=Q(overall=r))
    for r in AssessmentRecommendation.values:
        out[f"rec_{r}"] = Count("pk", filter=Q(recommendation=r))
    return out


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "total": row["total"],
        "submitted": row["submitted"],
        "pending": row["total"] - row["submitted"],
        "by_overall": {r: row[f"overall_{r}"] for r in Rating.values},
        "by_recommendation": {r: row[f"rec_{r}"] for r in AssessmentRecommendation.values},
    }


def assessment_round_summary(*, round_id: Any) -> dict[str, Any]:
    """Portfolio summary of one round: totals, counts by overall rating and by recommendation, and the
    same per direction (方向). Two queries whatever the portfolio size."""
    qs = Assessment.objects.filter(round_id=round_id)
    summary = _shape(qs.aggregate(**_counts()))
    rows = (
        qs.values(
            "project__field__direction__code",
            "project__field__direction__name_zh",
            "project__field__direction__name_en",
            "project__field__direction__order",
        )
        .annotate(**_counts())
        .order_by("project__field__direction__order", "project__field__direction__code")
    )
    summary["by_direction"] = [
        {
            "code": row["project__field__direction__code"],
            "name_zh": row["project__field__direction__name_zh"],
            "name_en": row["project__field__direction__name_en"],
            **_shape(row),
        }
        for row in rows
    ]
    return summary


def assessment_rounds(*, open_only: bool = False) -> QuerySet[AssessmentRound]:
    qs = AssessmentRound.objects.annotate(
        assessment_count=Count("assessments"),
        submitted_count=Count("assessments", filter=Q(assessments__submitted_at__isnull=False)),
    )
    return qs.filter(is_open=True) if open_only else qs


def assessments_of_round(*, round_id: Any) -> QuerySet[Assessment]:
    return Assessment.objects.filter(round_id=round_id).select_related(
        "project__field__direction", "project__pm_team", "submitted_by"
    )
