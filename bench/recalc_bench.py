"""Benchmark (run by hand, not a test): full task-status recalculation of 1,000,000 tasks in 20,000
key task lists on PostgreSQL, side by side with

* the floor — one raw SQL ``UPDATE projects_task SET status = CASE … END WHERE status IS DISTINCT
  FROM (CASE … END)`` over the same rows, no roll-ups at all;
* a naive per-row ``save()`` loop over a 10,000-task sample, extrapolated to 1,000,000.

Statuses (and list roll-ups) are reset identically before every timed run, and the table is
VACUUMed so every run starts from the same physical state. Each pair is measured twice,
alternating, in one run (shared, noisy machine); the table in docs/BENCHMARKS.md gives both.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pmflow_bench \\
        .venv/bin/python bench/recalc_bench.py [--tasks 1000000] [--lists 20000] [--rebuild]

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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmflow.settings.dev")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pmflow_bench")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

TODAY = dt.date(2026, 6, 1)
SAMPLE = 10_000


def ensure_database(url: str) -> None:
    import psycopg
    from dj_database_url import parse

    cfg = parse(url)
    admin = psycopg.connect(
        host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], password=cfg["PASSWORD"] or None, dbname="postgres"
    )
    admin.autocommit = True
    exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
    if not exists:
        admin.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    admin.close()


def build(n_tasks: int, n_lists: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from pmflow.models import Organisation, User
    from projects.models import Field, KeyTaskList, PMTeam, PMTeamMembership, Project, Task, TaskCategory

    call_command("load_reference_data", verbosity=0)
    if Task.objects.count() == n_tasks and KeyTaskList.objects.count() == n_lists:
        return
    print(f"building {n_tasks:,} tasks in {n_lists:,} lists …", flush=True)
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("TRUNCATE projects_task, projects_keytasklist, milestones_milestone CASCADE")
        org, _ = Organisation.objects.get_or_create(name="基准测试单位")
        n_teams = 100
        leads = []
        for i in range(n_teams):
            user, _ = User.objects.get_or_create(username=f"bench-lead-{i}", defaults={"email": f"lead{i}@bench.local"})
            leads.append(user)
        teams = []
        for i, lead in enumerate(leads):
            team, _ = PMTeam.objects.get_or_create(
                code=f"bench-{i}",
                defaults={
                    "name": f"基准团队{i}",
                    "lead": lead,
                    "term_start": dt.date(2025, 10, 1),
                    "term_end": dt.date(2030, 9, 25),
                },
            )
            PMTeamMembership.objects.get_or_create(team=team, user=lead, defaults={"role": "lead"})
            teams.append(team)
        field = Field.objects.get(code="quantum")
        n_projects = n_lists // 10
        existing = set(Project.objects.filter(code__startswith="BENCH-").values_list("code", flat=True))
        Project.objects.bulk_create(
            [
                Project(
                    code=f"BENCH-{i:06d}",
                    title=f"基准项目{i}",
                    field=field,
                    pm_team=teams[i % n_teams],
                    performer=org,
                    lead=leads[i % n_teams],
                    budget=10_000_000,
                    support_mode="direct_subsidy",
                    planned_start=dt.date(2026, 1, 5),
                    planned_end=dt.date(2028, 12, 29),
                )
                for i in range(n_projects)
                if f"BENCH-{i:06d}" not in existing
            ],
            batch_size=2000,
        )
        project_ids = list(Project.objects.filter(code__startswith="BENCH-").order_by("code").values_list("pk", flat=True))
        category_id = TaskCategory.objects.order_by("order").values_list("pk", flat=True).first()
        with connection.cursor() as cur:
            # 10 lists per project; project i belongs to team i % 100
            cur.execute(
                """
                INSERT INTO projects_keytasklist (pm_team_id, project_id, title, weighted_progress, health,
                    count_not_started, count_on_track, count_at_risk, count_overdue, count_blocked, count_done, created_at)
                SELECT t.id, p.id, 'L' || g, 0, 'grey', 0, 0, 0, 0, 0, 0, now()
                FROM generate_series(0, %s - 1) g
                JOIN LATERAL (SELECT (%s::bigint[])[(g / 10) + 1] AS id) p ON true
                JOIN projects_project pp ON pp.id = p.id
                JOIN projects_pmteam t ON t.id = pp.pm_team_id
                """,
                [n_lists, project_ids],
            )
            cur.execute("SELECT min(id) FROM projects_keytasklist")
            first_list = cur.fetchone()[0]
            per_list = n_tasks // n_lists
            cur.execute(
                """
                INSERT INTO projects_task (task_list_id, category_id, title, start_date, due_date, weight, progress,
                    done_date, blocked, status, created_at, updated_at)
                SELECT %s + g / %s, %s, 'T' || g, s.start, s.start + 30 + (g * 13 %% 400),
                    1 + g %% 5, s.progress,
                    CASE WHEN s.progress = 100 THEN s.start + 10 END, g %% 97 = 0, 'not_started', now(), now()
                FROM generate_series(0, %s - 1) g
                CROSS JOIN LATERAL (SELECT DATE '2025-10-01' + (g * 7 %% 300) AS start, (g * 37 %% 101) AS progress) s
                """,
                [first_list, per_list, category_id, n_tasks],
            )
            # two milestones per project, one of them past due for every 7th project
            cur.execute(
                """
                INSERT INTO milestones_milestone (project_id, sequence, title, deliverables, acceptance_criteria,
                    baseline_due, current_due, tranche_amount, is_final, status, created_at)
                SELECT p.id, s, 'M' || s, '', '', d, d, 0, s = 2, 'in_progress', now()
                FROM projects_project p
                CROSS JOIN generate_series(1, 2) s
                CROSS JOIN LATERAL (SELECT CASE WHEN p.id % 7 = 0 AND s = 1 THEN DATE '2026-05-01'
                                                 ELSE DATE '2026-12-31' END AS d) x
                WHERE p.code LIKE 'BENCH-%'
                """
            )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE projects_task")
        cur.execute("VACUUM ANALYZE projects_keytasklist")
        cur.execute("VACUUM ANALYZE projects_project")
        cur.execute("VACUUM ANALYZE milestones_milestone")
    print(f"built in {time.monotonic() - started:.1f} s", flush=True)


def reset() -> None:
    """Every status back to not_started, roll-ups and health back to their defaults, then VACUUM."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("UPDATE projects_task SET status = 'not_started' WHERE status <> 'not_started'")
        cur.execute(
            "UPDATE projects_keytasklist SET weighted_progress = 0, health = 'grey', count_not_started = 0, count_on_track = 0,"
            " count_at_risk = 0, count_overdue = 0, count_blocked = 0, count_done = 0, recalculated_at = NULL"
        )
        cur.execute("UPDATE projects_project SET health = 'grey' WHERE health <> 'grey'")
        cur.execute("VACUUM ANALYZE projects_task")
        cur.execute("VACUUM ANALYZE projects_keytasklist")
        cur.execute("VACUUM ANALYZE projects_project")


