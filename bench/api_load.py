"""API load benchmark (issue 8): wrk against gunicorn (2 workers) on PostgreSQL with the
10,000-project demo portfolio. Measures, in ONE run and side by side:

  bare      GET /api/bench/bare/            a constant JSON view through the same middleware (baseline)
  drf_floor GET /api/bench/floor/           the same answer through DRF with token auth (the framework floor)
  list      GET /api/v1/projects/?page_size=50   as a PM-team lead (visibility subqueries on 10k rows)
  detail    GET /api/v1/projects/<id>/       as the same lead (with available_transitions)
  transition POST /api/v1/projects/<id>/transitions/{suspend|resume}/   as a programme admin,
            random active/suspended projects: each request locks, checks, saves and audits (200),
            or is refused because another request moved the row first (409)

Target: list and detail ≥ 35 % of the bare view's requests/s, p99 < 100 ms at 16 connections.

Every request repeats one URL, so after the first request the project list and detail are answered
from their version-checked caches (pmflow/portfolio_version.py) unless ``--api-cache-size 0``: run
both ways to see the cached and the computed-afresh figures.

Usage (not a timed test; takes a few minutes):

    .venv/bin/python bench/api_load.py                 # seed pmflow_bench_f if empty, then measure
    .venv/bin/python bench/api_load.py --db pmflow_bench_f --duration 20 --connections 16

Needs `wrk` (Debian package) and PostgreSQL on 127.0.0.1. Uses its own database (default
``pmflow_bench_f``) so it never touches anyone else's data.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

TRANSITION_LUA = """
local ids = {%(ids)s}
local names = {"suspend", "resume"}
statuses = {}
request = function()
  local id = ids[math.random(#ids)]
  local name = names[math.random(2)]
  return wrk.format("POST", "/api/v1/projects/" .. id .. "/transitions/" .. name .. "/", nil, '{"reason":"bench"}')
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function setup(thread)
  table.insert(threads_list, thread)
end
threads_list = {}
done = function(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads_list) do
    local s = t:get("statuses")
    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, k .. "=" .. v) end
  io.write("STATUSES " .. table.concat(parts, ",") .. "\\n")
end
"""


def env_for(db: str, port: int, db_options: str = "") -> dict[str, str]:
    env = dict(os.environ)
    query = f"?{db_options}" if db_options else ""
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pmflow.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}{query}",
            "DATABASE_CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": "memory://",
            "PMFLOW_BENCH_VIEWS": "1",
            "PMFLOW_THROTTLE_WRITES": "100000000/min",
            "PMFLOW_THROTTLE_TOKEN": "100000/min",
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def django_shell(env: dict[str, str], code: str) -> str:
    """The last line ``code`` printed (``shell`` may print a banner first)."""
    return manage(env, "shell", "--no-imports", "-c", code).strip().splitlines()[-1]


def ensure_database(db: str, env: dict[str, str], projects: int, tasks_per_list: int) -> None:
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{db}'"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
    seed_env = {**env, "DJANGO_SETTINGS_MODULE": "pmflow.settings.dev"}
    manage(seed_env, "migrate", "--noinput", "-v0")
    count = int(django_shell(seed_env, "from projects.models import Project; print(Project.objects.count())").strip())
    if count < projects:
        print(f"seeding {projects} projects into {db} (seed_demo) …", flush=True)
        started = time.monotonic()
        manage(seed_env, "seed_demo", "--projects", str(projects), "--tasks-per-list", str(tasks_per_list))
        print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)
    # This machine's PostgreSQL runs with autovacuum off: without this the seed's updates leave every
    # project row twice (dead tuples) and the planner has no statistics at all (estimates of 84 users
    # for 892). A production server's autovacuum keeps both in order; do here what it would.
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "VACUUM (ANALYZE)", db], check=True)


FIXTURE_CODE = r"""
import json
from rest_framework.authtoken.models import Token
from django.db.models import Count
from pmflow.rules import is_programme_admin
from pmflow.models import User
from projects.models import Project, PMTeam
from projects.selectors.projects import projects_visible_to
admin = next(u for u in User.objects.filter(is_superuser=True)) if User.objects.filter(is_superuser=True).exists() else next(u for u in User.objects.filter(groups__name="programme_admin"))
team = PMTeam.objects.annotate(n=Count("projects")).order_by("-n").first()
lead = team.lead
detail = projects_visible_to(lead).filter(status="active").order_by("id").first()
ids = list(Project.objects.filter(status__in=["active", "suspended"]).order_by("id").values_list("id", flat=True)[:500])
print(json.dumps({
    "admin": Token.objects.get_or_create(user=admin)[0].key,
    "lead": Token.objects.get_or_create(user=lead)[0].key,
    "lead_projects": projects_visible_to(lead).count(),
    "detail_id": detail.pk,
    "transition_ids": ids,
    "projects": Project.objects.count(),
}))
"""


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            GUNICORN,
            "pmflow.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/bench/bare/", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not come up")


def wrk(url: str, *, connections: int, duration: int, headers: list[str], script: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    done = subprocess.run([*cmd, url], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse_wrk(done.stdout)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def parse_wrk(out: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Socket errors:.*", out)
    statuses = re.search(r"STATUSES (\S*)", out)
    return {
        "rps": rps,
        "p50": lat.get("50"),
        "p99": lat.get("99"),
        "requests": int(total.group(1)) if total else 0,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
        "statuses": statuses.group(1) if statuses else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="pmflow_bench_f")
    parser.add_argument("--projects", type=int, default=10000)
    parser.add_argument("--tasks-per-list", type=int, default=5)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--db-options",
        default="",
        help="extra DATABASE_URL options for gunicorn only, e.g. 'server_side_binding=true&prepare_threshold=2' "
        "(psycopg prepares repeated statements: PostgreSQL plans each query once per connection)",
    )
    parser.add_argument(
        "--api-cache-size",
        default="",
        help="PMFLOW_API_CACHE_SIZE for gunicorn: 0 turns off the version-checked caches of the project list "
        "and detail, to measure every request computed afresh",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    env = env_for(args.db, args.port)
    ensure_database(args.db, env, args.projects, args.tasks_per_list)
    fx = json.loads(django_shell({**env, "DJANGO_SETTINGS_MODULE": "pmflow.settings.dev"}, FIXTURE_CODE))
    env = env_for(args.db, args.port, args.db_options)
    if args.api_cache_size != "":
        env["PMFLOW_API_CACHE_SIZE"] = args.api_cache_size
    print(
        f"portfolio: {fx['projects']} projects; the lead sees {fx['lead_projects']}; "
        f"{len(fx['transition_ids'])} active/suspended projects for transitions",
        flush=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    lead = [f"Authorization: Token {fx['lead']}", "Accept: application/json"]
    admin = [f"Authorization: Token {fx['admin']}", "Accept: application/json", "Content-Type: application/json"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(TRANSITION_LUA % {"ids": ",".join(str(i) for i in fx["transition_ids"])})
    proc = start_gunicorn(env, args.port, args.workers)
    results: dict[str, dict] = {}
    try:
        # warm up each worker's connections and caches
        wrk(f"{base}/api/v1/projects/?page_size=50", connections=4, duration=3, headers=lead)
        runs = [
            ("bare", f"{base}/api/bench/bare/", [], None),
            ("drf_floor", f"{base}/api/bench/floor/", lead, None),
            ("list", f"{base}/api/v1/projects/?page_size=50", lead, None),
            ("detail", f"{base}/api/v1/projects/{fx['detail_id']}/", lead, None),
            ("transition", f"{base}/", admin, lua.name),
            ("bare_again", f"{base}/api/bench/bare/", [], None),
        ]
        for name, url, headers, script in runs:
            results[name] = wrk(url, connections=args.connections, duration=args.duration, headers=headers, script=script)
            r = results[name]
            print(
                f"{name:11s} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  p99 {r['p99']:7.1f} ms  "
                f"non-2xx {r['non2xx']} {r['statuses']} {r['socket_errors']}",
                flush=True,
            )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        os.unlink(lua.name)
    bare = (results["bare"]["rps"] + results["bare_again"]["rps"]) / 2
    summary = {name: {**r, "ratio_to_bare": r["rps"] / bare} for name, r in results.items()}
    print(f"\nbare (mean of before/after): {bare:.1f} req/s")
    for name in ("list", "detail", "transition"):
        r = summary[name]
        verdict = ""
        if name in ("list", "detail"):
            ok = r["ratio_to_bare"] >= 0.40 and r["p99"] < 100
            verdict = "meets target" if ok else "MISSES target (≥40 % of bare, p99 < 100 ms)"
        print(f"{name:11s} {100 * r['ratio_to_bare']:5.1f} % of bare, p99 {r['p99']:.1f} ms  {verdict}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "args": vars(args),
                    "fixture": {k: v for k, v in fx.items() if k not in ("admin", "lead", "transition_ids")},
                    "results": summary,
                },
                indent=2,
            )
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
