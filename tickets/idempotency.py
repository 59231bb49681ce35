"""Idempotency keys of the API (SPEC §7): a POST's first answer is replayed for 24 hours, and
older keys are purged by the periodic job."""

from __future__ import annotations

import datetime

from tickets.models import IdempotencyKey

IDEMPOTENCY_WINDOW = datetime.timedelta(hours=24)


def idempotency_keys_purge(*, now: datetime.datetime) -> int:
    """Delete the keys older than ``IDEMPOTENCY_WINDOW`` at ``now`` (aware). Returns how many.
    Idempotent; the ``created_at`` index finds them."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - IDEMPOTENCY_WINDOW).delete()
    return deleted
