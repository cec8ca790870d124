from django.apps import AppConfig


class MusicConfig(AppConfig):
    name = "apps.music"
    label = "music"
    default_auto_field = "django.db.models.BigAutoField"
