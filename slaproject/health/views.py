"""``GET /healthz``: the health of the running system as JSON, for load balancers and monitors.

No sign-in (a monitor has none) and nothing sensitive in it (``slaproject.health.selectors``);
200 when all is well, 503 when the database or broker does not answer or a heartbeat is stale.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from slaproject.health.selectors import health_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report(now=timezone.now())
    return JsonResponse(report, status=200 if report["ok"] else 503)
