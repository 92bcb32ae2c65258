"""Server-rendered inline SVG charts: no JavaScript, no CDN, nothing to load (works offline and
under a strict CSP). Colours come from CSS classes (``pmflow.css``), so a bar of a state or a
health colour looks the same as its badge.

Every item is a dict: ``label``, ``value`` and optionally ``url`` (the bar and its number link to
the list behind it) and ``cls`` (a CSS class such as ``state-active`` or ``health-red``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import template

register = template.Library()

ROW_HEIGHT = 26
BAR_HEIGHT = 16
LABEL_WIDTH = 160
VALUE_WIDTH = 70
CHART_WIDTH = 520


def _num(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, Decimal):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _fmt(value: Any, unit: str) -> str:
    number = _num(value)
    if unit == "wan":  # yuan shown as 万元
        return f"{number / 10000:,.0f}"
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.1f}"


@register.inclusion_tag("charts/bar.html")
def bar_chart(items: Iterable[dict[str, Any]], title: str = "", unit: str = "", width: int = CHART_WIDTH) -> dict[str, Any]:
    """Horizontal bars, one row per item, scaled to the largest value."""
    items = list(items)
    top = max((_num(i.get("value")) for i in items), default=0.0) or 1.0
    span = width - LABEL_WIDTH - VALUE_WIDTH
    rows = []
    for index, item in enumerate(items):
        value = _num(item.get("value"))
        bar = round(span * value / top, 1)
        y = index * ROW_HEIGHT
        rows.append(
            {
                **item,
                "y": y,
                "text_y": y + BAR_HEIGHT - 3,
                "bar_width": max(bar, 1.5 if value > 0 else 0),
                "value_x": LABEL_WIDTH + bar + 6,
                "display": _fmt(value, unit),
            }
        )
    return {
        "title": title,
        "rows": rows,
        "width": width,
        "height": max(len(rows), 1) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
        "label_x": LABEL_WIDTH - 8,
        "bar_height": BAR_HEIGHT,
    }


@register.inclusion_tag("charts/stacked.html")
def stacked_bar_chart(
    rows: Iterable[dict[str, Any]],
    legend: Sequence[dict[str, Any]] = (),
    title: str = "",
    unit: str = "",
    width: int = CHART_WIDTH,
) -> dict[str, Any]:
    """One horizontal bar per row, split into ``row["segments"]`` (each a label/value/cls/url dict).
    Bars are scaled to the largest row total, so rows compare with each other."""
    rows = list(rows)
    totals = [sum(_num(s.get("value")) for s in r.get("segments", ())) for r in rows]
    top = max(totals, default=0.0) or 1.0
    span = width - LABEL_WIDTH - VALUE_WIDTH
    out = []
    for index, (row, total) in enumerate(zip(rows, totals, strict=True)):
        y = index * ROW_HEIGHT
        x = float(LABEL_WIDTH)
        segments = []
        for seg in row.get("segments", ()):
            w = round(span * _num(seg.get("value")) / top, 1)
            if w <= 0:
                continue
            segments.append({**seg, "x": x, "w": w, "display": _fmt(seg.get("value"), unit)})
            x += w
        out.append(
            {
                **row,
                "y": y,
                "text_y": y + BAR_HEIGHT - 3,
                "segments": segments,
                "value_x": x + 6,
                "display": _fmt(total, unit),
            }
        )
    return {
        "title": title,
        "rows": out,
        "legend": list(legend),
        "width": width,
        "height": max(len(out), 1) * ROW_HEIGHT,
        "label_x": LABEL_WIDTH - 8,
        "bar_height": BAR_HEIGHT,
    }


@register.inclusion_tag("charts/sparkline.html")
def sparkline(values: Iterable[Any], width: int = 120, height: int = 28, title: str = "") -> dict[str, Any]:
    """A small line of ``values`` (oldest first) with a dot on the last point."""
    numbers = [_num(v) for v in values]
    if not numbers:
        return {"points": "", "width": width, "height": height, "title": title, "last": None}
    low, high = min(numbers), max(numbers)
    spread = (high - low) or 1.0
    step = (width - 4) / max(len(numbers) - 1, 1)
    pts = [(2 + i * step, height - 2 - (n - low) / spread * (height - 4)) for i, n in enumerate(numbers)]
    return {
        "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in pts),
        "width": width,
        "height": height,
        "title": title,
        "last": {"x": round(pts[-1][0], 1), "y": round(pts[-1][1], 1)},
    }


@register.inclusion_tag("charts/meter.html")
def meter(value: Any, total: Any, cls: str = "", label: str = "") -> dict[str, Any]:
    """A thin progress bar: ``value`` out of ``total`` (e.g. released of committed, quota used)."""
    v, t = _num(value), _num(total)
    pct = 0.0 if t <= 0 else min(100.0, 100.0 * v / t)
    return {"pct": round(pct, 1), "cls": cls, "label": label, "over": t > 0 and v > t}
