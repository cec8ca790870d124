"""The client's IP address, decided in one place for throttles, logs and the admin.

``X-Forwarded-For`` is believed only as far as configured proxies vouch for it:

- ``TRUSTED_PROXY_COUNT = N``: exactly N reverse proxies stand in front of the app, each appending
  the address it saw, so the client is the N-th entry from the right. Entries further left are
  whatever the client sent and are ignored.
- ``TRUSTED_PROXY_NETWORKS``: walk the chain from the nearest hop (``REMOTE_ADDR``) leftwards while
  the hop lies in a trusted network; the first address outside them is the client.

With neither set (the default) the header is ignored and the TCP peer (``REMOTE_ADDR``) is the client.
``ClientIpMiddleware`` resolves it once per request and writes it back to ``REMOTE_ADDR``, so Django,
DRF and every log line see the same answer; Daphne must run without ``--proxy-headers`` (which would
believe the leftmost, client-chosen entry).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

RESOLVED_KEY = "spg.client_ip"  # request.META key holding the resolved address
PEER_KEY = "spg.peer_addr"  # the TCP peer, before resolution
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(specs: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs if spec.strip())


def parse_networks(specs: Iterable[str]) -> tuple[_Network, ...]:
    """Networks from strings like ``10.0.0.0/8`` or ``::1``; raises ValueError on a bad one."""
    return _networks(tuple(specs))


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def in_networks(address: str, networks: Iterable[_Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def resolve(meta: Mapping[str, str], proxy_count: int, proxy_networks: Iterable[str]) -> str:
    """The client address for a request's ``META`` under the given trust settings."""
    remote = meta.get("REMOTE_ADDR", "") or ""
    networks = parse_networks(proxy_networks)
    if not proxy_count and not networks:
        return remote
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if networks:
        if not in_networks(remote, networks):
            return remote  # not from a trusted proxy: its header means nothing
        for hop in reversed(hops):
            if _address(hop) is None:
                return remote  # a malformed hop: do not let it name the client
            if not in_networks(hop, networks):
                return hop
        return hops[0] if hops else remote
    if len(hops) < proxy_count:
        return remote  # fewer hops than proxies: the request did not come through them all
    hop = hops[-proxy_count]
    return hop if _address(hop) is not None else remote


def client_ip(request: HttpRequest) -> str:
    """The request's client address (resolved once; see the module docstring)."""
    meta = request.META
    if RESOLVED_KEY not in meta:
        meta[RESOLVED_KEY] = resolve(meta, settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_NETWORKS)
    return meta[RESOLVED_KEY]


class ClientIpMiddleware:
    """Resolve the client address first, and make ``REMOTE_ADDR`` say it for everything after."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.setdefault(PEER_KEY, request.META.get("REMOTE_ADDR", ""))
        request.META["REMOTE_ADDR"] = client_ip(request)
        return self.get_response(request)
