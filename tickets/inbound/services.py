"""Taking in one email: a new ticket, a customer message on a ticket, an automatic message, a
bounce of one of our replies, or a rejected message kept for support staff. SPEC section 8 "In".

``email_ingest`` is the one entry point of the three ways mail arrives (the ``ingest_email``
command, ``POST /api/inbound-email/``, the IMAP poll). It is idempotent: a message is identified by
its Message-ID (or a hash of its content when it has none) and a second arrival changes nothing.
Everything it writes commits in one transaction, before it returns, so a caller may then
acknowledge the message to whoever delivered it. The SLA effects are the ticket services' own
(``ticket_create``, ``ticket_message_add``) at the moment the help desk received the mail, never
the sender's ``Date``.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext as _

from settings_app.models import Source
from tickets.inbound import parsing
from tickets.inbound.mailbox import PollResult, imap_settings_from_url, mailbox_poll
from tickets.inbound.models import Attachment, InboundEmail, RejectedEmail, Via
from tickets.inbound.parsing import ParsedEmail, UnreadableEmail
from tickets.models import MAX_BODY, MAX_SUBJECT, Message, Ticket
from tickets.outbound.models import OutboundEmail
from tickets.outbound.selectors import email_identity, outbound_ticket_for_message_ids
from tickets.outbound.services import outbound_mark_bounced
from tickets.services import ticket_create, ticket_message_add

logger = logging.getLogger(__name__)

MAX_CC = 20  # people kept in copy on one ticket
DUPLICATE = "duplicate"
REJECTED = "rejected"
TOO_LARGE = "too_large"


@dataclass(frozen=True)
class IngestResult:
    """What became of one email. ``outcome``: an ``InboundEmail.Outcome`` value, or
    ``duplicate`` (seen before: nothing changed), ``rejected`` (kept unread, with ``detail``),
    ``too_large`` (refused and kept, with ``detail``)."""

    outcome: str
    detail: str = ""
    ticket_id: int | None = None
    message_id: int | None = None  # the ticket message (tickets.Message pk)

    @property
    def is_refused(self) -> bool:
        return self.outcome == TOO_LARGE


def max_bytes() -> int:
    return int(settings.INBOUND_EMAIL_MAX_BYTES)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size} bytes"


def too_large_message(size: int) -> str:
    return _(
        "The message is %(size)s; the help desk accepts messages up to %(limit)s "
        "(attachments included). Send large files as a link."
    ) % {"size": size_text(size), "limit": size_text(max_bytes())}


def email_ingest(
    *, raw: bytes, via: str, now: datetime.datetime, size: int | None = None
) -> IngestResult:
    """Take in one email as received (``raw``: its bytes; ``size``: its whole size when ``raw``
    holds only its first bytes, as the IMAP poll reads an oversized message). ``now`` is the
    moment the help desk received it, the moment its SLA effects count from.

    Commits before returning. Raises ``DatabaseError`` when the database cannot take it (the
    caller leaves the mail where it is, to be delivered again); every other problem with a
    message ends in the rejected-mail list, so one bad message never blocks the ones behind it.
    """
    size = len(raw) if size is None else size
    if size > max_bytes():
        kept = raw[: max_bytes()]
        return _reject(
            kept,
            via=via,
            now=now,
            kind=RejectedEmail.Reason.TOO_LARGE,
            reason=too_large_message(size),
            size=size,
            outcome=TOO_LARGE,
        )
    try:
        parsed = parsing.email_parse(raw)
        validate_email(parsed.from_email)
    except UnreadableEmail as exc:
        return _reject_unreadable(raw, via=via, now=now, reason=exc.reason)
    except ValidationError:
        reason = _("The From address is not a valid email address.")
        return _reject_unreadable(raw, via=via, now=now, reason=reason)
    if _is_known(parsed.identity):
        return IngestResult(outcome=DUPLICATE, detail=parsed.identity)
    try:
        with transaction.atomic(durable=True):
            return _take(parsed, raw=raw, via=via, now=now)
    except IntegrityError:
        if _is_known(parsed.identity):  # the same message, taken at the same moment elsewhere
            return IngestResult(outcome=DUPLICATE, detail=parsed.identity)
        raise
    except DatabaseError:
        raise
    except Exception as exc:  # a message that trips a bug: keep it, do not block the mailbox
        logger.exception("Inbound email %s could not be processed", parsed.identity)
        reason = _("The message could not be processed (%(error)s).") % {
            "error": f"{type(exc).__name__}: {exc}"[:300]
        }
        return _reject_unreadable(raw, via=via, now=now, reason=reason)


def _is_known(identity: str) -> bool:
    """Taken before, or one of our own emails coming back (a loop)."""
    return (
        InboundEmail.objects.filter(identity=identity).exists()
        or Message.objects.filter(message_id=identity).exists()
        or OutboundEmail.objects.filter(message_id=identity).exists()
    )


def _reject_unreadable(raw: bytes, *, via: str, now: datetime.datetime, reason: str):
    return _reject(
        raw,
        via=via,
        now=now,
        kind=RejectedEmail.Reason.UNREADABLE,
        reason=reason,
        size=len(raw),
        outcome=REJECTED,
    )


def _reject(
    kept: bytes,
    *,
    via: str,
    now: datetime.datetime,
    kind: str,
    reason: str,
    size: int,
    outcome: str,
) -> IngestResult:
    """Keep the message (up to the size limit) with the reason, once per content."""
    digest = parsing.raw_digest(kept)
    from_header, subject_header = _rough_headers(kept)
    with transaction.atomic(durable=True):
        RejectedEmail.objects.get_or_create(
            digest=digest,
            defaults={
                "received_at": now,
                "via": via,
                "kind": kind,
                "reason": reason,
                "from_header": from_header[:300],
                "subject_header": subject_header[:300],
                "size": size,
                "is_truncated": len(kept) < size,
                "raw": kept,
            },
        )
    return IngestResult(outcome=outcome, detail=reason)


def _rough_headers(raw: bytes) -> tuple[str, str]:
    """From and Subject as well as they can be read from a message that may be broken."""
    head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0][: 64 * 1024]
    try:
        message = BytesParser(policy=policy.compat32).parsebytes(head, headersonly=True)
        values = [str(message.get(name, "")) for name in ("From", "Subject")]
    except Exception:
        return "", ""
    return _decoded(values[0]), _decoded(values[1])


def _decoded(value: str) -> str:
    """A header's encoded words (``=?utf-8?q?J=C3=B6rg?=``) read as text, on one line, when
    they can be; else the value as it stands."""
    with contextlib.suppress(Exception):  # a broken encoded word or unknown charset: as sent
        value = str(make_header(decode_header(value)))
    return " ".join(parsing.clean_text(value).split())


# --- Taking a readable message -----------------------------------------------------------------


def _take(parsed: ParsedEmail, *, raw: bytes, via: str, now: datetime.datetime) -> IngestResult:
    record = InboundEmail.objects.create(
        identity=parsed.identity,
        received_at=now,
        via=via,
        from_email=parsed.from_email[:254],
        from_name=parsed.from_name[:200],
        subject=parsed.subject[:200],
        outcome=InboundEmail.Outcome.IGNORED,
        size=len(raw),
        raw=raw,
    )
    if parsed.bounce is not None:
        result = _bounce(parsed, now=now)
    else:
        ticket = _thread(parsed)
        machine = parsed.automatic or _loop_reason(parsed)
        if machine:
            result = _automatic(parsed, ticket=ticket, reason=machine, now=now)
        elif ticket is not None:
            result = _customer_message(parsed, ticket=ticket, now=now)
        else:
            result = _new_ticket(parsed, now=now)
    if result.message_id is not None and parsed.attachments:
        Attachment.objects.bulk_create(
            Attachment(
                message_id=result.message_id,
                filename=a.filename,
                content_type=a.content_type,
                size=len(a.content),
                content=a.content,
            )
            for a in parsed.attachments
        )
    InboundEmail.objects.filter(pk=record.pk).update(
        outcome=result.outcome,
        detail=result.detail,
        ticket_id=result.ticket_id,
        message_id=result.message_id,
    )
    return result


def helpdesk_addresses() -> set[str]:
    """The help desk's own addresses (lower case): never a requester, never copied."""
    identity = email_identity()
    found = {identity.address, identity.reply_to, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}
    return {address.lower() for address in found if address}


