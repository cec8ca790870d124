"""The JWT pair handed to clients. Free of Django imports, so ``api`` can import it before app loading."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: int  # epoch seconds
    refresh_expires_at: int

    def to_dict(self) -> dict[str, str]:
        return {"access": self.access, "refresh": self.refresh}
