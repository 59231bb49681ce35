"""Writes of the health app: a background process stamps its heartbeat."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction

from slaproject.health.models import Heartbeat


def heartbeat_stamp(
    *, kind: str, now: datetime.datetime, detail: dict[str, Any] | None = None
) -> None:
    """Record that a process of ``kind`` (``Heartbeat.Kind``) was seen at ``now`` (aware).

    One UPDATE of one row, or its INSERT the first time. A stamp older than the stored one is
    ignored, so two workers never move the moment backwards. Idempotent.
    """
    values = {"at": now, "detail": detail or {}}
    if Heartbeat.objects.filter(kind=kind, at__lt=now).update(**values):
        return
    try:
        with transaction.atomic():
            Heartbeat.objects.get_or_create(kind=kind, defaults=values)
    except IntegrityError:  # another process inserted it first: its stamp is as good
        pass