def _loop_reason(parsed: ParsedEmail) -> str:
    if parsed.from_email.lower() in helpdesk_addresses():
        return _("sent from the help desk's own address (a mail loop)")
    return ""


def _thread(parsed: ParsedEmail) -> Ticket | None:
    """The ticket this mail continues: In-Reply-To/References naming one of our emails (a reply
    or an acknowledgement), or an earlier email of this sender's on a ticket they take part in;
    else ``[#123]`` in the subject when the sender is that ticket's requester; else None."""
    sender = parsed.from_email.lower()
    ids = parsed.thread_ids
    if ids:
        ticket_id = outbound_ticket_for_message_ids(ids)
        if ticket_id is None:
            ticket_id = (
                Message.objects.filter(message_id__in=ids, author_kind=Message.Author.AGENT)
                .values_list("ticket_id", flat=True)
                .first()
            )
        if ticket_id is not None:
            ticket = Ticket.objects.filter(pk=ticket_id).first()
            if ticket is not None:
                return ticket
        for ticket in Ticket.objects.filter(messages__message_id__in=ids).distinct()[:5]:
            if sender in _participants(ticket):
                return ticket
    number = parsing.ticket_number_in_subject(parsed.subject)
    if number is not None:
        ticket = Ticket.objects.filter(pk=number).first()
        if ticket is not None and ticket.requester_email.lower() == sender:
            return ticket
    return None


