"""Template context for every page."""

from __future__ import annotations

from datetime import tzinfo

from django.http import HttpRequest
from django.utils import timezone


def viewer_zone(request: HttpRequest) -> dict[str, tzinfo]:
    """``viewer_zone``: the zone the page's moments are shown in (the active one, which
    ``tickets.middleware.ViewerTimeZoneMiddleware`` sets for agents)."""
    return {"viewer_zone": timezone.get_current_timezone()}
