"""Writes of outgoing email: queue each email inside the change that causes it, send it after.

The ``outbound_*_queue`` functions run inside the service transaction that causes the email (a
public reply, a new ticket, a customer message, an assignment, an SLA transition): they render
the email, insert one ``OutboundEmail`` row and register its Celery task with
``transaction.on_commit`` — so a change that rolls back sends nothing, and nothing is sent while a
transaction holds locks. ``outbound_email_deliver`` (the task's service) claims one row with a
compare-and-swap, sends it with ``EMAIL_TIMEOUT`` outside any transaction and records the outcome:
one failing email never holds up or rolls back another. ``outbound_emails_requeue`` (a step of
the beat sweep) re-queues rows whose retry is due or whose task was lost, so a lost queue
message never loses an email.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import logging
import smtplib
import socket
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import BadHeaderError, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _

from settings_app.labels import CLOCK_SENTENCE_LABELS
from slaproject.celery import task_queue
from tickets.outbound import compose, reasons
from tickets.outbound.models import EmailSettings, OutboundEmail
from tickets.outbound.selectors import Identity, email_identity, email_settings_get

logger = logging.getLogger(__name__)
User = get_user_model()

# Waits before attempts 2, 3, …: about eight hours in all, then the email is marked failed.
RETRY_DELAYS = tuple(datetime.timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 120, 240))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A queued email whose task has not run this long after it was queued is queued again (the queue
# message was lost, or the broker was down when the change committed).
REQUEUE_AFTER = datetime.timedelta(minutes=2)
# An email "sending" this long was claimed by a worker that died mid-send (the task's hard time
# limit is five minutes): it is queued again, accepting that it may arrive twice.
STALE_SENDING = datetime.timedelta(minutes=10)
# Rows the re-queue step handles per sweep: well above the rate a help desk sends at.
REQUEUE_BATCH = 1000
# The task that sends one email (``tickets.outbound.tasks``, which imports this module).
SEND_TASK = "outbound.tasks.outbound_email_send_task"
HISTORY_MESSAGES = 5  # earlier messages quoted under a reply
AUTO_GENERATED = {"Auto-Submitted": "auto-generated"}  # RFC 3834: no auto-reply to these


# --- Queueing ------------------------------------------------------------------------------------


def _enqueue(email_ids: Sequence[int]) -> None:
    """One Celery task per email. A broker that is down is logged; the sweep re-queues later."""
    for email_id in email_ids:
        try:
            task_queue(SEND_TASK, email_id)
        except Exception:
            logger.exception(
                "Could not queue email %s (and any after it); the sweep will queue it", email_id
            )
            return


# Set while demo data is made (``outbound_held``): rows are written, no task is queued.
_HELD: contextvars.ContextVar[bool] = contextvars.ContextVar("outbound_held", default=False)


@contextlib.contextmanager
def outbound_held() -> Iterator[None]:
    """Write emails' rows without queueing their tasks (for made-up data, which
    ``outbound_demo_settle`` then marks as sent without sending)."""
    token = _HELD.set(True)
    try:
        yield
    finally:
        _HELD.reset(token)


def _queue(emails: list[OutboundEmail]) -> list[OutboundEmail]:
    """Insert the rows and queue their tasks once the caller's transaction commits."""
    if not emails:
        return []
    OutboundEmail.objects.bulk_create(emails)
    ids = [email.pk for email in emails]
    if not _HELD.get():
        transaction.on_commit(lambda: _enqueue(ids))
    return emails


def _row(
    kind: str,
    rendered: compose.Rendered,
    *,
    identity: Identity,
    to: list[str],
    now: datetime.datetime,
    language: str,
    cc: list[str] | None = None,
    from_name: str | None = None,
    reply_to: str = "",
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    **links: Any,
) -> OutboundEmail:
    return OutboundEmail(
        kind=kind,
        from_email=compose.mailbox(from_name or identity.name, identity.address),
        to=to,
        cc=cc or [],
        reply_to=reply_to,
        subject=rendered.subject,
        message_id=message_id or compose.new_message_id(identity.domain),
        in_reply_to=in_reply_to,
        references=references,
        headers={"Content-Language": language, **(headers or {})},
        language=language,
        body_text=rendered.text,
        body_html=rendered.html,
        created_at=now,
        next_attempt_at=now,
        enqueued_at=now,
        **links,
    )


