"""Request middleware of the agents' side."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from slaproject.api import is_agent
from tickets.selectors import agent_zone


class ViewerTimeZoneMiddleware:
    """Every page an agent sees, the Django admin's too, in the viewer's time zone: their
    preference, else the SLA schedule's (``tickets.selectors.agent_zone``, one query). It is the
    active zone for the request: templates show moments in it (``viewer_zone`` in their context
    comes from ``slaproject.context_processors``) and views that format a moment take it from
    ``timezone.get_current_timezone()``, so no view asks another for it.

    Others (signed-out visitors, customers, API clients with a token, who are not known yet
    here) keep the server's zone, with no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not is_agent(user):
            return self.get_response(request)
        zone = agent_zone(user)  # one query
        with timezone.override(zone):
            return self.get_response(request)
