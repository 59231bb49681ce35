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

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from slaproject.api import ApiError, api_endpoint, error_response
from slaproject.rate_limits import rate_limited
from tickets.inbound.models import Via
from tickets.inbound.services import email_ingest, max_bytes

logger = logging.getLogger(__name__)
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


def _receive(request: HttpRequest) -> HttpResponse:
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
    return JsonResponse(body, status=202)


_with_token = api_endpoint(methods=("POST",))(_receive)


@rate_limited("inbound_email")
def _with_key(request: HttpRequest) -> HttpResponse:
    """The ``?key=`` path, limited per client address by ``RATE_LIMITS["inbound_email"]``
    (counted before the key is checked, so guessing keys is limited too); token callers are
    limited per token by ``api_endpoint``."""
    expected = settings.INBOUND_EMAIL_KEY
    given = request.GET.get("key", "")
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        return error_response(401, {"key": [_("Invalid key.")]})
    try:
        return _receive(request)
    except ApiError as exc:
        return error_response(exc.status, exc.errors)


@csrf_exempt
def inbound_email_endpoint(request: HttpRequest) -> HttpResponse:
    if "key" not in request.GET:
        return _with_token(request)
    if request.method != "POST":
        response = error_response(405, {"": [f"Method {request.method} is not allowed here."]})
        response["Allow"] = "POST"
        return response
    return _with_key(request)
