"""``manage.py load_starter_data``: load what a fresh install needs (idempotent)."""

from django.core.management import BaseCommand

from apps.music import api as music


class Command(BaseCommand):
    help = "Load the starter song catalog if the catalog is empty."

    def handle(self, *args, **options):
        loader = getattr(music, "load_starter_catalog", None)
        if loader is None:
            self.stdout.write("No starter catalog available yet.")
            return
        report = loader()
        self.stdout.write(f"Starter catalog: {report}")
