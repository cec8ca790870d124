"""Start-up checks of the music app's settings."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from apps.music.links import chosen_players


@checks.register(checks.Tags.compatibility)
def listen_players_known(app_configs=None, **_: object) -> list[checks.CheckMessage]:
    try:
        chosen_players()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="music.E001")]
    return []
