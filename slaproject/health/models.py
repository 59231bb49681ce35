"""Heartbeats: the last moment each kind of background process was seen doing its job.

One row per kind, overwritten in place (one small UPDATE each time), in the database so that every
process sees it: the embedded default's cache is per process.
``slaproject.health.selectors`` judges them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    class Kind(models.TextChoices):
        # The beat-scheduled SLA sweep finished (tickets.tasks.sla_sweep_task).
        BEAT_SWEEP = "beat_sweep", _("Beat sweep")
        # A Celery worker ran the beat-scheduled heartbeat task, or started.
        WORKER = "worker", _("Worker heartbeat")

    kind = models.CharField(max_length=20, choices=Kind, primary_key=True)
    at = models.DateTimeField()
    # What the process reported with it; the sweep: the steps that failed ({"failed": [...]}).
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at.isoformat()}"
