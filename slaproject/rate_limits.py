"""One rate-limit mechanism for the public endpoints (SPEC section 1).

Counters live in the shared cache (``CACHES["default"]``: Redis when ``REDIS_URL`` is set, so
every web process and machine counts together; each process's memory otherwise). A limit is a
list of ``(count, seconds)`` rates per scope in the ``RATE_LIMITS`` setting; each rate is a
fixed window: at most ``count`` hits per ``seconds``, counted with the cache's atomic ``incr``.
A refused request gets 429 with ``Retry-After``: a page, or ``{"errors": {"": [...]}}`` under
``/api/``. ``RATE_LIMITS_ENABLED`` (read at request time) switches every limit off.

Use ``@rate_limited("scope")`` on a public view (it counts per client address; requests made
with an API token are limited per token by the API's ``slaproject.api.ApiAuth`` instead), or
``rate_limit_response(request, scope=..., key=...)`` to count by another key, as ``ApiAuth``
does per token (scope ``api_token``).

The cache fails open: if it cannot be reached, requests are let through (and logged), so that a
cache outage never takes the request form down.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from slaproject.client_address import client_address

logger = logging.getLogger(__name__)

Rate = tuple[int, int]  # (count, seconds)
View = Callable[..., HttpResponse]


# Counters are keyed by a generation that changes only when Django announces a settings change:
# never in production, but in tests whenever one overrides settings (pytest-django's
# ``settings`` fixture, ``override_settings``). Each such test starts with fresh counters, even
# on a Redis that parallel test processes share, and nobody else's counters are touched.
_generation = "0"


@receiver(setting_changed)
def _new_generation(**kwargs: Any) -> None:
    global _generation
    _generation = uuid.uuid4().hex[:12]


def limits_enabled() -> bool:
    return bool(getattr(settings, "RATE_LIMITS_ENABLED", True))


def _rates(scope: str) -> Sequence[Rate]:
    configured = getattr(settings, "RATE_LIMITS", {}) or {}
    if scope not in configured:
        raise KeyError(f"No rate limit for the scope {scope!r} in settings.RATE_LIMITS")
    return configured[scope]


def _hit(key: str, seconds: int) -> int:
    """Count one hit on ``key`` (which expires after its window) and return the total."""
    timeout = seconds + 60  # outlives its window: the key never expires while it is counted
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def retry_after(*, scope: str, key: str) -> int | None:
    """Count this request against every rate of ``scope`` for ``key``; the seconds to wait when
    one of them is exceeded, else None. Counts even when refused (a flood stays refused)."""
    now = time.time()
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    wait = 0.0
    for count, seconds in _rates(scope):
        window = int(now // seconds)
        total = _hit(f"ratelimit:{_generation}:{scope}:{digest}:{seconds}:{window}", seconds)
        if total > count:
            wait = max(wait, (window + 1) * seconds - now)
    return math.ceil(wait) if wait > 0 else None


def too_many_requests(request: HttpRequest, *, wait: int) -> HttpResponse:
    """429: JSON under /api/, else a page; with ``Retry-After``."""
    if wait >= 120:
        minutes = math.ceil(wait / 60)
        when = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    else:
        when = ngettext("%(count)d second", "%(count)d seconds", wait) % {"count": wait}
    message = _("Too many requests from you in a short time. Please try again in %(when)s.") % {
        "when": when
    }
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"errors": {"": [message]}}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limit_response(request: HttpRequest, *, scope: str, key: str) -> HttpResponse | None:
    """The 429 answer when ``key`` is over the limits of ``scope``, else None (and counted)."""
    if not limits_enabled():
        return None
    try:
        wait = retry_after(scope=scope, key=key)
    except Exception:  # the cache is down: let the request through rather than fail it
        logger.exception("Rate limit of %s not checked: the cache failed", scope)
        return None
    return None if wait is None else too_many_requests(request, wait=wait)


def rate_limited(scope: str, *, methods: Iterable[str] = ("POST",)) -> Callable[[View], View]:
    """Limit a view per client address by ``settings.RATE_LIMITS[scope]``, for ``methods`` only
    (a form's page may be shown freely; its submissions count). Requests made with a valid API
    token are left to the per-token limit of the API."""
    limited = frozenset(method.upper() for method in methods)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in limited and getattr(request, "api_token", None) is None:
                refusal = rate_limit_response(
                    request, scope=scope, key=f"address:{client_address(request)}"
                )
                if refusal is not None:
                    return refusal
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
