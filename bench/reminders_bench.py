"""Benchmark (run by hand, not a test): the task-reminder sweep over 100,000 due tasks on PostgreSQL.

100,000 unfinished tasks in 10,000 key task lists of 1,000 projects, every one of them due: half
past due (→ TASK_OVERDUE), half due within 3 working days (→ TASK_DUE); each task has an owner and
its list an owner (the PM-team lead), so one sweep writes ~200,000 outbox rows, plus one weekly
digest per project. Timed, each ``--rounds`` times with the outbox emptied and VACUUMed in between:

* cold — the first sweep ever (every reminder written: ~201,000 rows);
* rerun — the same day again (nothing new: every candidate is found in the outbox);
* next day — the sweep of the next working day: the 100,000 tasks are scanned again and only the
  reminders that became due are written (tasks due that Monday are now overdue: ~25,000 rows) —
  the daily case once the outbox holds the earlier reminders.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pmflow_bench_reminders \\
        .venv/bin/python bench/reminders_bench.py [--tasks 100000] [--rounds 3]

The database named in DATABASE_URL is created if missing and filled once (kept for reruns).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmflow.settings.dev")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pmflow_bench_reminders")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

from recalc_bench import ensure_database  # noqa: E402

TODAY = dt.date(2026, 6, 1)  # a Monday, a working day; due soon = up to Thursday 2026-06-04
LISTS_PER_PROJECT = 10


def build(n_tasks: int, *, rebuild: bool = False) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from pmflow.models import Organisation, User
    from projects.models import Field, PMTeam, Project, Task, TaskCategory

    call_command("load_reference_data", verbosity=0)
    if Task.objects.count() == n_tasks and not rebuild:
        return
    print(f"building {n_tasks:,} due tasks …", flush=True)
    started = time.monotonic()
    n_lists = n_tasks // 10
    n_projects = n_lists // LISTS_PER_PROJECT
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("TRUNCATE projects_task, projects_keytasklist, pmflow_notification CASCADE")
        org, _ = Organisation.objects.get_or_create(name="基准测试单位")
        leads = [
            User.objects.get_or_create(username=f"bench-lead-{i}", defaults={"email": f"lead{i}@bench.local"})[0]
            for i in range(100)
        ]
        User.objects.bulk_create(
            [User(username=f"bench-owner-{i}", email=f"owner{i}@bench.local") for i in range(1000)], ignore_conflicts=True
        )
        teams = [
            PMTeam.objects.get_or_create(
                code=f"bench-{i}",
                defaults={
                    "name": f"基准团队{i}",
                    "lead": lead,
                    "term_start": dt.date(2025, 10, 1),
                    "term_end": dt.date(2030, 9, 25),
                },
            )[0]
            for i, lead in enumerate(leads)
        ]
        field = Field.objects.get(code="quantum")
        existing = set(Project.objects.filter(code__startswith="BENCH-").values_list("code", flat=True))
        Project.objects.bulk_create(
            [
                Project(
                    code=f"BENCH-{i:06d}",
                    title=f"基准项目{i}",
                    field=field,
                    pm_team=teams[i % 100],
                    performer=org,
                    lead=leads[i % 100],
                    budget=10_000_000,
                    support_mode="direct_subsidy",
                    planned_start=dt.date(2026, 1, 5),
                    planned_end=dt.date(2028, 12, 29),
                    status="active",
                )
                for i in range(n_projects)
                if f"BENCH-{i:06d}" not in existing
            ],
            batch_size=2000,
        )
        project_ids = list(Project.objects.filter(code__startswith="BENCH-").order_by("code").values_list("pk", flat=True))
        owner_ids = list(User.objects.filter(username__startswith="bench-owner-").order_by("pk").values_list("pk", flat=True))
        category_id = TaskCategory.objects.order_by("order").values_list("pk", flat=True).first()
        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO projects_keytasklist (pm_team_id, project_id, title, weighted_progress, health,
                    count_not_started, count_on_track, count_at_risk, count_overdue, count_blocked, count_done, created_at)
                SELECT pp.pm_team_id, pp.id, 'L' || g, 0, 'grey', 0, 0, 0, 0, 0, 0, now()
                FROM generate_series(0, %s - 1) g
                JOIN projects_project pp ON pp.id = (%s::bigint[])[(g / %s) + 1]
                """,
                [n_lists, project_ids[:n_projects], LISTS_PER_PROJECT],
            )
            cur.execute("SELECT min(id) FROM projects_keytasklist")
            first_list = cur.fetchone()[0]
            # even tasks overdue (due 1–60 days ago), odd ones due today … Thursday (a quarter each day)
            cur.execute(
                """
                INSERT INTO projects_task (task_list_id, category_id, title, owner_id, start_date, due_date, weight,
                    progress, done_date, blocked, status, created_at, updated_at)
                SELECT %s + g / 10, %s, '任务 T' || g, (%s::bigint[])[(g %% 1000) + 1], DATE '2026-01-05',
                    CASE WHEN g %% 2 = 0 THEN %s - 1 - (g %% 60) ELSE %s + ((g / 2) %% 4) END,
                    1, g %% 80, NULL, false, 'not_started', now(), now()
                FROM generate_series(0, %s - 1) g
                """,
                [first_list, category_id, owner_ids, TODAY, TODAY, n_tasks],
            )
    with connection.cursor() as cur:
        for table in ("projects_task", "projects_keytasklist", "projects_project", "pmflow_user"):
            cur.execute(f"VACUUM ANALYZE {table}")
    print(f"built in {time.monotonic() - started:.1f} s", flush=True)


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE pmflow_notification")
        cur.execute("VACUUM ANALYZE pmflow_notification")


def sweep(today: dt.date = TODAY) -> tuple[float, int]:
    from projects.services.task_reminders import task_reminders_sweep

    started = time.perf_counter()
    written = task_reminders_sweep(today=today)
    return time.perf_counter() - started, written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="build the tasks again even if the count matches")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    build(args.tasks, rebuild=args.rebuild)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
        cur.execute("SELECT count(*), count(*) FILTER (WHERE due_date < %s) FROM projects_task", [TODAY])
        n_tasks, n_overdue = cur.fetchone()
    print(f"PostgreSQL {version}; {n_tasks:,} due tasks ({n_overdue:,} overdue); today = {TODAY}")
    times: dict[str, list[float]] = {"cold": [], "rerun": [], "next day": []}
    for rnd in range(args.rounds):
        reset()
        for label, day in (("cold", TODAY), ("rerun", TODAY), ("next day", TODAY + dt.timedelta(days=1))):
            t, written = sweep(day)
            times[label].append(t)
            print(f"round {rnd + 1}: {label:9s} {t:6.2f} s  rows written {written:,}", flush=True)
    for label, values in times.items():
        print(f"{label:9s} best {min(values):.2f} s, median {sorted(values)[len(values) // 2]:.2f} s")


if __name__ == "__main__":
    main()
