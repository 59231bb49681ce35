"""Run one SLA sweep now and print what it changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
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
