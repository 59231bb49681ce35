"""The ticket list endpoint on three ways of serving it, on one database, interleaved.

    .venv/bin/python bench/api_frameworks.py [--db api_bench_100k] [--rounds 10] [--requests 30]

Issue 21 chose between Django REST Framework and django-ninja by this. The same work (the
queue's filter form, the list and count selectors, the page, ``ticket_json`` for each row) is
served three ways with an agent's API token:

- ``ninja``: the app's own ``GET /api/tickets/`` (django-ninja; the page validated against the
  ``TicketPage`` schema before it is written);
- ``drf``: a DRF ``APIView`` with token authentication, an agent permission and DRF's
  ``JSONRenderer`` (needs ``pip install djangorestframework``; left out when missing);
- ``plain``: a plain Django view returning ``JsonResponse`` (as the hand-written API did).

Each round runs every variant for ``--requests`` requests in turn, so a busy machine slows all
of them alike; p50 and p95 over all rounds are printed per request, of the wall time and of this
process's CPU time (Python's share: where the frameworks differ; PostgreSQL's is the same for
all three and runs in its own process). Fill the database first with
``bench/generate.py --db NAME --tickets 100000``.
"""

from __future__ import annotations

import argparse
import sys
import time
import types
from typing import Any

from common import django_setup, percentile

QUERIES = (
    ("overdue, 25 a page", "?sla_status=overdue"),
    ("no filter, 25 a page", ""),
    ("no filter, 100 a page", "?page_size=100"),
)


def _work(request: Any) -> dict[str, Any]:
    from django.utils import timezone

    from slaproject.api import page_of, paged
    from tickets.api import _filters
    from tickets.selectors import TicketPaginator, ticket_json, tickets_count, tickets_list

    now = timezone.now()
    filters = _filters(request)
    queryset = tickets_list(filters=filters, viewer=request.user, now=now)
    count = tickets_count(tickets=queryset, filters=filters, now=now)
    page = page_of(request, queryset, paginator_class=TicketPaginator, count=count)
    return paged(request, page, [ticket_json(t, now=now) for t in page.object_list])


def _plain_view(request: Any) -> Any:
    from django.http import JsonResponse

    from slaproject.api import _token_user, is_agent

    user, _token, _had = _token_user(request)
    if user is None or not is_agent(user):
        return JsonResponse({"errors": {"": ["no"]}}, status=401)
    request.user = user
    return JsonResponse(_work(request))


def _drf_view() -> Any:
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.permissions import BasePermission
    from rest_framework.renderers import JSONRenderer
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from slaproject.api import _token_user, is_agent

    class TokenAuthentication(BaseAuthentication):
        def authenticate(self, request: Any) -> Any:
            user, _token, _had = _token_user(request._request)
            return None if user is None else (user, None)

        def authenticate_header(self, request: Any) -> str:
            return "Token"

    class IsAgent(BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            return bool(request.user and request.user.is_authenticated and is_agent(request.user))

    class Tickets(APIView):
        authentication_classes = [TokenAuthentication]
        permission_classes = [IsAgent]
        renderer_classes = [JSONRenderer]

        def get(self, request: Any) -> Any:
            request._request.user = request.user
            return Response(_work(request._request))

    return Tickets.as_view()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="api_bench_100k")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    django_setup(args.db)

    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings
    from django.urls import path

    import slaproject.urls
    from tickets.api_auth.models import ApiToken

    patterns = [*slaproject.urls.urlpatterns, path("bench/plain/tickets/", _plain_view)]
    variants = {"ninja": "/api/tickets/", "plain": "/bench/plain/tickets/"}
    try:
        patterns.append(path("bench/drf/tickets/", _drf_view()))
        variants["drf"] = "/bench/drf/tickets/"
    except ImportError:
        print("djangorestframework is not installed: drf left out", file=sys.stderr)
    urls = types.ModuleType("bench_api_urls")
    urls.urlpatterns = patterns  # type: ignore[attr-defined]
    sys.modules["bench_api_urls"] = urls

    agent = get_user_model().objects.get(username="agent")
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(user=agent, key=key, name="bench")
    client = Client(HTTP_HOST="localhost", headers={"Authorization": f"Token {key}"})
    runs: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    with override_settings(ROOT_URLCONF="bench_api_urls", RATE_LIMITS_ENABLED=False):
        for _label, query in QUERIES:  # same answers everywhere, and warm caches
            answers = {name: client.get(url + query).json() for name, url in variants.items()}
            for answer in answers.values():  # the links name each variant's own address
                answer["next"] = answer["next"] and answer["next"].split("?")[1]
            assert all(answer == answers["plain"] for answer in answers.values()), _label
        for _round in range(args.rounds):
            for label, query in QUERIES:
                for name, url in variants.items():
                    times = runs.setdefault((label, name), [])
                    cpu_times = cpu.setdefault((label, name), [])
                    for _n in range(args.requests):
                        started, cpu_started = time.perf_counter(), time.process_time()
                        response = client.get(url + query)
                        times.append((time.perf_counter() - started) * 1000)
                        cpu_times.append((time.process_time() - cpu_started) * 1000)
                        assert response.status_code == 200
    token.delete()
    print("| request | variant | p50 | p95 | this process's CPU p50 | CPU p95 |")
    print("|---|---|---|---|---|---|")
    for (label, name), times in runs.items():
        used = cpu[(label, name)]
        print(
            f"| {label} | {name} | {percentile(times, 0.5):.1f} ms | "
            f"{percentile(times, 0.95):.1f} ms | {percentile(used, 0.5):.1f} ms | "
            f"{percentile(used, 0.95):.1f} ms |"
        )


if __name__ == "__main__":
    main()
