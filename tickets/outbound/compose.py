"""Composing emails: header hygiene, Message-IDs, threading headers and the templates.

Each email is rendered once, when it is queued, in its reader's language (``translation.override``)
and time zone (``timezone.override``), from ``templates/emails/<name>.txt`` and ``.html``. The HTML
part carries its styles inline (mail clients drop style sheets) and loads nothing remote.
"""

from __future__ import annotations

import secrets
import unicodedata
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

# Subjects are cut to this (RFC 5322 suggests 78 characters a line; folding handles the rest).
MAX_SUBJECT = 250
# References keep the thread's first Message-ID and its latest ones (RFC 5322 §3.6.4 allows
# trimming; mail clients thread on the first and the last).
MAX_REFERENCES = 20
# The line above which a customer types an answer: the inbound side cuts the quoted rest there.
# It starts with "##-" and ends with "-##" in every language.
REPLY_ABOVE_MARKER = "##- {} -##"


def header_text(value: str) -> str:
    """``value`` as one line of header text: line breaks, tabs and other control or format
    characters (ESC, BEL, bidirectional overrides) become single spaces; runs of spaces collapse.

    A subject such as ``"Help\\r\\nBcc: x"`` can then never add a header to an email.
    """
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value
    )
    return " ".join(cleaned.split())


class HelpDeskEmail(EmailMultiAlternatives):
    """Django's email, with a non-ASCII Subject folded after the header's name.

    Django encodes such a subject without knowing the header it goes in, so a long one (an SLA
    alert's "… — First reply due …") was written as ``Subject:`` and then the encoded words on
    a line of their own; readers that keep the folding white space (Python's ``email`` with
    ``policy.default``, some mail clients) showed it with a leading space. Encoded knowing its
    name, the first encoded word starts on the Subject line.
    """

    def message(self, *args: Any, **kwargs: Any) -> Any:
        message = super().message(*args, **kwargs)
        subject = str(self.subject)
        if not subject.isascii():
            message.replace_header("Subject", Header(subject, "utf-8", header_name="Subject"))
        return message


def mailbox(name: str, address: str) -> str:
    """``"Name" <address>`` with the name made safe for a header."""
    return formataddr((header_text(name), address))


def new_message_id(domain: str) -> str:
    """A fresh, unguessable Message-ID on ``domain``, with its angle brackets (128 random bits)."""
    return f"<{secrets.token_hex(16)}@{header_text(domain).replace(' ', '') or 'localhost'}>"


def references_header(ids: Iterable[str]) -> str:
    """The References value: unique ids in thread order, the first one and the latest ones."""
    unique = list(dict.fromkeys(i for i in ids if i))
    if len(unique) > MAX_REFERENCES:
        unique = [unique[0], *unique[-(MAX_REFERENCES - 1) :]]
    return " ".join(unique)


def language_for(code: str) -> str:
    """A language code Django knows, for ``code`` (else the site's default language)."""
    known = {lang for lang, _name in settings.LANGUAGES}
    if code:
        code = code.lower().replace("_", "-")
        for candidate in (code, code.split("-")[0]):
            if candidate in known:
                return candidate
    return settings.LANGUAGE_CODE


def reply_above_marker() -> str:
    from django.utils.translation import gettext

    return REPLY_ABOVE_MARKER.format(gettext("Please type your reply above this line"))


def ticket_url(ticket_id: int) -> str:
    """The ticket page's absolute address, for agents' emails (``SITE_URL``)."""
    return settings.SITE_URL.rstrip("/") + reverse("tickets:detail", args=[ticket_id])


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(
    name: str,
    context: dict[str, Any],
    *,
    subject: str,
    language: str,
    zone: zoneinfo.ZoneInfo | None = None,
) -> Rendered:
    """Render ``emails/<name>.txt`` and ``.html`` in ``language`` and ``zone``.

    ``subject`` comes translated from the caller (see ``in_language``); it is made one line and
    cut to ``MAX_SUBJECT`` here, so no subject can break the email's headers.
    """
    zone = zone or zoneinfo.ZoneInfo(settings.TIME_ZONE)
    subject = header_text(subject)[:MAX_SUBJECT]
    with translation.override(language), timezone.override(zone):
        full = {
            **context,
            "subject": subject,
            "ticket_subject": header_text(context["ticket"].subject) if "ticket" in context else "",
            "language": language,
            "zone_name": zone.key,
            "reply_above_marker": reply_above_marker(),
        }
        text = render_to_string(f"emails/{name}.txt", full)
        html = render_to_string(f"emails/{name}.html", full)
    return Rendered(subject=subject, text=_tidy_text(text), html=html)


def _tidy_text(text: str) -> str:
    """Template whitespace out of the text part: no trailing spaces, at most one blank line."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"
