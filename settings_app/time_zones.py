"""Which IANA time zone names the help desk accepts: one rule for the settings page, the settings
API, the Django admin, the agents' time-zone preference and the business-time core.

A pure module (standard library only: ``business_time`` relies on it). Refused, as SPEC section 2
lists them: ``localtime`` (the host's own setting, not a zone), ``Factory`` (a placeholder zone),
``posixrules``, and the ``posix/…`` and ``right/…`` copies of the database (``right/`` counts leap
seconds, which moves every moment 27 s away from the rest of the world). Every other name the
zone database knows is accepted and kept exactly as written: ``UTC``, ``Europe/Stockholm``, and
links such as ``US/Eastern``.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "REFUSED_NAMES",
    "REFUSED_PREFIXES",
    "allowed_zones",
    "canonical_zone",
    "is_allowed_zone",
    "is_refused_name",
    "load_zone",
]

REFUSED_NAMES = frozenset({"localtime", "Factory", "posixrules"})
REFUSED_PREFIXES = ("posix/", "right/")
# The longest name a stored zone may have (the columns that keep one are 64 characters).
MAX_NAME_LENGTH = 64


def is_refused_name(name: str) -> bool:
    """True for the names SPEC refuses even though the zone database has them."""
    return name in REFUSED_NAMES or name.startswith(REFUSED_PREFIXES)


def load_zone(name: object) -> ZoneInfo:
    """The zone called ``name``; ``ValueError`` for an unknown or refused name."""
    if not isinstance(name, str):
        raise ValueError(f"A time zone is an IANA name such as 'Europe/Stockholm', got {name!r}")
    if not name or len(name) > MAX_NAME_LENGTH or name != name.strip() or is_refused_name(name):
        raise ValueError(f"Unknown time zone: {name[:80]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"Unknown time zone: {name[:80]!r}") from None


def is_allowed_zone(name: object) -> bool:
    try:
        load_zone(name)
    except ValueError:
        return False
    return True


@cache
def allowed_zones() -> tuple[str, ...]:
    """Every accepted zone name, sorted (for select lists; built once, about 0.1 s)."""
    return tuple(sorted(name for name in available_timezones() if is_allowed_zone(name)))


def canonical_zone(name: str) -> str | None:
    """The accepted zone a stored ``name`` stands for: itself when accepted, the zone that a
    ``posix/`` or ``right/`` copy names, else None (``localtime``, ``Factory``, unknown)."""
    if is_allowed_zone(name):
        return name
    for prefix in REFUSED_PREFIXES:
        if name.startswith(prefix) and is_allowed_zone(name.removeprefix(prefix)):
            return name.removeprefix(prefix)
    return None
