"""The milestone timeline (Gantt-style, HTML/CSS bars positioned in percent) and the text diff of
the cultivation plan. Presentation only: positions and markup from rows already loaded."""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

OUTCOME_MARKS = {
    "go": "✔",
    "conditional_go": "◐",
    "hold": "⏸",
    "recycle": "↺",
    "kill": "✖",
    "non_consensus": "◇",
}


def _pct(day: dt.date, start: dt.date, span: int) -> float:
    return round(100.0 * (day - start).days / span, 2)


@register.inclusion_tag("projects/partials/timeline.html")
def milestone_timeline(project: Any, milestones: list[Any], decisions: dict[int, Any] | None = None) -> dict[str, Any]:
    """Rows of a Gantt chart: for each milestone a *current* bar (previous current due → current
    due, coloured by state) above a *baseline* bar (previous baseline due → baseline due), the gate
    outcome at the end, and a red line for today."""
    decisions = decisions or {}
    today = timezone.localdate()
    if not milestones:
        return {"rows": [], "ticks": [], "today": None}
    dates = [project.planned_start, project.planned_end]
    for m in milestones:
        dates += [m.baseline_due, m.current_due]
    start, end = min(dates), max(dates)
    span = max((end - start).days, 1)
    rows = []
    prev_current = prev_baseline = project.planned_start
    for m in milestones:
        c0, c1 = min(prev_current, m.current_due), m.current_due
        b0, b1 = min(prev_baseline, m.baseline_due), m.baseline_due
        entry = decisions.get(m.pk) or {}
        decision = entry.get("decision")
        shift = (m.current_due - m.baseline_due).days
        rows.append(
            {
                "m": m,
                "current_left": _pct(c0, start, span),
                "current_width": max(_pct(c1, start, span) - _pct(c0, start, span), 0.6),
                "baseline_left": _pct(b0, start, span),
                "baseline_width": max(_pct(b1, start, span) - _pct(b0, start, span), 0.6),
                "end": _pct(c1, start, span),
                "shift": shift,
                "late": shift > 0,
                "gate": entry.get("gate"),
                "decision": decision,
                "mark": OUTCOME_MARKS.get(decision.outcome, "") if decision else "",
            }
        )
        prev_current, prev_baseline = m.current_due, m.baseline_due
    ticks = []
    year = start.year
    while dt.date(year, 1, 1) <= end:
        for month in (1, 7):
            day = dt.date(year, month, 1)
            if start <= day <= end:
                ticks.append({"left": _pct(day, start, span), "label": day.strftime("%Y-%m")})
        year += 1
    today_left = _pct(today, start, span) if start <= today <= end else None
    return {"rows": rows, "ticks": ticks, "today": today_left, "start": start, "end": end}


@register.simple_tag
def text_diff(before: Any, after: Any) -> SafeString:
    """Character-level diff (works for Chinese, which has no spaces): deletions in <del>,
    insertions in <ins>, everything escaped."""
    a, b = str(before or ""), str(after or "")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(a[i1:i2]))
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(a[i1:i2])}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(b[j1:j2])}</ins>")
    return mark_safe("".join(out))
