"""``GET /healthz``: the health of the running system as JSON, for load balancers and monitors.

No sign-in (a monitor has none) and nothing sensitive in it (``slaproject.health.selectors``);
200 when all is well, 503 when the database or broker does not answer or a heartbeat is stale.

A 503 here is the answer a monitor asked for, not a failure of the request: it is not logged as
a server error on every probe (Django's ``django.request`` would log each one at ERROR). What
fails is logged at WARNING when it starts failing, at INFO when all is well again, per process.
"""

from __future__ import annotations

import logging
import threading

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from slaproject.health.selectors import health_report

logger = logging.getLogger(__name__)
_last_failing: frozenset[str] = frozenset()
_last_lock = threading.Lock()


def _log_change(failing: frozenset[str]) -> None:
    """Log when the set of failing checks changes (not on every probe)."""
    global _last_failing
    with _last_lock:
        before, _last_failing = _last_failing, failing
    if failing and failing != before:
        logger.warning("Health check failing: %s", ", ".join(sorted(failing)))
    elif before and not failing:
        logger.info("Health check passing again (was failing: %s)", ", ".join(sorted(before)))


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report(now=timezone.now())
    _log_change(frozenset(name for name, check in report["checks"].items() if not check["ok"]))
    response = JsonResponse(report, status=200 if report["ok"] else 503)
    # Django's log_response skips a response already logged: a 503 here is not a server error.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