def _participants(ticket: Ticket) -> set[str]:
    return {ticket.requester_email.lower(), *(a.lower() for a in ticket.cc_emails)}


def _body(parsed: ParsedEmail) -> str:
    body = parsed.body
    if len(body) > MAX_BODY:
        note = _("[Cut at %(limit)s characters: the whole text is in the original email.]") % {
            "limit": f"{MAX_BODY:,}"
        }
        body = body[: MAX_BODY - len(note) - 2].rstrip() + "\n\n" + note
    return body


def _cc_after(parsed: ParsedEmail, *, requester_email: str, cc_emails: list[str]) -> list[str]:
    """A ticket's copied people after this mail: its Cc, and a sender who is not the
    requester, without the requester, the help desk or anyone twice."""
    own = helpdesk_addresses() | {a.lower() for a in parsed.delivered_to}
    cc = list(cc_emails)
    known = {a.lower() for a in cc} | {requester_email.lower()} | own
    candidates = [*parsed.cc]
    if parsed.from_email.lower() != requester_email.lower():
        candidates.insert(0, parsed.from_email)
    for address in candidates:
        if len(cc) >= MAX_CC:
            break
        if address.lower() in known:
            continue
        try:
            validate_email(address)
        except ValidationError:
            continue
        cc.append(address)
        known.add(address.lower())
    return cc


def _language(parsed: ParsedEmail) -> str:
    codes = {code.split("-")[0].lower() for code, _name in settings.LANGUAGES}
    return parsed.language if parsed.language in codes else ""


