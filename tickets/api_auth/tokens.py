"""API tokens in use: the lookup ``slaproject.api`` authenticates a ``Token`` header with
(registered by ``tickets.api_auth.apps``)."""

from __future__ import annotations

import datetime

from tickets.api_auth.models import ApiToken, api_key_hash

# A token's ``last_used_at`` is written at most once a minute, not on every request.
LAST_USED_RESOLUTION = datetime.timedelta(seconds=60)


def api_token_for_key(key: str, *, now: datetime.datetime) -> ApiToken | None:
    """The active token of an active user whose key is ``key``, else None; notes its use.

    Only hashes are stored: the key is looked up by its SHA-256 (one indexed equality).
    """
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=api_key_hash(key), is_active=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
