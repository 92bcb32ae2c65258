"""Web page benchmark (issue 15): the pages people use, at the 10,000-project scale, each beside the
bare view in the same run, in-process (production settings, the Django test client through the whole
handler and middleware stack, median of ``--repeat`` requests after two warm-up requests).

Pages and users (picked from the data, as in the issue):

  dashboard       GET /dashboard/                      lead of the largest PM team
  project_list    GET /projects/                       same lead
  project_detail  GET /projects/<id>/                  same lead, an active project of the team
  task_board      GET /task-lists/<id>/                same lead, that project's key task list
  reviewer_inbox  GET /reviews/                        the reviewer with the most assignments
  chair_gates     GET /gates/                          the chair with the most gates
  csv_first_byte  GET /exports/portfolio.csv           programme admin (all 10,000 rows), time to the first chunk
  csv_full        the same, the whole body
  ical_full       GET /calendar/<token>.ics            the lead (the largest calendar)
  ical_304        the same with If-None-Match of the previous answer

The ratio is to the bare view (``/api/bench/bare/``, a constant JSON answer through the same
middleware) measured in the same run, before and after the pages (the mean of the two).

Usage (not a timed test):

    .venv/bin/python bench/ui_load.py                          # seed pmflow_bench_ui if empty, measure
    .venv/bin/python bench/ui_load.py --profile chair_gates    # cProfile of one request of that page
    .venv/bin/python bench/ui_load.py --only dashboard,chair_gates --repeat 20

Uses its own database (default ``pmflow_bench_ui``), seeded with
``seed_demo --projects 10000 --tasks-per-list 20`` when it has fewer projects, then VACUUM (ANALYZE)
(this machine's PostgreSQL runs without autovacuum).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
sys.path.insert(0, str(ROOT))


def _env(db: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "pmflow.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
        "DATABASE_CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": "memory://",
        "PMFLOW_BENCH_VIEWS": "1",
        "PMFLOW_JSON_LOGS": "0",
        "LOG_LEVEL": "ERROR",
    }


def ensure_database(db: str, projects: int, tasks_per_list: int) -> None:
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{db}'"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    env = {**os.environ, **_env(db), "DJANGO_SETTINGS_MODULE": "pmflow.settings.dev"}
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    count = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SELECT count(*) FROM projects_project", db],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if int(count or 0) < projects:
        print(f"seeding {projects} projects into {db} …", flush=True)
        subprocess.run(
            [PY, "manage.py", "seed_demo", "--projects", str(projects), "--tasks-per-list", str(tasks_per_list)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "VACUUM (ANALYZE)", db], check=True)


def pick_fixtures() -> dict:
    from django.db.models import Count

    from milestones.models import GateReview, ReviewerAssignment
    from pmflow.models import User
    from projects.models import KeyTaskList, PMTeam
    from projects.selectors.projects import projects_visible_to

    team = PMTeam.objects.annotate(n=Count("projects")).order_by("-n").first()
    lead = team.lead
    detail = projects_visible_to(lead).filter(status="active").order_by("id").first()
    task_list = KeyTaskList.objects.filter(project=detail).order_by("id").first()
    reviewer_id = ReviewerAssignment.objects.values("reviewer_id").annotate(n=Count("id")).order_by("-n").first()["reviewer_id"]
    chair_id = GateReview.objects.values("chair_id").annotate(n=Count("id")).order_by("-n").first()["chair_id"]
    admin = (
        User.objects.filter(is_superuser=True).order_by("id").first()
        or User.objects.filter(groups__name="programme_admin").order_by("id").first()
    )
    if not lead.calendar_token:
        lead.calendar_token = secrets.token_urlsafe(24)
        lead.save(update_fields=["calendar_token"])
    return {
        "lead": lead,
        "lead_projects": projects_visible_to(lead).count(),
        "detail": detail,
        "task_list": task_list,
        "reviewer": User.objects.get(pk=reviewer_id),
        "reviewer_assignments": ReviewerAssignment.objects.filter(reviewer_id=reviewer_id).count(),
        "chair": User.objects.get(pk=chair_id),
        "chair_gates": GateReview.objects.filter(chair_id=chair_id).count(),
        "admin": admin,
    }


def _time(fn, repeat: int) -> tuple[float, int]:
    fn()
    fn()
    samples = []
    status = 0
    for _ in range(repeat):
        started = time.perf_counter()
        status = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="pmflow_bench_ui")
    parser.add_argument("--projects", type=int, default=10000)
    parser.add_argument("--tasks-per-list", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--profile", default="", help="profile one request of this page (cProfile, top 30)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    ensure_database(args.db, args.projects, args.tasks_per_list)
    os.environ.update(_env(args.db))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    # The manifest storage needs collectstatic's manifest; URL lookup cost is the same either way.
    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    ).enable()

    fx = pick_fixtures()
    print(
        f"lead {fx['lead']} sees {fx['lead_projects']} projects; reviewer {fx['reviewer']} has "
        f"{fx['reviewer_assignments']} assignments; chair {fx['chair']} chairs {fx['chair_gates']} gates",
        flush=True,
    )

    def client_for(user) -> Client:
        c = Client(HTTP_HOST="testserver")
        c.force_login(user)
        return c

    lead, reviewer, chair, admin, anon = (
        client_for(fx["lead"]),
        client_for(fx["reviewer"]),
        client_for(fx["chair"]),
        client_for(fx["admin"]),
        Client(),
    )

    def get(c: Client, url: str, **headers):
        def run() -> int:
            response = c.get(url, headers=headers)
            if response.streaming:
                b"".join(response.streaming_content)
            else:
                _ = response.content
            return response.status_code

        return run

    def first_byte(c: Client, url: str):
        def run() -> int:
            response = c.get(url)
            next(iter(response.streaming_content))
            response.close()
            return response.status_code

        return run

    ical_url = reverse("calendar_feed", args=[fx["lead"].calendar_token])
    first = anon.get(ical_url)
    etag = first.headers.get("ETag", "")
    pages = {
        "dashboard": get(lead, reverse("projects:dashboard")),
        "project_list": get(lead, reverse("projects:list")),
        "project_detail": get(lead, reverse("projects:detail", args=[fx["detail"].pk])),
        "task_board": get(lead, reverse("tasks:board", args=[fx["task_list"].pk])),
        "reviewer_inbox": get(reviewer, reverse("milestones:reviewer_inbox")),
        "chair_gates": get(chair, reverse("milestones:chair_gates")),
        "csv_first_byte": first_byte(admin, reverse("projects:export_csv")),
        "csv_full": get(admin, reverse("projects:export_csv")),
        "ical_full": get(anon, ical_url),
        "ical_304": get(anon, ical_url, **({"if_none_match": etag} if etag else {})),
    }
    bare = get(anon, "/api/bench/bare/")
    if args.profile:
        fn = pages[args.profile]
        fn()
        profiler = cProfile.Profile()
        profiler.enable()
        fn()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return

    only = [p for p in args.only.split(",") if p] or list(pages)
    bare_before, _ = _time(bare, max(args.repeat, 200))
    results = {}
    for name in only:
        median, status = _time(pages[name], args.repeat)
        results[name] = {"ms": median, "status": status}
        print(f"  {name}: {median:.2f} ms ({median / bare_before:.0f}× the first bare run)", flush=True)
    bare_after, _ = _time(bare, max(args.repeat, 200))
    bare_ms = (bare_before + bare_after) / 2
    print(f"\nbare view: {bare_ms:.2f} ms (before {bare_before:.2f}, after {bare_after:.2f})")
    print(f"{'page':<16} {'status':>6} {'median ms':>10} {'× bare':>8}")
    for name, r in results.items():
        r["multiple"] = r["ms"] / bare_ms
        print(f"{name:<16} {r['status']:>6} {r['ms']:>10.2f} {r['multiple']:>8.0f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"bare_ms": bare_ms, "pages": results}, indent=2))


if __name__ == "__main__":
    main()