def _new_ticket(parsed: ParsedEmail, *, now: datetime.datetime) -> IngestResult:
    ticket = ticket_create(
        subject=parsed.subject[:MAX_SUBJECT] or _("(no subject)"),
        body=_body(parsed),
        requester_email=parsed.from_email,
        requester_name=parsed.from_name[:200],
        requester_language=_language(parsed),
        cc_emails=_cc_after(parsed, requester_email=parsed.from_email, cc_emails=[]),
        message_id=parsed.identity,
        source=Source.EMAIL,
        now=now,
        # Machine mail never gets here; a sender asking for no automatic answers gets none.
        acknowledge=not parsed.suppresses_auto_response,
    )
    message = ticket.messages.get()
    return IngestResult(
        outcome=InboundEmail.Outcome.TICKET_CREATED, ticket_id=ticket.pk, message_id=message.pk
    )


def _customer_message(
    parsed: ParsedEmail, *, ticket: Ticket, now: datetime.datetime
) -> IngestResult:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    is_requester = parsed.from_email.lower() == ticket.requester_email.lower()
    cc = _cc_after(parsed, requester_email=ticket.requester_email, cc_emails=ticket.cc_emails)
    if cc != ticket.cc_emails:  # before the message, so that emails it causes copy them
        Ticket.objects.filter(pk=ticket.pk).update(cc_emails=cc)
    message = ticket_message_add(
        ticket_id=ticket.pk,
        body=_body(parsed),
        author_kind=Message.Author.CUSTOMER,
        now=now,
        message_id=parsed.identity,
        sender_email="" if is_requester else parsed.from_email,
    )
    return IngestResult(
        outcome=InboundEmail.Outcome.MESSAGE_ADDED, ticket_id=ticket.pk, message_id=message.pk
    )


def _automatic(
    parsed: ParsedEmail, *, ticket: Ticket | None, reason: str, now: datetime.datetime
) -> IngestResult:
    """Machine mail never opens a ticket; on a ticket it continues, it is an automatic message
    (shown to agents; no SLA effect, no reopening, no acknowledgement)."""
    if ticket is None:
        return IngestResult(outcome=InboundEmail.Outcome.IGNORED, detail=reason)
    message = ticket_message_add(
        ticket_id=ticket.pk,
        body=_body(parsed),
        author_kind=Message.Author.SYSTEM,
        now=now,
        message_id=parsed.identity,
        sender_email=parsed.from_email,
    )
    return IngestResult(
        outcome=InboundEmail.Outcome.AUTOMATIC,
        detail=reason,
        ticket_id=ticket.pk,
        message_id=message.pk,
    )


def _bounce(parsed: ParsedEmail, *, now: datetime.datetime) -> IngestResult:
    """A delivery failure report: the email of ours that it names is marked failed."""
    bounce = parsed.bounce
    assert bounce is not None
    for message_id in bounce.original_ids:
        if outbound_mark_bounced(message_id=message_id, reason=bounce.reason, now=now):
            ticket_id = (
                OutboundEmail.objects.filter(message_id=message_id)
                .values_list("ticket_id", flat=True)
                .first()
            )
            detail = _("Our email %(message_id)s was not delivered: %(reason)s") % {
                "message_id": message_id,
                "reason": bounce.reason,
            }
            return IngestResult(
                outcome=InboundEmail.Outcome.BOUNCE, detail=detail, ticket_id=ticket_id
            )
    detail = _("Delivery failure of an email that is not ours: %(reason)s") % {
        "reason": bounce.reason
    }
    return IngestResult(outcome=InboundEmail.Outcome.BOUNCE, detail=detail)


def mailbox_take(*, clock: Callable[[], datetime.datetime]) -> PollResult:
    """Take the waiting mail of the ``IMAP_URL`` mailbox (one batch). Each message counts from
    ``clock()`` at the moment it is read; it is moved (or flagged) only after its commit."""

    def ingest(*, raw: bytes, size: int) -> str:
        return email_ingest(raw=raw, via=Via.IMAP, now=clock(), size=size).outcome

    return mailbox_poll(
        imap_settings_from_url(settings.IMAP_URL),
        ingest=ingest,
        done_folder=settings.IMAP_DONE_FOLDER,
        max_bytes=max_bytes(),
        timeout=settings.IMAP_TIMEOUT,
    )
