"""Every saved or deleted song changes the catalog version (bulk imports bump it once themselves)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.music.models import Song
from apps.music.services import bump_catalog_version


@receiver(post_save, sender=Song, dispatch_uid="music.song_saved")
@receiver(post_delete, sender=Song, dispatch_uid="music.song_deleted")
def _song_changed(sender, **kwargs) -> None:
    bump_catalog_version()