def _customer_recipients(ticket: Any, identity: Identity) -> tuple[list[str], list[str]]:
    """(to, cc) for the ticket's customer emails, never the help desk's own addresses."""
    own = {identity.address.lower(), identity.reply_to.lower()}
    to = [ticket.requester_email] if ticket.requester_email.lower() not in own else []
    seen = own | {address.lower() for address in to}
    cc = []
    for address in ticket.cc_emails or []:
        if isinstance(address, str) and address and address.lower() not in seen:
            seen.add(address.lower())
            cc.append(address)
    return to, cc


def _customer_language(ticket: Any) -> str:
    return compose.language_for(ticket.requester_language)


def _help_desk_zone() -> zoneinfo.ZoneInfo:
    """Customers' emails show times in the help desk's own zone (the SLA schedule's)."""
    from settings_app.selectors import sla_config_get

    return sla_config_get().schedule.zone


def _agent_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _earlier_public(ticket: Any, *, before: Any) -> Any:
    """The ticket's customer messages and public replies before ``before`` (a Message).
    Internal notes never leave the help desk."""
    from tickets.models import Message

    return Message.objects.filter(
        ticket_id=ticket.pk,
        is_internal=False,
        author_kind__in=[Message.Author.CUSTOMER, Message.Author.AGENT],
    ).filter(
        Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, pk__lt=before.pk)
    )


def _acknowledgement_id(ticket: Any) -> str | None:
    return (
        OutboundEmail.objects.filter(ticket_id=ticket.pk, kind=OutboundEmail.Kind.ACKNOWLEDGEMENT)
        .order_by("id")
        .values_list("message_id", flat=True)
        .first()
    )


def _thread(ticket: Any, *, before: Any) -> tuple[str, str]:
    """(In-Reply-To, References) for a new email to the customer after the messages before
    ``before``: it answers the customer's latest email (else our latest one), and lists the
    thread's first Message-ID, the acknowledgement's (which answered the first message) and the
    latest ones. A handful of small queries, however long the conversation."""
    earlier = _earlier_public(ticket, before=before)
    with_ids = earlier.exclude(message_id=None).exclude(message_id="")
    newest_first = with_ids.order_by("-created_at", "-pk")
    first = earlier.order_by("created_at", "pk").values_list("message_id", flat=True).first()
    latest = list(newest_first.values_list("message_id", flat=True)[: compose.MAX_REFERENCES])
    last_customer = newest_first.filter(author_kind="customer").values_list("message_id", flat=True)
    acknowledgement = _acknowledgement_id(ticket)
    ids = [first or "", acknowledgement or "", *reversed(latest)]
    in_reply_to = last_customer.first() or next((i for i in reversed(ids) if i), "")
    return in_reply_to, compose.references_header(ids)


def _history(ticket: Any, *, before: Any) -> list[dict[str, Any]]:
    """The last few messages before ``before``, newest first, for quoting under a reply."""
    entries = []
    recent = _earlier_public(ticket, before=before).select_related("author")
    for message in recent.order_by("-created_at", "-pk")[:HISTORY_MESSAGES]:
        if message.author_kind == "customer":
            who = message.sender_email or ticket.requester_email
        else:
            who = _agent_name(message.author)
        entries.append({"who": who, "at": message.created_at, "body": message.body})
    return entries


