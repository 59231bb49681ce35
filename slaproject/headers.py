"""Response headers that protect every page: Permissions-Policy on all responses, and
``Cache-Control: no-store`` on every response to a signed-in user or an API token, so that no
browser, proxy or shared computer keeps a copy of what only that user may see.

Content-Security-Policy itself comes from django-csp (``CONTENT_SECURITY_POLICY`` in settings).
Static files never reach this middleware (WhiteNoise answers them first, with their own
long-lived caching).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def is_authenticated_request(request: HttpRequest) -> bool:
    """True for a signed-in session or a request that carries credentials (an API token)."""
    if "Authorization" in request.headers:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        # Read after the view: the API sets request.user from a token inside the view.
        if is_authenticated_request(request):
            response["Cache-Control"] = "no-store"
        return response
