"""Request middleware of the agents' side."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from slaproject.api import is_agent
from tickets.selectors import agent_zone_and_language


class ViewerTimeZoneMiddleware:
    """Every page an agent sees, the Django admin's too, in the viewer's time zone and language:
    their preferences, else the SLA schedule's zone and the browser's language (which Django's
    ``LocaleMiddleware``, earlier in the chain, has activated); one query
    (``tickets.selectors.agent_zone_and_language``). Both are active for the request: templates
    show moments in the zone (``viewer_zone`` in their context comes from
    ``slaproject.context_processors``) and views that format a moment take it from
    ``timezone.get_current_timezone()``, so no view asks another for it.

    Others (signed-out visitors, customers, API clients with a token, who are not known yet
    here) keep the server's zone and the browser's language, with no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not is_agent(user):
            return self.get_response(request)
        zone, language = agent_zone_and_language(user)  # one query
        if language not in {code for code, _name in settings.LANGUAGES}:
            with timezone.override(zone):
                return self.get_response(request)
        with timezone.override(zone), translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        response.headers["Content-Language"] = language
        return response
