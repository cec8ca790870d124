"""``manage.py import_songs FILE.csv [--source NAME]``: import a Spotify audio-features CSV."""

from django.core.management import BaseCommand, CommandError

from apps.music import api


class Command(BaseCommand):
    help = (
        "Import songs from a CSV with Spotify audio features (columns song, artist, valence, energy; "
        "album, tempo, duration optional). valence -> x = valence*20-10, energy -> y = energy*20-10. "
        "Re-importing updates songs (same title + artist + source), never duplicates them. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the CSV file")
        parser.add_argument("--source", default="spotify", help="source label stored on each song (default: spotify)")
        parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")

    def handle(self, *args, **options):
        try:
            report = api.import_songs(options["file"], source=options["source"], progress=False if options["no_progress"] else None)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Imported {options['file']}: {report['created']} created, {report['updated']} updated, {report['skipped']} skipped.")
        )
        for reason, count in report["skip_reasons"].items():
            self.stdout.write(f"  skipped {count}: {reason}")
        for example in report["examples"]:
            self.stdout.write(f"  line {example['line']}: {example['reason']}")
