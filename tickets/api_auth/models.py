"""The API's own records: per-user tokens (only their hashes are stored) and the first answers
of POSTs sent with an ``Idempotency-Key`` (SPEC §7).

Both tables were made by the tickets app and keep their names (``db_table``): moving the models
here changed no table, so a server still running the code from before the move finds them.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from slaproject.text_fields import SingleLineCharField

# Characters of an API key kept in clear, to tell tokens apart in lists and audit logs.
KEY_PREFIX_LENGTH = 8


def api_key_hash(key: str) -> str:
    """The stored form of an API key: its SHA-256, hex. Keys are 256 random bits, so a fast
    hash is enough (nothing to guess by brute force), and the lookup is one indexed equality."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenManager(models.Manager["ApiToken"]):
    def create(self, *, key: str | None = None, **fields: Any) -> ApiToken:
        """``key`` (the secret) is never stored: only its hash and its first characters. The
        returned token carries it as ``token.key`` for the caller to show once."""
        token = self.model(**fields)
        if key is not None:
            token.set_key(key)
        token.save(force_insert=True, using=self.db)
        return token


class ApiToken(models.Model):
    """A per-user API key (``Authorization: Token <key>``); delete or deactivate to revoke.

    Only the key's SHA-256 is stored (``key_hash``) and its first characters (``key_prefix``) to
    tell tokens apart: the key itself is shown once, when the token is made, and never again.
    """

    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("key hash")
    )
    key_prefix = models.CharField(
        max_length=KEY_PREFIX_LENGTH, editable=False, verbose_name=_("key prefix")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    name = SingleLineCharField(max_length=100, blank=True, verbose_name=_("name"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # Who minted it (null: the create_api_token command, or a token older than this field).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))

    objects = ApiTokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        db_table = "tickets_apitoken"  # its name from before the move (issue 20)

    def __str__(self) -> str:
        return gettext("Token %(prefix)s… for %(user)s") % {
            "prefix": self.key_prefix,
            "user": self.user,
        }

    @staticmethod
    def generate_key() -> str:
        return secrets.token_urlsafe(32)  # 256 random bits, 43 characters

    def set_key(self, key: str) -> None:
        """Store ``key`` as its hash and prefix; keep it on this instance only (``self.key``)."""
        self.key_hash = api_key_hash(key)
        self.key_prefix = key[:KEY_PREFIX_LENGTH]
        self.key = key

    @property
    def audit_label(self) -> str:
        """How an audit log names this token: key prefix, name and id."""
        name = f" “{self.name}”" if self.name else ""
        return f"{self.key_prefix}…{name} (#{self.pk})"


class IdempotencyKey(models.Model):
    """The first answer to a POST with an ``Idempotency-Key``, replayed for 24 hours."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(max_length=200, verbose_name=_("key"))
    path = models.CharField(max_length=200, verbose_name=_("path"))
    # SHA-256 of the request's body (canonical JSON): the same key with another body is refused.
    # Blank on keys stored before it was kept: those replay as before.
    request_hash = models.CharField(
        max_length=64, blank=True, default="", verbose_name=_("request hash")
    )
    status_code = models.PositiveSmallIntegerField(verbose_name=_("status code"))
    response_body = models.JSONField(verbose_name=_("response body"))
    created_at = models.DateTimeField(db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        db_table = "tickets_idempotencykey"  # its name from before the move (issue 20)
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "path"], name="idempotency_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.path}"