def outbound_reply_queue(*, message: Any, now: datetime.datetime) -> OutboundEmail | None:
    """Queue the email of a public agent reply: to the requester, copying the ticket's CC list,
    threaded under the conversation, in the customer's language. Stores its Message-ID on the
    message. Call inside the transaction that added the message. None when there is nobody to
    send to; internal notes and customer messages are refused (never emailed)."""
    from tickets.models import Message

    if message.is_internal or message.author_kind != Message.Author.AGENT:
        raise ValueError("Only public agent replies are emailed to the customer.")
    ticket = message.ticket
    identity = email_identity()
    to, cc = _customer_recipients(ticket, identity)
    if not to and not cc:
        return None
    in_reply_to, references = _thread(ticket, before=message)
    language = _customer_language(ticket)
    with translation.override(language):
        subject = _("[#%(number)s] %(subject)s") % {"number": ticket.pk, "subject": ticket.subject}
        agent = _agent_name(message.author)
        from_name = (
            _("%(agent)s (%(help_desk)s)") % {"agent": agent, "help_desk": identity.name}
            if agent
            else identity.name
        )
    rendered = compose.render(
        "reply",
        {
            "ticket": ticket,
            "message": message,
            "agent_name": agent,
            "help_desk_name": identity.name,
            "history": _history(ticket, before=message),
        },
        subject=subject,
        language=language,
        zone=_help_desk_zone(),
    )
    email = _row(
        OutboundEmail.Kind.REPLY,
        rendered,
        identity=identity,
        to=to or cc[:1],
        cc=cc if to else cc[1:],
        now=now,
        language=language,
        from_name=from_name,
        reply_to=identity.reply_to,
        in_reply_to=in_reply_to,
        references=references,
        ticket=ticket,
        ticket_message=message,
    )
    Message.objects.filter(pk=message.pk).update(message_id=email.message_id)
    message.message_id = email.message_id
    _queue([email])
    return email


def outbound_acknowledgement_queue(
    *, ticket: Any, message: Any, now: datetime.datetime
) -> OutboundEmail | None:
    """Queue the acknowledgement of a new ticket (its number, the customer's words), when the
    email settings' switch is on. The caller leaves it out for automatic mail (auto-replies,
    bounces), so two help desks never answer each other forever."""
    email_settings = email_settings_get()
    if not email_settings.acknowledge_new_tickets:
        return None
    identity = email_identity(email_settings)
    to, cc = _customer_recipients(ticket, identity)
    if not to:
        return None
    language = _customer_language(ticket)
    with translation.override(language):
        subject = _("[#%(number)s] %(subject)s") % {"number": ticket.pk, "subject": ticket.subject}
    rendered = compose.render(
        "acknowledgement",
        {"ticket": ticket, "message": message, "help_desk_name": identity.name},
        subject=subject,
        language=language,
        zone=_help_desk_zone(),
    )
    email = _row(
        OutboundEmail.Kind.ACKNOWLEDGEMENT,
        rendered,
        identity=identity,
        to=to,
        cc=cc,
        now=now,
        language=language,
        reply_to=identity.reply_to,
        in_reply_to=message.message_id or "",
        references=message.message_id or "",
        # An automatic answer (RFC 3834): the customer's own auto-responder must not answer it.
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        ticket=ticket,
    )
    _queue([email])
    return email


# --- Agents' emails -----------------------------------------------------------------------------


def _agent_setting(user: Any, name: str) -> bool:
    """The agent's preference ``name`` (on when the agent has no profile yet)."""
    from tickets.models import AgentProfile

    value = AgentProfile.objects.filter(user=user).values_list(name, flat=True).first()
    return True if value is None else bool(value)


def agent_zone_and_language(
    user: Any, *, default_zone: zoneinfo.ZoneInfo | None = None
) -> tuple[zoneinfo.ZoneInfo, str]:
    """The agent's time zone (else the SLA schedule's) and language for their emails."""
    from settings_app.selectors import sla_config_get
    from tickets.models import AgentProfile

    profile = AgentProfile.objects.filter(user=user).first() if user.pk else None
    zone = default_zone or sla_config_get().schedule.zone
    if profile is not None and profile.timezone:
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo(profile.timezone)
    return zone, compose.language_for(getattr(profile, "language", "") or "")


