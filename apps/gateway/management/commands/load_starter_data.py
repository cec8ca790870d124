"""``manage.py load_starter_data``: load what a fresh install needs (idempotent)."""

from django.core.management import BaseCommand

from apps.music import api as music


class Command(BaseCommand):
    help = "Load the shipped starter songs that are missing from the catalog (safe to run every start)."

    def handle(self, *args, **options):
        report = music.load_starter_catalog()
        self.stdout.write(f"Starter catalog: {report}")
