"""Run every job kind's clean-up now (the workers' reaper runs it about once an hour): the uploads of
imports that failed or were cancelled longer than ``SELFLEARN_IMPORT_UPLOAD_RETENTION_SECONDS`` ago."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jobs.services import jobs_housekeeping


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def handle(self, *args: Any, **options: Any) -> None:
        done = jobs_housekeeping(force=True)
        for kind, count in sorted(done.items()):
            self.stdout.write(f"{kind}: {count} removed")