def _is_reachable_agent(user: Any) -> bool:
    return bool(
        user is not None and user.is_active and user.email and (user.is_staff or user.is_superuser)
    )


def _agent_notice(
    kind: str,
    *,
    user: Any,
    ticket: Any,
    template: str,
    subject: str,
    context: dict[str, Any],
    now: datetime.datetime,
    zone: zoneinfo.ZoneInfo,
    language: str,
    **links: Any,
) -> OutboundEmail:
    identity = email_identity()
    rendered = compose.render(
        template,
        {
            **context,
            "ticket": ticket,
            "recipient": user,
            "ticket_url": compose.ticket_url(ticket.pk),
            "help_desk_name": identity.name,
        },
        subject=subject,
        language=language,
        zone=zone,
    )
    return _row(
        kind,
        rendered,
        identity=identity,
        to=[user.email],
        now=now,
        language=language,
        headers=AUTO_GENERATED,
        ticket=ticket,
        recipient_user=user,
        **links,
    )


def outbound_customer_replied_queue(
    *, ticket: Any, message: Any, now: datetime.datetime
) -> OutboundEmail | None:
    """Tell the ticket's owner that the customer wrote (their preference allowing)."""
    owner = ticket.owner
    if not _is_reachable_agent(owner) or not _agent_setting(owner, "notify_customer_replies"):
        return None
    zone, language = agent_zone_and_language(owner)
    with translation.override(language):
        subject = _("[Customer replied] #%(number)s %(subject)s") % {
            "number": ticket.pk,
            "subject": ticket.subject,
        }
    email = _agent_notice(
        OutboundEmail.Kind.CUSTOMER_REPLIED,
        user=owner,
        ticket=ticket,
        template="customer_replied",
        subject=subject,
        context={
            "message": message,
            "sender": message.sender_email or ticket.requester_email,
        },
        now=now,
        zone=zone,
        language=language,
        ticket_message=message,
    )
    return _queue([email])[0]


def outbound_assigned_queue(
    *, ticket: Any, assigned_by: Any, now: datetime.datetime
) -> OutboundEmail | None:
    """Tell the ticket's new owner it was assigned to them (not when they took it themselves)."""
    owner = ticket.owner
    if not _is_reachable_agent(owner):
        return None
    if assigned_by is not None and getattr(assigned_by, "pk", None) == owner.pk:
        return None
    if not _agent_setting(owner, "notify_assignments"):
        return None
    zone, language = agent_zone_and_language(owner)
    with translation.override(language):
        subject = _("[Assigned to you] #%(number)s %(subject)s") % {
            "number": ticket.pk,
            "subject": ticket.subject,
        }
    email = _agent_notice(
        OutboundEmail.Kind.ASSIGNED,
        user=owner,
        ticket=ticket,
        template="assigned",
        subject=subject,
        context={"assigned_by": _agent_name(assigned_by) if assigned_by else ""},
        now=now,
        zone=zone,
        language=language,
    )
    return _queue([email])[0]


def outbound_sla_alerts_queue(
    *, alerts: Iterable[tuple[Any, list[Any]]], now: datetime.datetime
) -> int:
    """Queue one Due soon / Overdue email per event and recipient, in the recipient's time zone
    and language. ``alerts``: (SlaEvent with ticket and clock loaded, [agents]). An event that
    cannot be rendered is logged with its ticket and skipped; the others go out. Returns the
    number of emails queued."""
    from settings_app.selectors import sla_config_get

    default_zone = sla_config_get().schedule.zone
    emails = []
    for event, users in alerts:
        for user in users:
            try:
                emails.append(_sla_alert(event, user, now=now, default_zone=default_zone))
            except Exception:
                logger.exception(
                    "Could not compose the SLA email of event %s (ticket #%s) for %s",
                    event.pk,
                    event.ticket_id,
                    user.email,
                )
    _queue(emails)
    return len(emails)


