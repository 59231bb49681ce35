"""Webhooks (SPEC §7): endpoints that super admins register, one delivery row per event and
endpoint, one attempt row per HTTP request.

An event (``ticket.created``, ``message.created``, ``sla.due_soon``, ``sla.overdue``,
``sla.completed_late``) becomes one ``WebhookDelivery`` per subscribed active endpoint, written in
the transaction of the change that causes it, with its body already rendered (so every retry sends
the same bytes). After the commit a Celery task claims the row (compare-and-swap on its state),
posts it outside any transaction and records a ``WebhookAttempt``. Writes go through
``tickets.webhooks.services``; reads through ``tickets.webhooks.selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    MESSAGE_CREATED = "message.created", _("Message added")
    SLA_DUE_SOON = "sla.due_soon", _("SLA due soon")
    SLA_OVERDUE = "sla.overdue", _("SLA overdue")
    SLA_COMPLETED_LATE = "sla.completed_late", _("SLA completed late")


# Sent by the "send test event" button only; no endpoint subscribes to it.
TEST_EVENT = "webhook.test"


class WebhookEndpoint(models.Model):
    """A URL told of the events it subscribes to, signed with its own secret."""

    url = models.CharField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list)  # EventType values, in choice order
    is_active = models.BooleanField(_("active"), default=True)
    # Signs every delivery (HMAC-SHA256); shown once, when the endpoint is created.
    secret = models.CharField(max_length=100, verbose_name=_("secret"))
    # Who registered it: told by email when it is switched off after failing for 24 hours.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))
    # The first failed attempt since the last success (null: the last attempt succeeded).
    failing_since = models.DateTimeField(null=True, blank=True, verbose_name=_("failing since"))
    # Set when the endpoint was switched off for failing; cleared when it is switched on again.
    disabled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("disabled at"))
    disabled_reason = models.TextField(blank=True, verbose_name=_("disabled reason"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: its body, its state, its attempts.

    ``pending`` → ``sending`` (claimed by one task) → ``delivered``; a failed attempt goes back to
    ``pending`` with a later ``next_attempt_at`` (exponential backoff) until 24 hours after the
    event, then ``failed``.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event_id = models.CharField(
        max_length=60, verbose_name=_("event id")
    )  # the body's "id"; the same for every endpoint
    event_type = models.CharField(max_length=30, verbose_name=_("event type"))
    body = models.TextField(verbose_name=_("body"))  # the JSON exactly as signed and sent
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        verbose_name=_("ticket"),
    )
    state = models.CharField(
        max_length=10, choices=State, default=State.PENDING, verbose_name=_("state")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    last_status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("last status code")
    )
    detail = models.TextField(blank=True, verbose_name=_("detail"))  # why the last attempt failed
    created_at = models.DateTimeField(verbose_name=_("created at"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    enqueued_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("enqueued at")
    )  # task last put on the queue
    claimed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("claimed at")
    )  # sending since
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    failed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("failed at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # Backstop: one delivery of an event per endpoint, however often it is emitted.
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_event_once"),
        ]
        indexes = [
            # The delivery log of an endpoint, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log_idx"),
            # The sweep's re-queue step: deliveries still to send.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="webhook_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(event)s %(id)s to %(endpoint)s") % {
            "event": self.event_type,
            "id": self.event_id,
            "endpoint": self.endpoint_id,
        }


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, how long, the answer's status and the start of its body,
    or why there was no answer."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("delivery"),
    )
    number = models.PositiveSmallIntegerField(verbose_name=_("number"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    duration_ms = models.PositiveIntegerField(verbose_name=_("duration ms"))
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("status code")
    )
    response_excerpt = models.TextField(blank=True, verbose_name=_("response excerpt"))
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
