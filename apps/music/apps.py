from django.apps import AppConfig


class MusicConfig(AppConfig):
    name = "apps.music"
    label = "music"
    verbose_name = "Music catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.music import checks, signals  # noqa: F401  (registers the settings check, connects the catalog-version receivers)
