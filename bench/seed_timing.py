"""Time ``seed_demo`` at benchmark scale on a fresh PostgreSQL database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/seed_timing.py \
        [--projects 10000] [--tasks-per-list 100] [--db pmflow_bench]

Drops and recreates the database named by --db on the server of DATABASE_URL, migrates it, runs
``seed_demo`` and prints the wall time, the row counts and the database size; then runs the portfolio
validator (``check_portfolio``) on the result and prints its time (a violation fails the run). The
numbers go in docs/BENCHMARKS.md ("Demo data generation", "Portfolio validator").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--tasks-per-list", type=int, default=100)
    parser.add_argument("--db", default="pmflow_bench")
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(server)
    bench_url = urlunsplit(parts._replace(path=f"/{args.db}"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        conn.execute(f'CREATE DATABASE "{args.db}"')

    env = {**os.environ, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "pmflow.settings.dev"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    started = time.monotonic()
    subprocess.run(
        [*manage, "seed_demo", "--projects", str(args.projects), "--tasks-per-list", str(args.tasks_per_list)],
        env=env,
        check=True,
    )
    elapsed = time.monotonic() - started
    started = time.monotonic()
    subprocess.run([*manage, "check_portfolio", "--limit", "20"], env=env, check=True)
    checked = time.monotonic() - started
    with psycopg.connect(bench_url) as conn:
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        tasks = conn.execute("SELECT count(*) FROM projects_task").fetchone()[0]
        projects = conn.execute("SELECT count(*) FROM projects_project").fetchone()[0]
    print(f"\nseed_demo --projects {args.projects} --tasks-per-list {args.tasks_per_list}: {elapsed:.0f} s wall")
    print(f"projects {projects:,}, tasks {tasks:,}, database size {size}")
    print(f"check_portfolio: no violations, {checked:.0f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
