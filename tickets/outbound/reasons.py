"""Why an email is where it is (``OutboundEmail.detail``), written once and read in any language.

The detail is stored in English (the worker that writes it serves no reader), and shown in the
reader's language: ``detail_text`` turns a stored text back into the active language. A fixed
text ("Demo data: not really sent.") is its own catalogue entry; a text that carries the mail
server's words ("Could not reach the mail server: [Errno 111] Connection refused") is matched by
its English start, and only that start is translated. Anything else (an SMTP answer such as
"550 5.1.1 No such user", written before this module) is shown as it was stored.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

DEMO_NOT_SENT = gettext_noop("Demo data: not really sent.")
REQUEUED = gettext_noop("The worker stopped while sending; queued again.")
NO_REASON = gettext_noop("no reason given")
FIXED = (DEMO_NOT_SENT, REQUEUED)

# (English start as stored, its catalogue entry with the rest as %(error)s)
SIGN_IN_REFUSED = (
    "The mail server refused the sign-in: ",
    gettext_noop("The mail server refused the sign-in: %(error)s"),
)
NOT_BUILT = (
    "The email could not be built: ",
    gettext_noop("The email could not be built: %(error)s"),
)
NO_SERVER = (
    "Could not reach the mail server: ",
    gettext_noop("Could not reach the mail server: %(error)s"),
)
TIMED_OUT = (
    "The mail server did not answer in time ",
    gettext_noop("The mail server did not answer in time %(error)s"),
)
BOUNCED = ("Bounced: ", gettext_noop("Bounced: %(error)s"))
PREFIXED = (SIGN_IN_REFUSED, NOT_BUILT, NO_SERVER, TIMED_OUT, BOUNCED)


def stored(reason: tuple[str, str], error: object) -> str:
    """The text to store for ``reason`` with the server's or library's words ``error``."""
    return f"{reason[0]}{error}"


def detail_text(detail: str) -> str:
    """A stored detail in the active language."""
    if not detail:
        return ""
    if detail in FIXED:
        return gettext(detail)
    for start, entry in PREFIXED:
        if detail.startswith(start):
            rest = detail[len(start) :]
            return gettext(entry) % {"error": gettext(rest) if rest == NO_REASON else rest}
    return gettext(detail)  # another entry of the catalogue, or the text as it is
