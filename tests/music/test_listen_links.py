"""Listen links and the M3U / XSPF exports (apps.music.api), for every song including odd titles."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import pytest
from defusedxml import ElementTree

from apps.music import api

ODD_SONGS = [
    {"id": 1, "title": "Don't Stop Me Now", "artist": "Queen", "album": "Jazz", "url": None},
    {"id": 2, "title": 'Say "Hello" & <Goodbye>', "artist": "Tom & Jerry's Band", "album": "", "url": ""},
    {"id": 3, "title": "Happy 😀 Days 🎸", "artist": "Émilie Ça-Va", "album": "Fête", "url": "https://example.com/song?id=3&x=1"},
    {"id": 4, "title": "100% #1 / a+b=c?", "artist": "AC/DC", "album": "", "url": "javascript:alert(1)"},
    {"id": 5, "title": "Line\nbreak\r\nsong", "artist": "Tab\there", "album": "", "url": "ftp://example.com/x.mp3"},
    {"id": 6, "title": "Null\x01byte", "artist": "  ", "album": "", "url": "http://"},
]
XSPF = "{http://xspf.org/ns/0/}"
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%")


def _search_words(link: str) -> str:
    parts = urlsplit(link)
    encoded = parts.query.split("=", 1)[1] if parts.query else parts.path.rsplit("/", 1)[1]
    assert set(encoded) <= UNRESERVED, f"unencoded characters in {link!r}"
    return unquote(encoded)


@pytest.mark.parametrize("song", ODD_SONGS, ids=[str(song["id"]) for song in ODD_SONGS])
def test_every_song_gets_a_well_formed_link_per_chosen_player(song, settings):
    settings.LISTEN_PLAYERS = ["spotify", "youtube_music", "apple_music", "deezer"]
    links = api.listen_links(song["title"], song["artist"], song["url"])
    search = [link for link in links if link["player"] != "own"]
    assert [link["player"] for link in search] == settings.LISTEN_PLAYERS
    expected_words = " ".join(part.strip() for part in (song["artist"], song["title"]) if part.strip())
    for link in search:
        parts = urlsplit(link["url"])
        assert parts.scheme == "https" and parts.hostname and parts.fragment == ""
        assert _search_words(link["url"]) == expected_words  # every character survives, none escapes its place
        assert not any(ch.isspace() or ord(ch) < 32 or ord(ch) > 126 for ch in link["url"])


def test_the_songs_own_web_url_comes_first_and_other_schemes_are_dropped(settings):
    settings.LISTEN_PLAYERS = ["youtube"]
    own = api.listen_links("Happy", "X", "https://example.com/song?id=3&x=1")
    assert own[0] == {"player": "own", "name": "Listen", "url": "https://example.com/song?id=3&x=1"}
    assert [link["player"] for link in own] == ["own", "youtube"]
    for url in ("javascript:alert(1)", "ftp://example.com/x.mp3", "http://", "", None, "https://exa mple.com/"):
        assert [link["player"] for link in api.listen_links("Happy", "X", url)] == ["youtube"]


def test_the_setting_chooses_the_players_and_an_unknown_one_fails_the_checks(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.LISTEN_PLAYERS = []
    assert api.listen_links("T", "A") == [] and api.listen_players() == []
    settings.LISTEN_PLAYERS = ["apple_music", " spotify", ""]  # as env.list reads "apple_music, spotify,"
    assert [p["key"] for p in api.listen_players()] == ["apple_music", "spotify"]
    assert all("{query}" in p["search_url"] for p in api.listen_players())
    settings.LISTEN_PLAYERS = ["spotify", "napster"]
    with pytest.raises(SystemCheckError, match="napster"):
        call_command("check")


def test_m3u_has_one_entry_with_the_best_link_per_song(settings):
    settings.LISTEN_PLAYERS = ["spotify", "youtube"]
    text = api.playlist_as_m3u({"songs": ODD_SONGS}, "Towards happiness")
    lines = text.splitlines()
    assert lines[:2] == ["#EXTM3U", "#PLAYLIST:Towards happiness"] and text.endswith("\n")
    entries = lines[2:]
    assert len(entries) == 2 * len(ODD_SONGS)
    for song, (info, location) in zip(ODD_SONGS, zip(entries[::2], entries[1::2], strict=True), strict=True):
        assert info.startswith("#EXTINF:-1,") and "\n" not in info and "\r" not in info
        assert location == api.listen_links(song["title"], song["artist"], song["url"])[0]["url"]
        assert urlsplit(location).scheme in ("http", "https")
    assert entries[5] == "https://example.com/song?id=3&x=1"  # the own link wins
    assert entries[1].startswith("https://open.spotify.com/search/")


def test_with_no_player_chosen_a_song_without_its_own_link_stays_a_comment(settings):
    settings.LISTEN_PLAYERS = []
    lines = api.playlist_as_m3u({"songs": ODD_SONGS[1:3]}, "T").splitlines()
    assert lines[2:] == ["# Tom & Jerry's Band - Say \"Hello\" & <Goodbye> (no link available)", "#EXTINF:-1,Émilie Ça-Va - Happy 😀 Days 🎸",
                         "https://example.com/song?id=3&x=1"]
    tracks = _validate_xspf(api.playlist_as_xspf({"songs": ODD_SONGS[1:3]}, "T")).find(f"{XSPF}trackList")
    assert [len(track.findall(f"{XSPF}location")) for track in tracks] == [0, 1]


def _validate_xspf(document: bytes) -> ElementTree:
    """XSPF 1 (https://xspf.org/spec): the elements, their order and cardinality, URIs where URIs go."""
    root = ElementTree.fromstring(document)
    assert root.tag == f"{XSPF}playlist" and root.get("version") == "1"
    playlist_order = ["title", "creator", "annotation", "info", "location", "identifier", "image", "date", "license",
                      "attribution", "link", "meta", "extension", "trackList"]
    track_order = ["location", "identifier", "title", "creator", "annotation", "info", "image", "album", "trackNum",
                   "duration", "link", "meta", "extension"]
    repeatable = {"location", "identifier", "link", "meta", "extension"}

    def check_children(element, order):
        names = [child.tag.removeprefix(XSPF) for child in element]
        assert all(child.tag.startswith(XSPF) for child in element), names
        assert all(name in order for name in names), names
        assert [order.index(n) for n in names] == sorted(order.index(n) for n in names), f"out of order: {names}"
        assert all(names.count(n) == 1 for n in set(names) - repeatable), names
        return names

    assert check_children(root, playlist_order).count("trackList") == 1
    for track in root.find(f"{XSPF}trackList"):
        assert track.tag == f"{XSPF}track"
        check_children(track, track_order)
        for location in track.findall(f"{XSPF}location"):
            parts = urlsplit(location.text)
            assert parts.scheme in ("http", "https") and parts.hostname and " " not in location.text
        number = track.find(f"{XSPF}trackNum")
        assert number is None or int(number.text) > 0
    return root


def test_xspf_validates_and_keeps_every_song_as_written(settings):
    from datetime import UTC, datetime

    settings.LISTEN_PLAYERS = ["spotify", "apple_music"]
    document = api.playlist_as_xspf({"songs": ODD_SONGS}, "Towards <happiness> & more", created_at=datetime(2026, 11, 30, tzinfo=UTC))
    assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = _validate_xspf(document)
    assert root.find(f"{XSPF}title").text == "Towards <happiness> & more"
    assert root.find(f"{XSPF}date").text == "2026-11-30T00:00:00+00:00"
    tracks = root.find(f"{XSPF}trackList").findall(f"{XSPF}track")
    assert len(tracks) == len(ODD_SONGS)
    for number, (song, track) in enumerate(zip(ODD_SONGS, tracks, strict=True), start=1):
        locations = [element.text for element in track.findall(f"{XSPF}location")]
        assert locations == [link["url"] for link in api.listen_links(song["title"], song["artist"], song["url"])]
        assert track.find(f"{XSPF}trackNum").text == str(number)
        title = track.find(f"{XSPF}title").text
        # One line, and XML 1.0 cannot carry \x01; everything else survives.
        assert title == re.sub(r"[\r\n]+", " ", song["title"]).replace("\x01", "")
    assert tracks[2].find(f"{XSPF}title").text == "Happy 😀 Days 🎸"
    assert tracks[1].find(f"{XSPF}creator").text == "Tom & Jerry's Band"
    assert tracks[5].find(f"{XSPF}creator") is None  # a blank artist is left out, not written empty
