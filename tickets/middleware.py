"""Request middleware of the agents' side."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from settings_app.selectors import sla_config_get
from slaproject.api import is_agent
from tickets.selectors import viewer_zone


class AdminTimeZoneMiddleware:
    """The Django admin in the viewer's time zone (their preference, else the SLA schedule's),
    as the agents' pages are; the admin's header names it (templates/admin/base_site.html).

    Only under the admin's URL: the agents' pages activate the zone themselves around rendering,
    and other requests need no extra query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefix = ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.prefix:
            self.prefix = reverse("admin:index")
        user = getattr(request, "user", None)
        if not request.path.startswith(self.prefix) or user is None or not is_agent(user):
            return self.get_response(request)
        zone = viewer_zone(user, default=sla_config_get().schedule.zone)
        with timezone.override(zone):
            return self.get_response(request)
