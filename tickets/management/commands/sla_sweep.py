"""Run the periodic SLA job once now and print what it changed; exit 1 if a step failed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from slaproject.commands import TranslatedCommand
from tickets.sweep import sla_sweep_and_notify


class Command(TranslatedCommand):
    help = gettext_noop(
        "Persist due SLA status changes (Due soon, Overdue), record events, send emails."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = sla_sweep_and_notify(now=timezone.now())
        transitions = result["transitions"]
        self.stdout.write(
            _(
                "Examined %(examined)s clock(s): %(due_soon)s turned due soon, "
                "%(overdue)s turned overdue; %(emails)s email(s) sent."
            )
            % {
                "examined": result["examined"],
                "due_soon": transitions.get("due_soon", 0),
                "overdue": transitions.get("overdue", 0),
                "emails": result["emails"],
            }
        )
        if result["failed"]:  # the other steps ran; the log has each failure's traceback
            raise CommandError(
                _("These steps failed (see the log): %(steps)s.")
                % {"steps": ", ".join(result["failed"])}
            )
