"""Outgoing email: the help desk's email settings and the outbox, one row per email.

Every email the help desk sends — a public reply, an acknowledgement, an agent's notice, an SLA
alert, a test — is first an ``OutboundEmail`` row written in the transaction of the change that
causes it, fully rendered. After the commit a Celery task claims the row (compare-and-swap on its
state), sends it outside any transaction and records the outcome; the beat sweep re-queues rows
whose task was lost. Writes go through ``tickets.outbound.services``; reads through
``tickets.outbound.selectors``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.outbound.reasons import detail_text


class EmailSettings(models.Model):
    """The help desk's email identity and switches: one row (pk 1), kept apart from the SLA
    settings document. Edited by super admins at ``/settings/email/``."""

    from_name = models.CharField(
        _("help desk name"),
        max_length=100,
        default="Help desk",
        help_text=_("Shown as the sender's name of every email."),
    )
    from_address = models.EmailField(
        _("help desk address"),
        blank=True,
        help_text=_(
            "Emails are sent from this address, and customers' answers come back to it. "
            "Blank: the server's DEFAULT_FROM_EMAIL."
        ),
    )
    reply_to_address = models.EmailField(
        _("reply-to address"),
        blank=True,
        help_text=_(
            "Where customers' answers go when it is not the help desk address (the mailbox the "
            "help desk reads). Blank: the help desk address."
        ),
    )
    acknowledge_new_tickets = models.BooleanField(
        _("acknowledge new tickets"),
        default=True,
        help_text=_(
            "Email the customer the ticket number when a ticket is opened (never in answer to "
            "an automatic reply)."
        ),
    )
    updated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("email settings")
        verbose_name_plural = _("email settings")

    def __str__(self) -> str:
        return str(_("Email settings"))


class OutboundEmail(models.Model):
    """One email, rendered, with its delivery state.

    ``queued`` → ``sending`` (claimed by one task) → ``sent``; a temporary failure goes back to
    ``queued`` with a later ``next_attempt_at``; a permanent one, or the last attempt, ends in
    ``failed`` with the reason in ``detail``. A bounce that comes back later also marks it
    ``failed``.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
        CUSTOMER_REPLIED = "customer_replied", _("Agent notice: customer replied")
        ASSIGNED = "assigned", _("Agent notice: ticket assigned")
        SLA_ALERT = "sla_alert", _("SLA alert")
        TEST = "test", _("Test")
        WEBHOOK_DISABLED = "webhook_disabled", _("Webhook switched off")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=20, choices=Kind, verbose_name=_("kind"))
    state = models.CharField(
        max_length=10, choices=State, default=State.QUEUED, verbose_name=_("state")
    )
    # What the email is about (any may be null: a test email has none of them). No database
    # constraints on the event link: the event log has none either (see SlaEvent).
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_emails",
        verbose_name=_("ticket"),
    )
    # The message the email carries (a public reply) or tells about (a customer's message).
    ticket_message = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_emails",
        verbose_name=_("ticket message"),
    )
    sla_event = models.ForeignKey(
        "tickets.SlaEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        verbose_name=_("SLA event"),
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The agent an agent notice or SLA alert is for."),
        verbose_name=_("recipient user"),
    )
    # The email as rendered when it was queued: headers and both parts.
    from_email = models.CharField(max_length=320, verbose_name=_("from email"))
    to = models.JSONField(default=list, verbose_name=_("to"))
    cc = models.JSONField(default=list, blank=True, verbose_name=_("cc"))
    reply_to = models.CharField(max_length=254, blank=True, verbose_name=_("reply to"))
    subject = models.CharField(max_length=300, verbose_name=_("subject"))
    message_id = models.CharField(
        max_length=255, unique=True, verbose_name=_("message id")
    )  # with its angle brackets
    in_reply_to = models.CharField(max_length=255, blank=True, verbose_name=_("in reply to"))
    references = models.TextField(blank=True, verbose_name=_("references"))
    headers = models.JSONField(
        default=dict, blank=True, verbose_name=_("headers")
    )  # Auto-Submitted, Content-Language, …
    language = models.CharField(max_length=10, blank=True, verbose_name=_("language"))
    body_text = models.TextField(verbose_name=_("body text"))
    body_html = models.TextField(blank=True, verbose_name=_("body html"))
    # Delivery.
    detail = models.TextField(
        blank=True, verbose_name=_("detail")
    )  # why it failed (or is being retried)
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    created_at = models.DateTimeField(verbose_name=_("created at"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    # When a task for the row was last put on the queue (the sweep re-queues lost ones).
    enqueued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("enqueued at"))
    claimed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("claimed at")
    )  # sending since
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    failed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("failed at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [
            # The sweep's re-queue step: rows still to send (partial: sent and failed rows,
            # nearly all of them, have no entry).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["queued", "sending"]),
                name="outbound_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s to %(to)s: %(subject)s") % {
            "kind": self.get_kind_display(),
            "to": ", ".join(self.to),
            "subject": self.subject,
        }

    @property
    def detail_text(self) -> str:
        """``detail`` (stored in English) in the active language."""
        return detail_text(self.detail)

    @property
    def state_at(self) -> datetime.datetime | None:
        """When the email reached its current state (queued: its last attempt, else creation)."""
        if self.state == self.State.SENT:
            return self.sent_at
        if self.state == self.State.FAILED:
            return self.failed_at
        return self.claimed_at or self.created_at
