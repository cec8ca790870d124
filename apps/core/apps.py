from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"

    def ready(self) -> None:
        # Settings only name these folders (importing them has no side effects); they are created
        # here, before the first SQLite connection and before WhiteNoise looks for STATIC_ROOT.
        from django.conf import settings

        for directory in (settings.VAR_DIR, settings.STATIC_ROOT):
            directory.mkdir(parents=True, exist_ok=True)
