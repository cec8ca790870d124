"""``manage.py replay_dead_letters [--since ISO|1h|30m|2d] [--task NAME] [--id N ...] [--dry-run]``.

Replays the failed jobs of dead letters (status "new", or the given ids) as new attempts; each
letter is reported (replayed, or why not) and one failure does not stop the rest.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.core.management import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.storage import api

_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str) -> datetime:
    if match := _RELATIVE.match(value.strip()):
        return timezone.now() - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    moment = parse_datetime(value.strip())
    if moment is None:
        raise CommandError(f"--since: expected an ISO date-time or an age like 30m, 2h, 1d; got {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Replay the failed jobs of dead letters as new attempts (each job at most once per failure)."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=parse_since, help="only letters created since (ISO date-time, or 30m/2h/1d ago)")
        parser.add_argument("--task", help="only letters of this task name, e.g. apps.music.tasks.generate")
        parser.add_argument("--id", type=int, action="append", dest="ids", help="replay this letter (repeatable; any status)")
        parser.add_argument("--dry-run", action="store_true", help="list what would be replayed, change nothing")

    def handle(self, *args, since=None, task=None, ids=None, dry_run=False, **options):
        if dry_run:
            letters = api.list_dead_letters(since=since, task_name=task, status=None if ids else "new")
            letters = [letter for letter in letters if not ids or letter["id"] in ids]
            for letter in letters:
                self.stdout.write(f"#{letter['id']} {letter['task_name']} job={letter['job_id']} {letter['exception_type']}")
            self.stdout.write(f"{len(letters)} dead letter(s) would be replayed.")
            return
        results = api.replay_dead_letters(ids=ids, since=since, task_name=task)
        for result in results:
            if result["replayed"]:
                self.stdout.write(f"#{result['id']} replayed as attempt {result['attempt']} (task {result['task_id']})")
            else:
                self.stdout.write(f"#{result['id']} skipped: {result['reason']}")
        replayed = sum(1 for result in results if result["replayed"])
        self.stdout.write(self.style.SUCCESS(f"{replayed} of {len(results)} dead letter(s) replayed."))
