"""The per-event path: create a ticket, add a message (customer, then a public agent reply).

    .venv/bin/python bench/events.py [--db bench_q100000] [--requests 300]

Through the JSON API with Django's test client (in-process: view, services, ORM and database) as
an agent with a token, on a database filled by ``bench/generate.py``; p50 and p95 per request.
"""

from __future__ import annotations

import argparse
import json
import time

from common import django_setup, percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench_q100000")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    django_setup(args.db)

    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from tickets.api_auth.models import ApiToken
    from tickets.models import Ticket

    agent = get_user_model().objects.get(username="agent")
    token = ApiToken.objects.create(user=agent, key=ApiToken.generate_key(), name="bench")
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {token.key}")
    print(f"{Ticket.objects.count():,} tickets in the database")

    def post(path: str, body: dict) -> dict:
        response = client.post(path, json.dumps(body), content_type="application/json")
        assert response.status_code == 201, response.content
        return response.json()

    timings: dict[str, list[float]] = {"create": [], "customer message": [], "agent reply": []}
    # The API's per-token rate limit (1,200 requests a minute since issue "no brute force") would
    # refuse a run that follows another within the same minute; api_requests.py does the same.
    limits_off = override_settings(RATE_LIMITS_ENABLED=False)
    limits_off.enable()
    for index in range(args.requests + 10):
        started = time.perf_counter()
        ticket = post(
            "/api/tickets/",
            {
                "subject": f"Bench ticket {index}",
                "body": "Something broke.",
                "requester_email": "bench@example.com",
                "priority": "high",
            },
        )
        created = time.perf_counter()
        post(
            f"/api/tickets/{ticket['id']}/messages/", {"body": "More detail.", "author": "customer"}
        )
        customer = time.perf_counter()
        post(f"/api/tickets/{ticket['id']}/messages/", {"body": "On it.", "author": "agent"})
        replied = time.perf_counter()
        if index >= 10:  # warm-up
            timings["create"].append((created - started) * 1000)
            timings["customer message"].append((customer - created) * 1000)
            timings["agent reply"].append((replied - customer) * 1000)
    print("| request | p50 | p95 |\n|---|---|---|")
    for label, runs in timings.items():
        print(f"| {label} | {percentile(runs, 0.5):.1f} ms | {percentile(runs, 0.95):.1f} ms |")
    limits_off.disable()
    token.delete()


if __name__ == "__main__":
    main()
