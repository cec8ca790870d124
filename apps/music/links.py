"""Listen links: where a song can be played, without any account or key on our side.

The song's own ``url`` comes first when it is a web link; then one search link per player chosen by
the ``LISTEN_PLAYERS`` setting, built from "artist title". The query is percent-encoded as RFC 3986
(only ``A-Za-z0-9-._~`` stay as they are), the same encoding ``static/js/listen.js`` applies, so a
quote, an ampersand or an emoji in a title can never break or extend the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Player:
    key: str
    name: str
    search_url: str  # "{query}" is replaced by the percent-encoded "artist title"


PLAYERS: dict[str, Player] = {
    player.key: player
    for player in (
        Player("spotify", "Spotify", "https://open.spotify.com/search/{query}"),
        Player("youtube_music", "YouTube Music", "https://music.youtube.com/search?q={query}"),
        Player("apple_music", "Apple Music", "https://music.apple.com/search?term={query}"),
        Player("deezer", "Deezer", "https://www.deezer.com/search/{query}"),
        Player("youtube", "YouTube", "https://www.youtube.com/results?search_query={query}"),
        Player("soundcloud", "SoundCloud", "https://soundcloud.com/search?q={query}"),
    )
}
OWN_LINK = "own"


@dataclass(frozen=True)
class ListenLink:
    player: str  # "own" for the song's own url, else a key of PLAYERS
    name: str
    url: str

    def to_dict(self) -> dict:
        return {"player": self.player, "name": self.name, "url": self.url}


def chosen_players() -> tuple[Player, ...]:
    """The players of the ``LISTEN_PLAYERS`` setting, in its order (an unknown key is a configuration error)."""
    keys = [str(key).strip() for key in getattr(settings, "LISTEN_PLAYERS", ()) if str(key).strip()]  # "spotify, deezer" works
    unknown = [key for key in keys if key not in PLAYERS]
    if unknown:
        raise ImproperlyConfigured(f"LISTEN_PLAYERS: unknown player(s) {', '.join(unknown)}; choose from {', '.join(PLAYERS)}")
    return tuple(PLAYERS[key] for key in keys)


def web_url(value: object) -> str | None:
    """``value`` if it is an absolute http(s) link with a host, else None (``javascript:`` and the like are dropped)."""
    if not isinstance(value, str) or not value or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme in ("http", "https") and parts.hostname else None


def search_query(title: str, artist: str) -> str:
    words = " ".join(part.strip() for part in (artist, title) if part and part.strip())
    return quote(words, safe="")


def listen_links(title: str, artist: str, url: object = None) -> tuple[ListenLink, ...]:
    """The song's own link (when it has a web url), then one search link per chosen player."""
    links = []
    own = web_url(url)
    if own:
        links.append(ListenLink(OWN_LINK, "Listen", own))
    query = search_query(title, artist)
    links.extend(ListenLink(player.key, player.name, player.search_url.format(query=query)) for player in chosen_players())
    return tuple(links)


def best_link(title: str, artist: str, url: object = None) -> str | None:
    """The link an exported playlist carries for a song: its own url, else the first chosen player's search."""
    links = listen_links(title, artist, url)
    return links[0].url if links else None
