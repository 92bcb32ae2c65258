"""``manage.py seed_demo``: a believable demo portfolio with printed logins, or benchmark-scale data.

manage.py seed_demo                      # the curated demo, made by the services (every field and state)
manage.py seed_demo --if-empty           # the same, but do nothing when projects exist (make run)
manage.py seed_demo --print-logins       # only print the demo logins
manage.py seed_demo --projects 10000 --tasks-per-list 100    # benchmark scale (bulk inserts)
"""

from __future__ import annotations

import io
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from milestones.demo.bulk import DEFAULT_SEED, bulk_seed, summary_lines
from milestones.demo.cast import demo_exists, demo_logins_text
from milestones.demo.curated import curated_seed


class Command(BaseCommand):
    help = "Create demo data (PM teams, reviewers, chairs, admin, projects across fields and states) and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any project exists.")
        parser.add_argument("--print-logins", action="store_true", help="Only print the demo logins.")
        parser.add_argument("--projects", type=int, default=None, help="Number of projects (benchmark scale, bulk).")
        parser.add_argument("--tasks-per-list", type=int, default=None, help="Tasks in each project's key task list.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (same seed, same data).")
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per INSERT.")

    def handle(self, *args, **options) -> None:
        if options["print_logins"]:
            self.stdout.write(demo_logins_text())
            return
        if options["projects"] is not None and options["projects"] < 1:
            raise CommandError("--projects must be at least 1")
        if options["tasks_per_list"] is not None and options["tasks_per_list"] < 0:
            raise CommandError("--tasks-per-list must not be negative")
        if options["projects"] is None and options["tasks_per_list"] is not None:
            raise CommandError("--tasks-per-list goes with --projects (the curated demo has its own task lists)")
        if demo_exists():
            if options["if_empty"]:
                self.stdout.write("seed_demo: projects exist, nothing to do.")
                return
            raise CommandError("projects already exist; seed_demo needs an empty portfolio (use --if-empty to skip).")
        call_command("load_reference_data", verbosity=0, stdout=io.StringIO())
        verbose = options["verbosity"] >= 1
        say = (lambda msg: self.stdout.write(f"  {msg}")) if verbose else None
        started = time.monotonic()
        if options["projects"] is None:
            counts = curated_seed(progress=say)
            lines = [f"  {name:<22} {count:>10,}" for name, count in sorted(counts.items())]
        else:
            summary = bulk_seed(
                projects=options["projects"],
                tasks_per_list=options["tasks_per_list"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                progress=say,
            )
            lines = list(summary_lines(summary))
        if verbose:
            self.stdout.write(self.style.SUCCESS(f"seed_demo: done in {time.monotonic() - started:.1f} s"))
            for line in lines:
                self.stdout.write(line)
            self.stdout.write(demo_logins_text())
