"""The API's list, create and message requests on the benchmark database, for old-vs-new runs.

    .venv/bin/python bench/api_requests.py [--db api_bench_100k] [--requests 100]

Through Django's test client in-process with an agent's API token: the ticket list
(``?sla_status=overdue`` and no filter, 25 a page), creating a ticket, and a customer message
on it. Prints p50 and p95 of each, of the wall time and of this process's CPU time (the Python
side; steadier than the wall time on a busy machine). To compare two commits, run this same
file from a checkout of each (copy it there when the older one lacks it), alternating, on the
same database (fill it once with ``bench/generate.py --db NAME --tickets 100000``).
"""

from __future__ import annotations

import argparse
import json
import time

from common import django_setup, percentile

NEW_TICKET = {"subject": "Printer on fire", "body": "Help!", "requester_email": "c@example.com"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="api_bench_100k")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    django_setup(args.db)

    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from tickets.api_auth.models import ApiToken
    from tickets.models import Ticket

    agent = get_user_model().objects.get(username="agent")
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(user=agent, key=key, name="bench")
    client = Client(HTTP_HOST="localhost", headers={"Authorization": f"Token {key}"})
    created: list[int] = []

    def create() -> object:
        response = client.post("/api/tickets/", json.dumps(NEW_TICKET), "application/json")
        assert response.status_code == 201, response.content
        created.append(response.json()["id"])
        return response

    def message() -> object:
        body = json.dumps({"body": "Any news?", "author": "customer"})
        response = client.post(f"/api/tickets/{created[-1]}/messages/", body, "application/json")
        assert response.status_code == 201, response.content
        return response

    def get(path: str):  # noqa: ANN202
        def request() -> object:
            response = client.get(path)
            assert response.status_code == 200, response.content
            return response

        return request

    requests = {
        "list overdue": get("/api/tickets/?sla_status=overdue"),
        "list, no filter": get("/api/tickets/"),
        "create a ticket": create,
        "customer message": message,
    }
    runs: dict[str, list[float]] = {name: [] for name in requests}
    cpu: dict[str, list[float]] = {name: [] for name in requests}
    with override_settings(RATE_LIMITS_ENABLED=False):
        for request in requests.values():  # warm up
            for _n in range(5):
                request()
        for _n in range(args.requests):
            for name, request in requests.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                request()
                runs[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((time.process_time() - cpu_started) * 1000)
    Ticket.objects.filter(pk__in=created).delete()
    token.delete()
    for name, times in runs.items():
        used = cpu[name]
        print(
            f"| {args.label} | {name} | {percentile(times, 0.5):.1f} ms | "
            f"{percentile(times, 0.95):.1f} ms | {percentile(used, 0.5):.1f} ms | "
            f"{percentile(used, 0.95):.1f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
