"""The periodic job with and without an active webhook endpoint, on a database filled by
``bench/generate.py``: does telling webhooks slow the sweep?

    .venv/bin/python bench/webhooks.py [--db bench] [--due 10000] [--repeat 5] [--json]

Each round makes ``--due`` random running clocks due soon (their due-soon moment a minute
ago, as ``bench/sweep.py`` does; clocks already due soon are made active again), then runs the
sweep (``sla_sweep``), then the webhook part of the notification step: the pending events in
its batches of ``NOTIFY_BATCH``, each locked, emitted (``webhooks_sla_events_emit``) and marked
notified in its own transaction, as ``sla_notifications_send`` does around its emails. The
emails are left out: they cost the same with or without an endpoint, and rendering 10k of them
would swamp the figure. Rounds alternate between no endpoint and one active endpoint subscribed
to ``sla.due_soon`` and ``sla.overdue`` (its tasks go to an in-memory broker, nothing is sent),
so that drift of the machine falls on both alike. A round's deliveries are deleted after it.

On a commit without webhooks (before issue 24) the script runs the same rounds without the
endpoint and the notification step: the sweep alone, for old-vs-new sittings.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time

from common import django_setup, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="also one JSON line of every run")
    args = parser.parse_args()
    django_setup(args.db)

    from django.db import connection, transaction
    from django.utils import timezone

    from slaproject.celery import app
    from tickets.models import SlaEvent, Ticket
    from tickets.notifications import NOTIFY_BATCH
    from tickets.sweep import sla_sweep

    try:
        from tickets.webhooks.models import WebhookDelivery, WebhookEndpoint
        from tickets.webhooks.services import webhooks_sla_events_emit
    except ImportError:  # a commit before webhooks: the sweep alone
        has_webhooks = False
    else:
        has_webhooks = True

    def webhook_step() -> None:
        """The notification step's batches without their emails."""
        while True:
            with transaction.atomic():
                events = list(
                    SlaEvent.objects.select_for_update(skip_locked=True)
                    .filter(should_notify=True, notified_at__isnull=True)
                    .order_by("id")[:NOTIFY_BATCH]
                )
                webhooks_sla_events_emit(events=events, now=now)
                SlaEvent.objects.filter(pk__in=[e.pk for e in events]).update(notified_at=now)
            if len(events) < NOTIFY_BATCH:
                return

    app.conf.update(broker_url="memory://", broker_transport_options={})
    now = timezone.now()
    sla_sweep(now=now)  # what became due since the data was generated
    SlaEvent.objects.filter(should_notify=True, notified_at__isnull=True).update(notified_at=now)
    if has_webhooks:
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

    def make_due(count: int, round_number: int) -> None:
        """``count`` random running clocks made active with their due-soon moment just passed
        (a moment of this round's own, so that the transition is a new one)."""
        moment = now - datetime.timedelta(seconds=60 + round_number)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE tickets_slaclock SET status = 'active', due_soon_at = %s, "
                "next_check_at = %s "
                "WHERE id IN (SELECT id FROM tickets_slaclock WHERE status IN ('active', "
                "'due_soon') AND completed_at IS NULL AND paused_at IS NULL "
                "AND due_soon_at IS NOT NULL AND due_at > %s ORDER BY random() LIMIT %s)",
                [moment, moment, now + datetime.timedelta(hours=1), count],
            )

    results: dict[bool, dict[str, list[float]]] = {
        on: {"sweep": [], "notify": []} for on in (False, True)
    }
    variants = (False, True) if has_webhooks else (False,)
    for round_number in range(args.repeat):
        for on in variants:
            if has_webhooks:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=on)
            make_due(args.due, round_number * 2 + on)
            started = time.perf_counter()
            swept = sla_sweep(now=now)
            results[on]["sweep"].append(time.perf_counter() - started)
            assert swept.changed == args.due, swept.changed
            if not has_webhooks:
                continue
            started = time.perf_counter()
            webhook_step()
            results[on]["notify"].append(time.perf_counter() - started)
            deliveries = WebhookDelivery.objects.count()
            assert deliveries == (args.due if on else 0), deliveries
            WebhookDelivery.objects.all().delete()

    print(f"\n{args.due:,} transitions per run, alternated rounds\n")
    print("| endpoint | `sla_sweep` | notification batches, webhook part |")
    print("|---|---|---|")
    for on in variants:
        label = "one active, subscribed" if on else "none"
        if not has_webhooks:
            label = "none (no webhooks in this commit)"
        sweep, notify = results[on]["sweep"], results[on]["notify"]
        print(f"| {label} | {summary(sweep)} | {summary(notify) if notify else '—'} |")
    if args.json:
        print(
            json.dumps(
                {
                    "none" if not on else "endpoint": {
                        "sweep_ms": [round(s * 1000, 1) for s in results[on]["sweep"]],
                        "notify_ms": [round(s * 1000, 1) for s in results[on]["notify"]],
                    }
                    for on in variants
                }
            )
        )
    if has_webhooks:
        endpoint.delete()


if __name__ == "__main__":
    main()
