"""Reads of inbound email for agents: a message's attachments and its original email."""

from __future__ import annotations

from django.db.models import Prefetch

from tickets.inbound.models import Attachment, InboundEmail


def message_mail_prefetches() -> tuple[Prefetch, Prefetch]:
    """For a list of ticket messages: each one's ``attachments`` (names and sizes, not their
    contents) and its ``inbound_email`` (without the raw bytes), in two queries for the list."""
    return (
        Prefetch(
            "attachments",
            queryset=Attachment.objects.only(
                "id", "message_id", "filename", "content_type", "size"
            ),
        ),
        Prefetch("inbound_email", queryset=InboundEmail.objects.only("id", "message_id")),
    )


def attachment_get(*, ticket_id: int, attachment_id: int) -> Attachment | None:
    return (
        Attachment.objects.filter(pk=attachment_id, message__ticket_id=ticket_id)
        .only("filename", "content_type", "size", "content")
        .first()
    )


def original_email_get(*, ticket_id: int, message_id: int) -> InboundEmail | None:
    return (
        InboundEmail.objects.filter(message_id=message_id, message__ticket_id=ticket_id)
        .only("identity", "raw", "message_id")
        .first()
    )
