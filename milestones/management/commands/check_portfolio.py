"""``manage.py check_portfolio``: check the whole database against the rules the services enforce
(``milestones.selectors.portfolio_check``). Prints each violation with its rule and object; exits
non-zero when there is any.

manage.py check_portfolio            # every violation, then a count per rule
manage.py check_portfolio --limit 20 # at most 20 lines per rule
"""

from __future__ import annotations

import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError, CommandParser

from milestones.selectors.portfolio_check import RULES


class Command(BaseCommand):
    help = "Check the portfolio against the rules (working-day due dates, caps, released ≤ committed, pending changes, history)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=0, help="Print at most this many violations per rule (0: all).")

    def handle(self, *args, **options) -> None:
        limit = options["limit"]
        started = time.monotonic()
        counts: Counter[str] = Counter()
        for name, rule in RULES:
            shown = 0
            for violation in rule():
                counts[violation.rule] += 1
                if not limit or shown < limit:
                    self.stdout.write(str(violation))
                    shown += 1
            if options["verbosity"] >= 2:
                self.stdout.write(f"  checked: {name}")
        elapsed = time.monotonic() - started
        if counts:
            for rule, n in sorted(counts.items()):
                self.stdout.write(f"  {rule:<32} {n:>8,}")
            raise CommandError(f"check_portfolio: {sum(counts.values()):,} violation(s) in {elapsed:.1f} s")
        self.stdout.write(self.style.SUCCESS(f"check_portfolio: no violations ({elapsed:.1f} s)"))
