"""What the help desk keeps of the email it takes in.

``InboundEmail``: every message it accepted, once per identity (its Message-ID, or a content hash
for a message without one), with its raw bytes and what became of it. ``RejectedEmail``: messages
it could not read or refused for their size, with their bytes (up to the size limit) and the
reason, for support staff in the admin. ``Attachment``: a file of a ticket message, served only as
a download to agents. Writes go through ``tickets.inbound.services``.

Raw bytes and attachment contents live in the database, beside the ticket they belong to: they
commit with it (nothing is kept for a ticket that was rolled back, nothing is lost for one that was
committed), every web and worker machine reads them without a shared disk, and a backup holds
them. Lists never load them (``defer``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.models import Message, Ticket


class Via(models.TextChoices):
    PIPE = "pipe", _("Mail server pipe (ingest_email)")
    WEBHOOK = "webhook", _("Inbound webhook")
    IMAP = "imap", _("IMAP mailbox")


class InboundEmail(models.Model):
    class Outcome(models.TextChoices):
        TICKET_CREATED = "ticket_created", _("Opened a ticket")
        MESSAGE_ADDED = "message_added", _("Added to a ticket")
        AUTOMATIC = "automatic", _("Automatic message added to a ticket (no SLA effect)")
        IGNORED = "ignored", _("Ignored (automatic or bulk mail, no ticket)")
        BOUNCE = "bounce", _("Delivery failure report")

    # The Message-ID with its angle brackets, or <sha256-…@no-message-id.invalid>: one row each,
    # whichever way and however often the message arrives.
    identity = models.CharField(max_length=255, unique=True, verbose_name=_("identity"))
    received_at = models.DateTimeField(db_index=True, verbose_name=_("received at"))
    via = models.CharField(max_length=10, choices=Via, verbose_name=_("via"))
    from_email = models.CharField(max_length=254, verbose_name=_("from email"))
    from_name = models.CharField(max_length=200, blank=True, verbose_name=_("from name"))
    subject = models.CharField(max_length=200, blank=True, verbose_name=_("subject"))
    outcome = models.CharField(max_length=20, choices=Outcome, verbose_name=_("outcome"))
    # Why it was ignored or what it did (the automatic-mail reason, the bounced reply …).
    detail = models.TextField(blank=True, verbose_name=_("detail"))
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
        verbose_name=_("ticket"),
    )
    message = models.OneToOneField(
        Message,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_email",
        verbose_name=_("message"),
    )
    size = models.PositiveIntegerField(verbose_name=_("size"))
    raw = models.BinaryField(verbose_name=_("raw"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject or gettext('(no subject)')}"


class RejectedEmail(models.Model):
    class Reason(models.TextChoices):
        UNREADABLE = "unreadable", _("Cannot be read")
        TOO_LARGE = "too_large", _("Over the size limit")

    # SHA-256 of the bytes kept: the same unreadable message arriving again is kept once.
    digest = models.CharField(max_length=64, unique=True, verbose_name=_("digest"))
    received_at = models.DateTimeField(db_index=True, verbose_name=_("received at"))
    via = models.CharField(max_length=10, choices=Via, verbose_name=_("via"))
    kind = models.CharField(max_length=12, choices=Reason, verbose_name=_("kind"))
    reason = models.TextField(verbose_name=_("reason"))
    # Best-effort reads of the headers, for the admin's list.
    from_header = models.CharField(max_length=300, blank=True, verbose_name=_("from header"))
    subject_header = models.CharField(max_length=300, blank=True, verbose_name=_("subject header"))
    size = models.PositiveBigIntegerField(
        help_text=_("The size of the message as it arrived."), verbose_name=_("size")
    )
    is_truncated = models.BooleanField(
        default=False,
        help_text=_("Only the first bytes (up to the size limit) were kept."),
        verbose_name=_("is truncated"),
    )
    raw = models.BinaryField(verbose_name=_("raw"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("rejected email")
        verbose_name_plural = _("rejected emails")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_header or self.from_header or self.pk}"


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    filename = models.CharField(max_length=255, verbose_name=_("filename"))
    content_type = models.CharField(max_length=100, verbose_name=_("content type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    content = models.BinaryField(verbose_name=_("content"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["message_id", "id"]

    def __str__(self) -> str:
        return self.filename
