"""Run the periodic SLA job once now and print what it changed; exit 1 if a step failed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tickets.sweep import sla_sweep_and_notify


class Command(BaseCommand):
    help = "Persist due SLA status changes (Due soon, Overdue), record events, send emails."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sla_sweep_and_notify(now=timezone.now())
        transitions = result["transitions"]
        self.stdout.write(
            f"Examined {result['examined']} clock(s): "
            f"{transitions.get('due_soon', 0)} turned due soon, "
            f"{transitions.get('overdue', 0)} turned overdue; "
            f"{result['emails']} email(s) sent."
        )
        if result["failed"]:  # the other steps ran; the log has each failure's traceback
            raise CommandError(f"These steps failed (see the log): {', '.join(result['failed'])}.")
