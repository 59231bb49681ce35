"""Take the waiting mail of the IMAP_URL mailbox now (what Celery beat does every
IMAP_POLL_SECONDS), and print what became of it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from slaproject.commands import TranslatedCommand
from tickets.inbound.mailbox import MailboxError
from tickets.inbound.services import mailbox_take


class Command(TranslatedCommand):
    help = gettext_noop("Take the waiting mail of the IMAP_URL mailbox now.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.IMAP_URL:
            raise CommandError(_("IMAP_URL is not set: there is no mailbox to read."))
        try:
            result = mailbox_take(clock=timezone.now)
        except (MailboxError, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        outcomes = ", ".join(f"{name} {count}" for name, count in sorted(result.outcomes.items()))
        self.stdout.write(
            _("Took %(count)d message(s)%(outcomes)s%(more)s.")
            % {
                "count": result.taken,
                "outcomes": f" ({outcomes})" if outcomes else "",
                "more": _("; more are waiting") if result.more_waiting else "",
            }
        )
