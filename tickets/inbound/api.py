"""``POST /api/inbound-email/``: a mail service forwards one raw message (SPEC section 7 and 8).

The body is the message as received (``Content-Type: message/rfc822``). Credentials: an agent's
API token (``Authorization: Token <key>``), or, for services that cannot send headers, the
``INBOUND_EMAIL_KEY`` secret in the URL (``?key=…``). The answer is 202 with what became of the
message (a repeat is 202 too, and changes nothing); a message over ``INBOUND_EMAIL_MAX_BYTES`` is
refused with 413 and a message saying the limit, and kept for support staff.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from slaproject.api import ApiAuth, ApiError, ApiRefusal, answer, error_responses
from slaproject.client_address import client_address
from slaproject.rate_limits import rate_limit_response
from tickets.inbound.models import Via
from tickets.inbound.services import email_ingest, max_bytes

logger = logging.getLogger(__name__)
router = Router(tags=["inbound email"])
CONTENT_TYPE = "message/rfc822"
READ_CHUNK = 64 * 1024


def _read_body(request: HttpRequest) -> tuple[bytes, int]:
    """The body's first ``max_bytes() + 1`` bytes at most, and the body's whole size.

    Read from the stream, so Django's in-memory limit for form posts does not apply; the rest of
    an oversized body is read and dropped (or its size taken from Content-Length)."""
    limit = max_bytes()
    chunks: list[bytes] = []
    kept = 0
    while kept <= limit:
        chunk = request.read(min(READ_CHUNK, limit + 1 - kept))
        if not chunk:
            break
        chunks.append(chunk)
        kept += len(chunk)
    size = kept
    if kept > limit:
        try:
            size = max(int(request.META.get("CONTENT_LENGTH") or 0), kept)
        except ValueError:
            size = kept
        while request.read(READ_CHUNK):
            pass
    return b"".join(chunks), size


class Inbound(Schema):
    outcome: str = Field(..., description="What became of the message.")
    detail: str
    ticket: int | None
    message: int | None


def _receive(request: HttpRequest) -> Any:
    raw, size = _read_body(request)
    if not raw.strip():
        raise ApiError(400, {"": [_("The body is empty: send the raw message.")]})
    if request.content_type != CONTENT_TYPE:
        raise ApiError(415, {"": [_("Send the raw message with Content-Type: message/rfc822.")]})
    try:
        result = email_ingest(raw=raw, via=Via.WEBHOOK, now=timezone.now(), size=size)
    except DatabaseError:
        logger.exception("Inbound email could not be stored")
        message = _("Temporarily unavailable: send the message again later.")
        raise ApiError(503, {"": [message]}) from None
    if result.is_refused:
        raise ApiError(413, {"": [result.detail]})
    body = {
        "outcome": result.outcome,
        "detail": result.detail,
        "ticket": result.ticket_id,
        "message": result.message_id,
    }
    return answer(body, 202)


class InboundAuth(ApiAuth):
    """An agent's API token (or session), or, for mail services that cannot send headers, the
    ``INBOUND_EMAIL_KEY`` secret in the URL (``?key=…``)."""

    def __call__(self, request: HttpRequest) -> Any:
        if "key" not in request.GET:
            return super().__call__(request)
        # Limited per client address by RATE_LIMITS["inbound_email"], counted before the key is
        # checked, so guessing keys is limited too (token callers: per token, by ApiAuth).
        refusal = rate_limit_response(
            request, scope="inbound_email", key=f"address:{client_address(request)}"
        )
        if refusal is not None:
            raise ApiRefusal(refusal)
        expected = settings.INBOUND_EMAIL_KEY
        given = request.GET.get("key", "")
        if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
            raise ApiError(401, {"key": [_("Invalid key.")]})
        return "inbound-key"


@router.post(
    "/inbound-email/",
    auth=InboundAuth(),
    response={202: Inbound, **error_responses(400, 413, 415, 503)},
    url_name="api_inbound_email",
    summary="Receive a raw email",
    description=(
        "A mail service forwards one raw RFC 5322 message as the body (Content-Type: "
        "message/rfc822): it becomes a new ticket or a customer message on the ticket it "
        "answers (SPEC section 8). A repeat (same Message-ID) is 202 too and changes nothing."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        "parameters": [
            {
                "name": "key",
                "in": "query",
                "required": False,
                "description": "INBOUND_EMAIL_KEY, instead of a token.",
                "schema": {"type": "string"},
            }
        ],
    },
)
def inbound_email_endpoint(request: HttpRequest) -> Any:
    return _receive(request)
