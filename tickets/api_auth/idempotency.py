"""Idempotency keys of the API (SPEC §7): a POST sent with an ``Idempotency-Key`` is answered
once; the same key with the same body gets the first answer again for 24 hours, with another
body 422. Older keys are purged by the periodic job."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Mapping

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from slaproject.api import ApiError, answer
from tickets.api_auth.models import IdempotencyKey

IDEMPOTENCY_WINDOW = datetime.timedelta(hours=24)
# The header as the OpenAPI document describes it (an operation's ``openapi_extra`` parameter).
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Up to 200 characters. Repeated within 24 hours with the same body: the first answer "
        "again (Idempotent-Replayed: true), nothing created; with another body: 422."
    ),
    "schema": {"type": "string", "maxLength": 200},
}


def _body_digest(request: HttpRequest) -> str:
    """SHA-256 of the body's JSON written canonically (the same JSON with other spacing or key
    order is the same body), or of its bytes when it is not JSON."""
    raw = request.body
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
        data = canonical.encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError, UnicodeDecodeError):
        data = raw
    return hashlib.sha256(data).hexdigest()


def idempotent(request: HttpRequest, handler: Callable[[], Mapping[str, object]]) -> JsonResponse:
    """``answer(handler(), 201)`` once per ``Idempotency-Key`` (per user and path) in 24 hours:
    the same key with the same body again gets the first answer, with another body 422.

    ``handler`` creates what the POST asks for and returns its JSON; it runs in the transaction
    that stores the answer, so two requests racing with one key create one thing."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return answer(handler(), 201)
    if len(key) > 200:
        raise ApiError(400, {"Idempotency-Key": [_("At most 200 characters.")]})
    try:
        digest = _body_digest(request)
    except RequestDataTooBig:
        return answer(handler(), 201)  # refused whole (413) by the handler's body check
    since = timezone.now() - IDEMPOTENCY_WINDOW
    lookup = {"user": request.user, "key": key, "path": request.path}

    def replay() -> JsonResponse | None:
        seen = IdempotencyKey.objects.filter(**lookup, created_at__gte=since).first()
        if seen is None:
            return None
        if seen.request_hash and seen.request_hash != digest:
            message = _(
                "This key was used in the last 24 hours with another body: send a new key for a "
                "new request."
            )
            raise ApiError(422, {"Idempotency-Key": [message]})
        response = JsonResponse(seen.response_body, status=seen.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    earlier = replay()
    if earlier is not None:
        return earlier
    IdempotencyKey.objects.filter(**lookup, created_at__lt=since).delete()
    try:
        with transaction.atomic():
            body = handler()
            IdempotencyKey.objects.create(
                **lookup,
                request_hash=digest,
                status_code=201,
                response_body=body,
                created_at=timezone.now(),
            )
    except IntegrityError:  # the same key raced us and won: answer what it answered
        earlier = replay()
        if earlier is None:
            raise
        return earlier
    return answer(body, 201)


def idempotency_keys_purge(*, now: datetime.datetime) -> int:
    """Delete the keys older than ``IDEMPOTENCY_WINDOW`` at ``now`` (aware). Returns how many.
    Idempotent; the ``created_at`` index finds them."""
    deleted, _count = IdempotencyKey.objects.filter(
        created_at__lt=now - IDEMPOTENCY_WINDOW
    ).delete()
    return deleted
