"""Derive per-purpose Redis URLs (separate DB indexes) from one REDIS_URL."""

from urllib.parse import urlsplit, urlunsplit


def redis_db_url(url: str, db: int) -> str:
    """Return ``url`` pointing at database ``db`` (TCP and TLS URLs; the path holds the index)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))