def _sla_alert(
    event: Any, user: Any, *, now: datetime.datetime, default_zone: zoneinfo.ZoneInfo
) -> OutboundEmail:
    from tickets.models import SlaEvent

    ticket = event.ticket
    zone, language = agent_zone_and_language(user, default_zone=default_zone)
    is_overdue = event.kind == SlaEvent.Kind.OVERDUE
    due = event.at if is_overdue or event.clock is None else event.clock.due_at
    with translation.override(language):
        what = _clock_label(event.clock_kind)
        values = {
            "number": ticket.pk,
            "subject": ticket.subject,
            "what": what,
            "due": _moment(due, zone),
        }
        if is_overdue:
            subject = _("[Overdue] #%(number)s %(subject)s — %(what)s was due %(due)s") % values
        else:
            subject = _("[Due soon] #%(number)s %(subject)s — %(what)s due %(due)s") % values
    return _agent_notice(
        OutboundEmail.Kind.SLA_ALERT,
        user=user,
        ticket=ticket,
        template="sla_alert",
        subject=subject,
        context={"event": event, "what": what, "due_at": due, "is_overdue": is_overdue},
        now=now,
        zone=zone,
        language=language,
        sla_event=event,
    )


def _clock_label(kind: str) -> str:
    return str(CLOCK_SENTENCE_LABELS.get(kind, kind))