FLOOR_CASE = """CASE
    WHEN progress >= 100 OR done_date IS NOT NULL THEN 'done'
    WHEN blocked THEN 'blocked'
    WHEN due_date < %(today)s THEN 'overdue'
    WHEN due_date <= %(soon)s AND progress < %(due_progress)s THEN 'at_risk'
    WHEN 100 * (%(today)s - start_date) > (progress + %(threshold)s) * (due_date - start_date) THEN 'at_risk'
    WHEN progress = 0 THEN 'not_started'
    ELSE 'on_track' END"""


def run_floor() -> tuple[float, int]:
    from django.conf import settings
    from django.db import connection, transaction

    cfg = settings.PMFLOW
    params = {
        "today": TODAY,
        "soon": TODAY + dt.timedelta(days=int(cfg["AT_RISK_DUE_DAYS"])),
        "due_progress": int(cfg["AT_RISK_DUE_PROGRESS"]),
        "threshold": int(cfg["AT_RISK_THRESHOLD"]),
    }
    sql = f"UPDATE projects_task SET status = {FLOOR_CASE} WHERE status IS DISTINCT FROM ({FLOOR_CASE})"
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.rowcount
    return time.monotonic() - started, rows


def run_service() -> tuple[float, int]:
    from projects.services.task_status import task_statuses_recalculate

    started = time.monotonic()
    rows = task_statuses_recalculate(today=TODAY)
    return time.monotonic() - started, rows


def run_naive_sample() -> tuple[float, int]:
    from django.db import transaction

    from projects.models import Task
    from projects.services.task_status import task_status_compute

    ids = list(Task.objects.order_by("pk").values_list("pk", flat=True)[:SAMPLE])
    started = time.monotonic()
    changed = 0
    with transaction.atomic():
        for task in Task.objects.filter(pk__in=ids).iterator(chunk_size=2000):
            new = task_status_compute(task, today=TODAY)
            if new != task.status:
                changed += 1
            task.status = new
            task.save()
    return time.monotonic() - started, changed


def check_same_result() -> None:
    """The service and the floor must agree row for row."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_floor AS SELECT id, status FROM projects_task")
    reset()
    run_service()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM projects_task t JOIN bench_floor f USING (id) WHERE t.status <> f.status")
        mismatches = cur.fetchone()[0]
        cur.execute("DROP TABLE bench_floor")
    print(f"rows where service and floor disagree: {mismatches}")
    assert mismatches == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--lists", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    build(args.tasks, args.lists)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
        cur.execute("SELECT count(*), count(DISTINCT task_list_id) FROM projects_task")
        n_tasks, n_lists = cur.fetchone()
    print(f"PostgreSQL {version}; {n_tasks:,} tasks in {n_lists:,} lists; today = {TODAY}")

    results: dict[str, list[float]] = {"floor": [], "service": [], "service_rerun": []}
    for rnd in range(args.rounds):
        reset()
        t, rows = run_floor()
        results["floor"].append(t)
        print(f"round {rnd + 1}: floor (raw UPDATE, statuses only)       {t:8.2f} s  rows {rows:,}", flush=True)
        if rnd == 0:
            check_same_result()
        reset()
        t, rows = run_service()
        results["service"].append(t)
        print(f"round {rnd + 1}: service (statuses + roll-ups + health) {t:8.2f} s  rows {rows:,}", flush=True)
        t, rows = run_service()
        results["service_rerun"].append(t)
        print(f"round {rnd + 1}: service rerun (nothing to change)      {t:8.2f} s  rows {rows:,}", flush=True)
    reset()
    t, rows = run_naive_sample()
    per_row = t / SAMPLE
    print(
        f"naive save() loop on {SAMPLE:,} tasks: {t:.2f} s → {per_row * 1e3:.3f} ms/row → {per_row * n_tasks:,.0f} s for {n_tasks:,}"
    )
    floor, service = min(results["floor"]), min(results["service"])
    print(f"best floor {floor:.2f} s; best service {service:.2f} s; ratio {service / floor:.2f}×")
    print(f"naive extrapolated / floor: {per_row * n_tasks / floor:.1f}×")


if __name__ == "__main__":
    main()
