"""A playlist as a file for other players: M3U (extended) and XSPF 1 (https://xspf.org/spec).

Every song carries its best listen link as its location (``links.best_link``: its own url, else a
search link), so every entry opens somewhere. XSPF lists the other links as further ``location``s
(a player renders only one of them). Neither format carries what the person wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from xml.etree import ElementTree

from apps.music.links import best_link, listen_links

XSPF_NAMESPACE = "http://xspf.org/ns/0/"
M3U_MEDIA_TYPE = "audio/x-mpegurl"
XSPF_MEDIA_TYPE = "application/xspf+xml"
CREATOR = "Sentiment Playlist Generator"
# XML 1.0 cannot carry most control characters, even escaped; a title with one loses just that character.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _one_line(value: object) -> str:
    return re.sub(r"[\r\n]+", " ", str(value or "")).strip()


def _songs(playlist: Mapping) -> Iterable[Mapping]:
    return playlist.get("songs") or ()


def as_m3u(playlist: Mapping, title: str) -> str:
    """Extended M3U: ``#EXTINF:-1,Artist - Title`` then the song's best link, per song."""
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(title)}"]
    for song in _songs(playlist):
        name = f"{_one_line(song.get('artist')) or 'Unknown artist'} - {_one_line(song.get('title')) or 'Untitled'}"
        location = best_link(song.get("title") or "", song.get("artist") or "", song.get("url"))
        # An entry needs a location; with no player chosen and no own link the song stays as a comment.
        lines += [f"#EXTINF:-1,{name}", location] if location else [f"# {name} (no link available)"]
    return "\n".join(lines) + "\n"


def _text(parent: ElementTree.Element, tag: str, value: object) -> None:
    text = _NOT_XML.sub("", _one_line(value))
    if text:
        ElementTree.SubElement(parent, f"{{{XSPF_NAMESPACE}}}{tag}").text = text


def as_xspf(playlist: Mapping, title: str, created_at: datetime | None = None, annotation: str = "") -> bytes:
    """XSPF version 1, UTF-8: one ``track`` per song, its listen links as ``location``s (best first)."""
    ElementTree.register_namespace("", XSPF_NAMESPACE)
    root = ElementTree.Element(f"{{{XSPF_NAMESPACE}}}playlist", {"version": "1"})
    _text(root, "title", title)
    _text(root, "creator", CREATOR)
    _text(root, "annotation", annotation)
    if created_at is not None:
        _text(root, "date", created_at.isoformat())
    tracks = ElementTree.SubElement(root, f"{{{XSPF_NAMESPACE}}}trackList")
    for number, song in enumerate(_songs(playlist), start=1):
        track = ElementTree.SubElement(tracks, f"{{{XSPF_NAMESPACE}}}track")
        for link in listen_links(song.get("title") or "", song.get("artist") or "", song.get("url")):
            _text(track, "location", link.url)
        _text(track, "title", song.get("title"))
        _text(track, "creator", song.get("artist"))
        _text(track, "album", song.get("album"))
        _text(track, "trackNum", number)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