def _moment(moment: datetime.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """``Tue 3 Mar 2026 11:00 CET`` (``tis 3 mar 2026 11:00 CET``) in ``zone`` and the active
    language."""
    from slaproject.dates import format_date

    local = moment.astimezone(zone)
    return format_date(local, "D j M Y H:i T")


def outbound_test_queue(*, to: str, requested_by: Any, now: datetime.datetime) -> OutboundEmail:
    """Queue a test email to ``to`` (from the email settings page)."""
    identity = email_identity()
    language = compose.language_for(translation.get_language() or "")
    with translation.override(language):
        subject = _("Test email from %(help_desk)s") % {"help_desk": identity.name}
    rendered = compose.render(
        "test",
        {
            "help_desk_name": identity.name,
            "identity": identity,
            "requested_by": _agent_name(requested_by),
            "sent_at": now,
        },
        subject=subject,
        language=language,
    )
    email = _row(
        OutboundEmail.Kind.TEST,
        rendered,
        identity=identity,
        to=[to],
        now=now,
        language=language,
        reply_to=identity.reply_to,
        headers=AUTO_GENERATED,
        recipient_user=requested_by if getattr(requested_by, "pk", None) else None,
    )
    return _queue([email])[0]


def outbound_webhook_disabled_queue(
    *,
    user: Any,
    url: str,
    reason: str,
    failing_since: datetime.datetime,
    settings_url: str,
    now: datetime.datetime,
) -> OutboundEmail | None:
    """Tell the owner of a webhook endpoint that it was switched off after failing since
    ``failing_since`` (in their time zone and language); ``settings_url``: the page to switch it on
    again. None when they cannot be emailed."""
    if user is None or not user.is_active or not user.email:
        return None
    identity = email_identity()
    zone, language = agent_zone_and_language(user)
    with translation.override(language):
        subject = _("Webhook switched off: %(url)s") % {"url": url[:150]}
    rendered = compose.render(
        "webhook_disabled",
        {
            "recipient": user,
            "url": url,
            "reason": reason,
            "failing_since": failing_since,
            "settings_url": settings_url,
            "help_desk_name": identity.name,
        },
        subject=subject,
        language=language,
        zone=zone,
    )
    email = _row(
        OutboundEmail.Kind.WEBHOOK_DISABLED,
        rendered,
        identity=identity,
        to=[user.email],
        now=now,
        language=language,
        headers=AUTO_GENERATED,
        recipient_user=user,
    )
    return _queue([email])[0]


# --- Delivery -------------------------------------------------------------------------------------


def _as_email_message(email: OutboundEmail, connection: Any) -> compose.HelpDeskEmail:
    headers = {"Message-ID": email.message_id, **email.headers}
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
    if email.references:
        headers["References"] = email.references
    message = compose.HelpDeskEmail(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=email.to,
        cc=email.cc,
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=headers,
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def _failure(exc: BaseException) -> tuple[bool, str]:
    """(is permanent, reason) for an exception raised while sending."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        reason = "; ".join(
            f"{address}: {code} {_smtp_text(text)}"
            for address, (code, text) in exc.recipients.items()
        )
        return bool(codes) and all(code >= 500 for code in codes), reason
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
        # The server's settings are wrong: retried, so that fixing them delivers the email.
        return False, reasons.stored(reasons.SIGN_IN_REFUSED, exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500, f"{exc.smtp_code} {_smtp_text(exc.smtp_error)}"
    if isinstance(exc, BadHeaderError | ValueError | UnicodeError):
        return True, reasons.stored(reasons.NOT_BUILT, exc)
    if _is_timeout(exc):
        return False, reasons.stored(reasons.TIMED_OUT, f"({exc or 'timed out'}).")
    if isinstance(exc, smtplib.SMTPException | OSError):
        return False, reasons.stored(reasons.NO_SERVER, exc)
    return False, f"{type(exc).__name__}: {exc}"


def _is_timeout(exc: BaseException | None) -> bool:
    """True when a socket timeout caused ``exc`` (smtplib reports one that struck while it read
    an answer as "Connection unexpectedly closed")."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, TimeoutError | socket.timeout):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _smtp_text(text: Any) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return compose.header_text(str(text))


def outbound_email_deliver(*, email_id: int, now: datetime.datetime) -> str | None:
    """Claim one queued email whose attempt is due, send it, record the outcome.

    Must run outside any transaction (the Celery task's service): the send holds no locks, and
    ``EMAIL_TIMEOUT`` bounds each step of the SMTP conversation. Returns the email's new state,
    or None when there was nothing to do (sent or claimed already, or its retry not yet due) —
    so a task delivered twice sends once. A temporary failure is retried after the next delay
    of ``RETRY_DELAYS``; a permanent one (a 5xx answer, an email that cannot be built) or the
    last attempt marks it failed with the reason.
    """
    claimed = OutboundEmail.objects.filter(
        pk=email_id, state=OutboundEmail.State.QUEUED, next_attempt_at__lte=now
    ).update(state=OutboundEmail.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    email = OutboundEmail.objects.get(pk=email_id)
    try:
        with get_connection() as connection:
            _as_email_message(email, connection).send()
    except Exception as exc:
        permanent, reason = _failure(exc)
        last = email.attempts >= MAX_ATTEMPTS
        ticket = f"ticket #{email.ticket_id}" if email.ticket_id else "no ticket"
        logger.warning(
            "Email %s (%s, %s) to %s: attempt %s failed%s: %s",
            email.pk,
            email.kind,
            ticket,
            ", ".join(email.to),
            email.attempts,
            "" if permanent or last else ", will retry",
            reason,
        )
        if permanent or last:
            if last and not permanent:
                reason = _("Gave up after %(n)s attempts. %(reason)s") % {
                    "n": email.attempts,
                    "reason": reason,
                }
            state, changes = OutboundEmail.State.FAILED, {"failed_at": now}
        else:
            retry_at = now + RETRY_DELAYS[email.attempts - 1]
            state, changes = OutboundEmail.State.QUEUED, {"next_attempt_at": retry_at}
        OutboundEmail.objects.filter(
            pk=email.pk, state=OutboundEmail.State.SENDING, claimed_at=now
        ).update(detail=reason[:2000], state=state, **changes)
        return state
    OutboundEmail.objects.filter(
        pk=email.pk, state=OutboundEmail.State.SENDING, claimed_at=now
    ).update(state=OutboundEmail.State.SENT, sent_at=now, detail="")
    return OutboundEmail.State.SENT


def outbound_emails_requeue(*, now: datetime.datetime, batch_size: int = REQUEUE_BATCH) -> int:
    """The sweep's step: queue again the emails whose retry is due, whose task was lost (still
    queued ``REQUEUE_AFTER`` after it was queued), or whose worker died mid-send (``sending``
    for ``STALE_SENDING``). Returns how many were queued. Safe to run concurrently: a task
    claims its email before sending, so an email queued twice is sent once."""
    OutboundEmail.objects.filter(
        state=OutboundEmail.State.SENDING, claimed_at__lte=now - STALE_SENDING
    ).update(
        state=OutboundEmail.State.QUEUED,
        next_attempt_at=now,
        enqueued_at=None,
        detail=reasons.REQUEUED,  # stored in English, shown translated (reasons.detail_text)
    )
    due = OutboundEmail.objects.filter(
        state=OutboundEmail.State.QUEUED, next_attempt_at__lte=now
    ).filter(
        Q(enqueued_at=None)
        | Q(enqueued_at__lt=F("next_attempt_at"))
        | Q(enqueued_at__lte=now - REQUEUE_AFTER)
    )
    ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:batch_size])
    if ids:
        OutboundEmail.objects.filter(pk__in=ids).update(enqueued_at=now)
        _enqueue(ids)
    return len(ids)


def outbound_emails_send_again(*, email_ids: Iterable[int], now: datetime.datetime) -> int:
    """Queue failed emails again, from a fresh first attempt (support staff, after fixing the
    mail server's settings or an address with the customer). Returns how many were queued."""
    with transaction.atomic():
        ids = list(
            OutboundEmail.objects.filter(
                pk__in=list(email_ids), state=OutboundEmail.State.FAILED
            ).values_list("pk", flat=True)
        )
        OutboundEmail.objects.filter(pk__in=ids).update(
            state=OutboundEmail.State.QUEUED,
            attempts=0,
            detail="",
            failed_at=None,
            next_attempt_at=now,
            enqueued_at=now,
        )
        transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def outbound_mark_bounced(*, message_id: str, reason: str, now: datetime.datetime) -> bool:
    """Mark our email with this Message-ID (angle brackets included) failed: a bounce came
    back for it. Returns False when no email of ours has that id. For incoming mail."""
    reason = reason.strip()[:1900] or reasons.NO_REASON
    updated = OutboundEmail.objects.filter(message_id=message_id.strip()).update(
        state=OutboundEmail.State.FAILED,
        failed_at=now,
        detail=reasons.stored(reasons.BOUNCED, reason),
    )
    return bool(updated)


# --- Settings and demo data ----------------------------------------------------------------------


def email_settings_save(
    *,
    actor: Any,
    now: datetime.datetime,
    from_name: str,
    from_address: str,
    reply_to_address: str,
    acknowledge_new_tickets: bool,
) -> EmailSettings:
    """Save the help desk's email identity and switches (the one row). The name is kept to one
    line (it goes into every email's From header)."""
    with transaction.atomic():
        found = email_settings_get()
        found.from_name = compose.header_text(from_name)[:100]
        found.from_address = from_address.strip()
        found.reply_to_address = reply_to_address.strip()
        found.acknowledge_new_tickets = acknowledge_new_tickets
        found.updated_at = now
        found.updated_by = actor if getattr(actor, "pk", None) else None
        found.save()
    return found


def outbound_demo_settle(*, now: datetime.datetime) -> int:
    """Mark the demo data's queued emails as sent without sending them (the demo's history is
    made up: its customers and agents need no email about it)."""
    return OutboundEmail.objects.filter(state=OutboundEmail.State.QUEUED).update(
        state=OutboundEmail.State.SENT,
        sent_at=F("created_at"),
        detail=reasons.DEMO_NOT_SENT,
    )
