from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pmflow.errors import InvalidInput
from pmflow.services.calendar import calendar_import, calendar_load_from_library


class Command(BaseCommand):
    help = (
        "Enter a year's holiday arrangement into the working-day calendar from FILE: CSV lines "
        "'date,off|on[,name]' (e.g. 2027-01-01,off,元旦 / 2027-10-09,on,国庆节). Every year the file covers is "
        "replaced by the file's days. --from-library enters the years chinesecalendar knows and are not entered yet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="CSV file: date,off|on[,name]")
        parser.add_argument("--from-library", action="store_true", help="Load the years chinesecalendar knows.")
        parser.add_argument("--note", default="", help="Source of the arrangement, e.g. the State Council notice.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["from_library"]:
            years = calendar_load_from_library()
            self.stdout.write(f"entered from chinesecalendar: {', '.join(map(str, years)) or 'nothing new'}")
            if not options["file"]:
                return
        if not options["file"]:
            raise CommandError("give a FILE or --from-library")
        try:
            text = Path(options["file"]).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        try:
            years = calendar_import(text=text, note=options["note"] or Path(options["file"]).name)
        except InvalidInput as exc:
            raise CommandError("\n".join(exc.fields.get("file", [exc.message]))) from exc
        self.stdout.write(f"calendar entered for {', '.join(map(str, years))}")
