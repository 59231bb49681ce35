"""Take in one email from standard input: for a mail server's pipe (Postfix, Exim, sendmail).

    python manage.py ingest_email < message.eml

Exit status (sysexits, which mail servers understand): 0 taken in (also a repeat, an ignored
automatic mail, and an unreadable message kept for support staff); 65 refused as too large (the
mail server bounces it to the sender with the message printed); 75 a temporary failure such as the
database being down (the mail server keeps the message and tries again later).
"""

from __future__ import annotations

import sys
from typing import Any

from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from slaproject.commands import TranslatedCommand
from tickets.inbound.models import InboundEmail, Via
from tickets.inbound.services import (
    DUPLICATE,
    REJECTED,
    TOO_LARGE,
    IngestResult,
    email_ingest,
    max_bytes,
)

EX_DATAERR = 65
EX_TEMPFAIL = 75


def describe(result: IngestResult) -> str:
    outcome = result.outcome
    if outcome == InboundEmail.Outcome.TICKET_CREATED:
        return _("Opened ticket #%(ticket)s.") % {"ticket": result.ticket_id}
    if outcome == InboundEmail.Outcome.MESSAGE_ADDED:
        return _("Added to ticket #%(ticket)s.") % {"ticket": result.ticket_id}
    if outcome == InboundEmail.Outcome.AUTOMATIC:
        return _("Automatic message added to ticket #%(ticket)s (%(why)s).") % {
            "ticket": result.ticket_id,
            "why": result.detail,
        }
    if outcome == InboundEmail.Outcome.IGNORED:
        return _("Ignored: %(why)s.") % {"why": result.detail}
    if outcome == InboundEmail.Outcome.BOUNCE:
        return result.detail
    if outcome == DUPLICATE:
        return _("Already taken in (%(identity)s): nothing changed.") % {"identity": result.detail}
    if outcome == REJECTED:
        return _("Kept in the rejected mail: %(why)s") % {"why": result.detail}
    return result.detail


class Command(TranslatedCommand):
    help = gettext_noop("Take in one email from standard input (a mail server's pipe).")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read(max_bytes() + 1)
        size = len(raw)
        if size > max_bytes():
            size += sum(len(chunk) for chunk in iter(lambda: sys.stdin.buffer.read(65536), b""))
        try:
            result = email_ingest(raw=raw, via=Via.PIPE, now=timezone.now(), size=size)
        except DatabaseError as exc:
            self.stderr.write(_("Temporary failure, try again later: %(error)s") % {"error": exc})
            sys.exit(EX_TEMPFAIL)
        if result.outcome == TOO_LARGE:
            self.stderr.write(result.detail)
            sys.exit(EX_DATAERR)
        self.stdout.write(describe(result))
