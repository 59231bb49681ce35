"""An email's delivery detail is stored in English and read in the reader's language
(tickets.outbound.reasons, issue 22)."""

from __future__ import annotations

import pytest
from django.utils import translation

from tickets.outbound import reasons


@pytest.mark.parametrize(
    ("stored", "english", "swedish"),
    [
        ("", "", ""),
        (
            reasons.DEMO_NOT_SENT,
            "Demo data: not really sent.",
            "Demodata: inte skickat på riktigt.",
        ),
        (
            reasons.stored(reasons.NO_SERVER, "[Errno 111] Connection refused"),
            "Could not reach the mail server: [Errno 111] Connection refused",
            "Kunde inte nå e-postservern: [Errno 111] Connection refused",
        ),
        (
            reasons.stored(reasons.BOUNCED, reasons.NO_REASON),
            "Bounced: no reason given",
            "Studsade: ingen orsak angiven",
        ),
        # An SMTP answer is the server's own words.
        ("550 5.1.1 No such user", "550 5.1.1 No such user", "550 5.1.1 No such user"),
    ],
)
def test_a_stored_detail_reads_in_the_active_language(stored, english, swedish) -> None:
    with translation.override("en"):
        assert reasons.detail_text(stored) == english
    with translation.override("sv"):
        assert reasons.detail_text(stored) == swedish
