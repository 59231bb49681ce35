"""The periodic job with and without an active webhook endpoint, on a database filled by
``bench/generate.py``: does telling webhooks slow the sweep?

    .venv/bin/python bench/webhooks.py [--db bench] [--due 10000] [--repeat 5]

Each round makes ``--due`` random active clocks due soon (their due-soon moment a minute ago, as
``bench/sweep.py`` does), then runs the sweep (``sla_sweep``) and the notification step
(``sla_notifications_send``, where SLA emails and webhook deliveries are queued), timing each.
Rounds alternate between no endpoint and one active endpoint subscribed to ``sla.due_soon`` and
``sla.overdue`` (its deliveries are queued to an in-memory broker, never sent), so that drift of
the machine falls on both alike. The deliveries, emails and events a round wrote are deleted
after it.
"""

from __future__ import annotations

import argparse
import datetime
import time

from common import django_setup, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    django_setup(args.db)

    from django.db import connection
    from django.utils import timezone

    from slaproject.celery import app
    from tickets.models import SlaEvent, Ticket
    from tickets.notifications import sla_notifications_send
    from tickets.outbound.models import OutboundEmail
    from tickets.sweep import sla_sweep
    from tickets.webhooks.models import WebhookDelivery, WebhookEndpoint

    app.conf.update(broker_url="memory://", broker_transport_options={})
    now = timezone.now()
    sla_sweep(now=now)  # what became due since the data was generated
    sla_notifications_send(now=now)
    OutboundEmail.objects.filter(created_at=now).delete()
    WebhookEndpoint.objects.all().delete()
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in",
        events=["sla.due_soon", "sla.overdue"],
        secret="whsec_bench",
        is_active=False,
        created_at=now,
        updated_at=now,
    )
    print(f"{Ticket.objects.filter(closed_at__isnull=True).count():,} open tickets")

    def make_due(count: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_slaclock SET due_soon_at = %s, next_check_at = %s "
                "WHERE id IN (SELECT id FROM tickets_slaclock WHERE status = 'active' "
                "AND completed_at IS NULL AND paused_at IS NULL AND due_soon_at IS NOT NULL "
                "AND due_at > %s ORDER BY random() LIMIT %s)",
                [now - datetime.timedelta(minutes=1)] * 2
                + [now + datetime.timedelta(hours=1), count],
            )

    results: dict[bool, dict[str, list[float]]] = {
        on: {"sweep": [], "notify": []} for on in (False, True)
    }
    for _round in range(args.repeat):
        for on in (False, True):
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=on)
            make_due(args.due)
            first_event = SlaEvent.objects.order_by("-id").values_list("id", flat=True).first()
            started = time.perf_counter()
            swept = sla_sweep(now=now)
            results[on]["sweep"].append(time.perf_counter() - started)
            started = time.perf_counter()
            sla_notifications_send(now=now)
            results[on]["notify"].append(time.perf_counter() - started)
            deliveries = WebhookDelivery.objects.count()
            assert swept.changed == args.due, swept.changed
            assert deliveries == (args.due if on else 0), deliveries
            WebhookDelivery.objects.all().delete()
            OutboundEmail.objects.filter(created_at=now).delete()
            SlaEvent.objects.filter(id__gt=first_event or 0).update(notified_at=now)

    print(f"\n{args.due:,} transitions per run, alternated rounds\n")
    print("| endpoint | `sla_sweep` | notification step (emails + webhooks) |")
    print("|---|---|---|")
    for on in (False, True):
        label = "one active, subscribed" if on else "none"
        sweep, notify = results[on]["sweep"], results[on]["notify"]
        print(f"| {label} | {summary(sweep)} | {summary(notify)} |")
    endpoint.delete()


if __name__ == "__main__":
    main()
