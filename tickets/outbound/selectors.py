"""Reads of outgoing email: the email settings, messages' delivery states, our Message-IDs."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypedDict

from django.conf import settings

from tickets.outbound.models import EmailSettings, OutboundEmail
from tickets.outbound.reasons import detail_text

SETTINGS_PK = 1
# Emails that belong to a ticket's conversation with its customer: a reply to one of them is the
# customer answering on that ticket.
CUSTOMER_KINDS = (OutboundEmail.Kind.REPLY, OutboundEmail.Kind.ACKNOWLEDGEMENT)


def email_settings_get() -> EmailSettings:
    """The email settings row (defaults, unsaved, when none was ever saved)."""
    found = EmailSettings.objects.filter(pk=SETTINGS_PK).first()
    return found if found is not None else EmailSettings(pk=SETTINGS_PK)


@dataclass(frozen=True)
class Identity:
    """Who the help desk's emails are from, and where answers go."""

    name: str
    address: str
    reply_to: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "localhost"


def email_identity(email_settings: EmailSettings | None = None) -> Identity:
    """The help desk's sender name and address (``DEFAULT_FROM_EMAIL`` when none is set)."""
    found = email_settings or email_settings_get()
    address = found.from_address or _address_only(settings.DEFAULT_FROM_EMAIL)
    return Identity(
        name=found.from_name, address=address, reply_to=found.reply_to_address or address
    )


def _address_only(value: str) -> str:
    from email.utils import parseaddr

    return parseaddr(value)[1] or value


class DeliveryJson(TypedDict):
    """A message's email delivery as the API shows it (SPEC section 7)."""

    state: str
    detail: str
    at: str | None


@dataclass(frozen=True)
class Delivery:
    """The delivery of one message's email, as the ticket page and the API show it."""

    state: str  # "queued" | "sent" | "failed" ("sending" is shown as "queued")
    detail: str
    at: datetime.datetime | None
    email_id: int

    def as_json(self) -> DeliveryJson:
        from tickets.sla import iso

        return {"state": self.state, "detail": self.detail, "at": iso(self.at)}


def _delivery(email: OutboundEmail) -> Delivery:
    state = OutboundEmail.State.QUEUED if email.state == "sending" else email.state
    return Delivery(
        state=state, detail=detail_text(email.detail), at=email.state_at, email_id=email.pk
    )


def message_deliveries(message_ids: Iterable[int]) -> dict[int, Delivery]:
    """Message id -> the delivery of its email (the newest, when it was sent more than once).

    One query, however many messages. Messages without an email are left out.
    """
    ids = list(message_ids)
    if not ids:
        return {}
    emails = (
        OutboundEmail.objects.filter(ticket_message_id__in=ids)
        .only(
            "id",
            "ticket_message_id",
            "state",
            "detail",
            "created_at",
            "claimed_at",
            "sent_at",
            "failed_at",
        )
        .order_by("ticket_message_id", "id")
    )
    return {
        email.ticket_message_id: _delivery(email)
        for email in emails
        if email.ticket_message_id is not None  # the query asked for messages' emails only
    }


def ticket_acknowledgement_delivery(ticket_id: int) -> Delivery | None:
    """The delivery of the ticket's acknowledgement, if one was sent."""
    email = (
        OutboundEmail.objects.filter(ticket_id=ticket_id, kind=OutboundEmail.Kind.ACKNOWLEDGEMENT)
        .order_by("-id")
        .first()
    )
    return _delivery(email) if email is not None else None


def outbound_ticket_for_message_ids(message_ids: Iterable[str]) -> int | None:
    """The ticket that one of our customer emails with one of these Message-IDs (angle brackets
    included) belongs to, or None: for incoming mail that answers an acknowledgement or reply."""
    ids = [m for m in message_ids if m]
    if not ids:
        return None
    return (
        OutboundEmail.objects.filter(message_id__in=ids, kind__in=CUSTOMER_KINDS)
        .exclude(ticket__isnull=True)
        .order_by("-id")
        .values_list("ticket_id", flat=True)
        .first()
    )


def recent_test_emails(*, limit: int = 5) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=OutboundEmail.Kind.TEST).order_by("-id")[:limit])
