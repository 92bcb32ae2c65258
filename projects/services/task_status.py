"""Computed task status and the roll-ups of key task lists and projects (DESIGN.md §6).

A task's status is never typed by a person: it is a function of the row and of *today*, evaluated
in SQL. The rules, in order of precedence (the first that matches wins):

1. ``done``        — progress = 100, or a done date is set.
2. ``blocked``     — the blocked flag is set. Blocked wins over overdue: the flag is the person's
                     explicit signal of *why* the task stalls, and unblocking is the action needed.
3. ``overdue``     — due date < today (a task due today is not overdue yet).
4. ``at_risk``     — either due within AT_RISK_DUE_DAYS calendar days (0 ≤ due − today ≤ 7) and
                     progress < AT_RISK_DUE_PROGRESS (80 %), or behind the straight line from start
                     to due by *more than* AT_RISK_THRESHOLD points:
                     expected = 100 · (today − start) / (due − start), at risk iff
                     expected − progress > threshold, evaluated exactly in integers as
                     100 · (today − start) > (progress + threshold) · (due − start).
                     Before the start date the line expects 0 %, so only the due-soon rule applies.
5. ``not_started`` — progress = 0 (before the start date, or started but not yet behind the line).
6. ``on_track``    — everything else.

The recalculation is set-based: per batch of lists ONE ``UPDATE … SET status = CASE … WHERE
status <> CASE …`` that touches only rows whose status changes; then one aggregate query per batch
for the list roll-ups and one ``UPDATE … CASE id WHEN …`` for the lists whose roll-up changed; then
project health with one ``UPDATE … WHERE health <> CASE …`` over EXISTS subqueries. A second run
with the same data and date writes no row at all.

Dirty marks (``TaskListDirty``, written by every task change in its own transaction): each batch
reads the marks of its lists *before* it reads their tasks and deletes exactly those marks (by id)
in the same transaction. A mark committed after that read stays, so its list is recalculated again
by ``task_lists_dirty_recalculate`` (the minute-level sweep): a change whose publish was lost is
caught up within minutes, never skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Sum, Value, When
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from projects.models import Health, KeyTaskList, Project, Task, TaskListDirty, TaskStatus

# Lists per batch: one status UPDATE, one aggregate and at most one roll-up UPDATE per batch.
LIST_BATCH_SIZE = 2000
# Roll-up rows written by one CASE statement (bounded, so the statement never grows with the data).
ROLLUP_UPDATE_CHUNK = 500
# A list is red when overdue + blocked tasks carry more than this share (%) of its weight.
DEFAULT_RED_SHARE = 20

OPEN_MILESTONE_STATES = ("planned", "in_progress", "submitted")
NOT_YET_SUBMITTED_MILESTONE_STATES = ("planned", "in_progress")


class DaysBetween(models.Func):
    """``end − start`` in whole days, as an integer, on PostgreSQL and SQLite."""

    output_field = models.IntegerField()
    arity = 2

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # PostgreSQL: date − date is an integer
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def _cfg(name: str, default: int) -> int:
    return int(settings.PMFLOW.get(name, default))


def task_status_expression(*, today: dt.date) -> Case:
    """The computed status of a Task row as one SQL CASE (see the module docstring for the rules)."""
    threshold = _cfg("AT_RISK_THRESHOLD", 20)
    due_days = _cfg("AT_RISK_DUE_DAYS", 7)
    due_progress = _cfg("AT_RISK_DUE_PROGRESS", 80)
    elapsed = DaysBetween(Value(today, output_field=models.DateField()), F("start_date"))
    span = DaysBetween(F("due_date"), F("start_date"))
    behind_line = GreaterThan(
        models.ExpressionWrapper(Value(100) * elapsed, output_field=models.IntegerField()),
        models.ExpressionWrapper(
            models.ExpressionWrapper(F("progress") + Value(threshold), output_field=models.IntegerField()) * span,
            output_field=models.IntegerField(),
        ),
    )
    return Case(
        When(Q(progress__gte=100) | Q(done_date__isnull=False), then=Value(TaskStatus.DONE.value)),
        When(blocked=True, then=Value(TaskStatus.BLOCKED.value)),
        When(due_date__lt=today, then=Value(TaskStatus.OVERDUE.value)),
        When(
            due_date__lte=today + dt.timedelta(days=due_days),
            progress__lt=due_progress,
            then=Value(TaskStatus.AT_RISK.value),
        ),
        When(behind_line, then=Value(TaskStatus.AT_RISK.value)),
        When(progress=0, then=Value(TaskStatus.NOT_STARTED.value)),
        default=Value(TaskStatus.ON_TRACK.value),
        output_field=models.CharField(),
    )


def task_status_compute(task: Task, *, today: dt.date) -> str:
    """The same rules in Python for one in-memory task (previews, tests); the SQL CASE is the source
    of truth for stored values and the two are tested against each other."""
    threshold = _cfg("AT_RISK_THRESHOLD", 20)
    if task.progress >= 100 or task.done_date is not None:
        return TaskStatus.DONE
    if task.blocked:
        return TaskStatus.BLOCKED
    if task.due_date < today:
        return TaskStatus.OVERDUE
    if (task.due_date - today).days <= _cfg("AT_RISK_DUE_DAYS", 7) and task.progress < _cfg("AT_RISK_DUE_PROGRESS", 80):
        return TaskStatus.AT_RISK
    if 100 * (today - task.start_date).days > (task.progress + threshold) * (task.due_date - task.start_date).days:
        return TaskStatus.AT_RISK
    if task.progress == 0:
        return TaskStatus.NOT_STARTED
    return TaskStatus.ON_TRACK


def _chunks(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def task_statuses_recalculate(*, task_list_ids: Iterable[int] | None = None, today: dt.date | None = None) -> int:
    """Recompute the status of every task of the given lists (all lists when None), then the roll-ups
    of those lists and the health of their projects. Writes only rows whose value changes; returns
    the number of task rows whose status changed. Idempotent: a rerun with the same date writes
    nothing."""
    today = today or timezone.localdate()
    if task_list_ids is None:
        list_ids = list(KeyTaskList.objects.order_by("pk").values_list("pk", flat=True))
    else:
        list_ids = sorted({int(i) for i in task_list_ids})
    if task_list_ids is not None and len(list_ids) <= LIST_BATCH_SIZE:
        # A one-list (after-change) run is one transaction: readers never see a task's new status
        # with the old roll-up or project health.
        with transaction.atomic():
            return _recalculate_batches(list_ids, today=today, contiguous=False)
    return _recalculate_batches(list_ids, today=today, contiguous=task_list_ids is None)


def task_lists_dirty_recalculate(*, today: dt.date | None = None) -> int:
    """The minute-level sweep: recalculate every list that still has a dirty mark (its after-change
    recalculation never ran: broker down, worker lost). Returns the number of lists recalculated;
    a run with no marks is one query."""
    list_ids = list(TaskListDirty.objects.order_by().values_list("task_list_id", flat=True).distinct())
    if list_ids:
        task_statuses_recalculate(task_list_ids=list_ids, today=today)
    return len(list_ids)


def _recalculate_batches(list_ids: Sequence[int], *, today: dt.date, contiguous: bool) -> int:
    """``contiguous``: list_ids are ALL lists in id order, so a batch is the id range lo..hi (a range
    scan) rather than an IN list."""
    status_expr = task_status_expression(today=today)
    changed = 0
    for batch in _chunks(list_ids, LIST_BATCH_SIZE):
        with transaction.atomic():
            # ONE statement per batch; the WHERE keeps unchanged rows out of the write entirely.
            scope = Q(task_list_id__gte=batch[0], task_list_id__lte=batch[-1]) if contiguous else Q(task_list_id__in=batch)
            # Marks visible now were committed with their changes, which the UPDATE below will see.
            marks = list(TaskListDirty.objects.filter(scope).values_list("pk", flat=True))
            changed += Task.objects.filter(scope).filter(~Q(status=status_expr)).update(status=status_expr)
            task_list_rollups_recalculate(task_list_ids=batch, contiguous=contiguous)
            if marks:
                TaskListDirty.objects.filter(pk__in=marks).delete()
    if contiguous:
        project_health_recalculate(project_ids=None, today=today)
    else:
        project_scope = list(
            KeyTaskList.objects.filter(pk__in=list_ids, project__isnull=False)
            .order_by()
            .values_list("project_id", flat=True)
            .distinct()
        )
        if project_scope:
            project_health_recalculate(project_ids=project_scope, today=today)
    return changed


def _health(n_total: int, n_bad: int, n_at_risk: int, w_total: Decimal, w_bad: Decimal) -> str:
    """Health of a list from its counts and weights:
    grey — no tasks; red — overdue + blocked tasks carry more than HEALTH_RED_SHARE % of the weight
    (of the count when every weight is 0); amber — any task overdue, blocked or at risk; green — else."""
    if n_total == 0:
        return Health.GREY
    red_share = Decimal(_cfg("HEALTH_RED_SHARE", DEFAULT_RED_SHARE))
    share = (w_bad * 100 / w_total) if w_total > 0 else (Decimal(n_bad) * 100 / n_total)
    if share > red_share:
        return Health.RED
    if n_bad or n_at_risk:
        return Health.AMBER
    return Health.GREEN


ROLLUP_FIELDS = (
    "weighted_progress",
    "health",
    "count_not_started",
    "count_on_track",
    "count_at_risk",
    "count_overdue",
    "count_blocked",
    "count_done",
)


def task_list_rollup_values(*, task_list_ids: Sequence[int], contiguous: bool = False) -> dict[int, dict[str, Any]]:
    """Roll-up values of the given lists from ONE aggregate query over their tasks (lists without
    tasks get zeros and grey)."""
    scope = (
        Q(task_list_id__gte=task_list_ids[0], task_list_id__lte=task_list_ids[-1])
        if contiguous
        else Q(task_list_id__in=task_list_ids)
    )
    done_or_progress = Case(
        When(status=TaskStatus.DONE, then=F("weight") * 100),
        default=F("weight") * F("progress"),
        output_field=models.DecimalField(),
    )
    counts = {f"n_{s}": Count("pk", filter=Q(status=s)) for s in TaskStatus.values}
    bad = [TaskStatus.OVERDUE, TaskStatus.BLOCKED]
    rows = (
        Task.objects.filter(scope)
        .order_by()
        .values("task_list_id")
        .annotate(
            n_total=Count("pk"),
            w_total=Sum("weight"),
            w_bad=Sum("weight", filter=Q(status__in=bad), default=Decimal(0)),
            wp=Sum(done_or_progress),
            p_sum=Sum(Case(When(status=TaskStatus.DONE, then=100), default=F("progress"), output_field=models.IntegerField())),
            **counts,
        )
    )
    empty = {"weighted_progress": Decimal("0.00"), "health": Health.GREY, **{f"count_{s}": 0 for s in TaskStatus.values}}
    out: dict[int, dict[str, Any]] = {i: dict(empty) for i in task_list_ids} if not contiguous else {}
    for r in rows:
        w_total = r["w_total"] or Decimal(0)
        if w_total > 0:
            progress = Decimal(r["wp"]) / w_total
        else:
            progress = Decimal(r["p_sum"]) / r["n_total"]
        n_bad = r[f"n_{TaskStatus.OVERDUE}"] + r[f"n_{TaskStatus.BLOCKED}"]
        out[r["task_list_id"]] = {
            "weighted_progress": progress.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            "health": _health(r["n_total"], n_bad, r[f"n_{TaskStatus.AT_RISK}"], w_total, Decimal(r["w_bad"])),
            **{f"count_{s}": r[f"n_{s}"] for s in TaskStatus.values},
        }
    return out


def task_list_rollups_recalculate(*, task_list_ids: Sequence[int], contiguous: bool = False) -> int:
    """Rewrite the roll-up of those lists whose roll-up changed; returns how many lists changed.
    One aggregate query, one read of the current values, and one bounded CASE UPDATE per
    ROLLUP_UPDATE_CHUNK changed lists."""
    if not task_list_ids:
        return 0
    computed = task_list_rollup_values(task_list_ids=task_list_ids, contiguous=contiguous)
    lists = (
        KeyTaskList.objects.filter(
            Q(pk__gte=task_list_ids[0], pk__lte=task_list_ids[-1]) if contiguous else Q(pk__in=task_list_ids)
        )
        .order_by()
        .values("pk", *ROLLUP_FIELDS)
    )
    empty = {"weighted_progress": Decimal("0.00"), "health": Health.GREY, **{f"count_{s}": 0 for s in TaskStatus.values}}
    changed: dict[int, dict[str, Any]] = {}
    for current in lists:
        new = computed.get(current["pk"], empty)
        if any(current[f] != new[f] for f in ROLLUP_FIELDS):
            changed[current["pk"]] = new
    if not changed:
        return 0
    ids = sorted(changed)
    _rollups_write(changed, ids)
    return len(ids)


def _rollups_write(changed: dict[int, dict[str, Any]], ids: Sequence[int]) -> None:
    """Write computed roll-ups: one ``WITH v(…) AS (VALUES …) UPDATE … FROM v`` per chunk of
    ROLLUP_UPDATE_CHUNK lists (PostgreSQL, and SQLite ≥ 3.33 for the embedded set-up).

    Why not ``update()`` with one ``When(pk=…)`` per list: Django resolves every When in Python
    (~1 ms each), so 20,000 lists × 8 fields cost minutes before the statement reaches the database;
    a VALUES list is the same set-based write at database speed."""
    table = connection.ops.quote_name(KeyTaskList._meta.db_table)
    columns = [connection.ops.quote_name(KeyTaskList._meta.get_field(f).column) for f in ROLLUP_FIELDS]
    aliases = [f"v{i}" for i in range(len(ROLLUP_FIELDS))]
    assignments = ", ".join(f"{col} = v.{alias}" for col, alias in zip(columns, aliases, strict=True))
    now = timezone.now()
    with connection.cursor() as cursor:
        for chunk in _chunks(ids, ROLLUP_UPDATE_CHUNK):
            row = "(" + ", ".join(["%s"] * (len(ROLLUP_FIELDS) + 1)) + ")"
            params: list[Any] = []
            for pk in chunk:
                params.append(pk)
                params.extend(str(changed[pk][f]) if f == "health" else changed[pk][f] for f in ROLLUP_FIELDS)
            params.append(now)
            cursor.execute(
                f"WITH v(id, {', '.join(aliases)}) AS (VALUES {', '.join([row] * len(chunk))}) "
                f"UPDATE {table} SET {assignments}, recalculated_at = %s FROM v WHERE {table}.id = v.id",
                params,
            )


def project_health_expression(*, today: dt.date) -> Case:
    """Project health from its task lists and milestones:
    red — any of its lists is red, or a milestone (planned / in progress / submitted) is past due;
    amber — any list is amber, or a not-yet-submitted milestone is due within AT_RISK_DUE_DAYS days,
    or a milestone is on hold; green — it has lists or milestones and none of the above;
    grey — it has neither."""
    from milestones.models import Milestone

    lists = KeyTaskList.objects.filter(project=OuterRef("pk"))
    milestones = Milestone.objects.filter(project=OuterRef("pk"))
    soon = today + dt.timedelta(days=_cfg("AT_RISK_DUE_DAYS", 7))
    return Case(
        When(Exists(lists.filter(health=Health.RED)), then=Value(Health.RED.value)),
        When(Exists(milestones.filter(status__in=OPEN_MILESTONE_STATES, current_due__lt=today)), then=Value(Health.RED.value)),
        When(Exists(lists.filter(health=Health.AMBER)), then=Value(Health.AMBER.value)),
        When(
            Exists(milestones.filter(status__in=NOT_YET_SUBMITTED_MILESTONE_STATES, current_due__lte=soon))
            | Exists(milestones.filter(status="on_hold")),
            then=Value(Health.AMBER.value),
        ),
        When(Exists(lists) | Exists(milestones), then=Value(Health.GREEN.value)),
        default=Value(Health.GREY.value),
        output_field=models.CharField(),
    )


def project_health_recalculate(*, project_ids: Iterable[int] | None = None, today: dt.date | None = None) -> int:
    """Rewrite Project.health where it changes (one UPDATE); returns the number of projects changed."""
    today = today or timezone.localdate()
    expr = project_health_expression(today=today)
    qs = Project.objects.all() if project_ids is None else Project.objects.filter(pk__in=list(project_ids))
    return qs.filter(~Q(health=expr)).update(health=expr)
