"""The IMAP reader against a real server (Dovecot): what it takes, what it marks, and when."""

from __future__ import annotations

import ssl

import pytest

from tests.tickets.inbound.conftest import Mailbox, corpus
from tickets.inbound.mailbox import (
    ImapSettings,
    MailboxError,
    imap_settings_from_url,
    mailbox_poll,
)


def simple(n: int) -> bytes:
    return (
        f"From: c{n}@example.com\r\nTo: support@example.com\r\nSubject: Mail {n}\r\n"
        f"Message-ID: <m{n}@example.com>\r\n\r\nBody {n}\r\n"
    ).encode()


class Recorder:
    def __init__(self, *, fail_on: int | None = None) -> None:
        self.seen: list[tuple[bytes, int]] = []
        self.fail_on = fail_on

    def __call__(self, *, raw: bytes, size: int) -> str:
        if self.fail_on is not None and len(self.seen) == self.fail_on:
            raise RuntimeError("database down")
        self.seen.append((raw, size))
        return "ticket_created"


def poll(mailbox: Mailbox, ingest, *, done: str = "Processed", max_bytes: int = 10**6, **kw):
    config = imap_settings_from_url(mailbox.url(**kw))
    return mailbox_poll(config, ingest=ingest, done_folder=done, max_bytes=max_bytes, timeout=10)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "imaps://help%40acme.com:p%2Fss%3Aw@imap.acme.com/INBOX",
            ImapSettings("imap.acme.com", 993, "tls", "help@acme.com", "p/ss:w", "INBOX"),
        ),
        (
            "imap+starttls://u:p@mail.local:1143/Support%20mail",
            ImapSettings("mail.local", 1143, "starttls", "u", "p", "Support mail"),
        ),
        ("imap://u:p@127.0.0.1", ImapSettings("127.0.0.1", 143, "none", "u", "p", "INBOX")),
    ],
)
def test_imap_url_is_read_with_its_encoded_user_password_and_folder(url, expected):
    assert imap_settings_from_url(url) == expected
    assert "p/ss" not in repr(imap_settings_from_url(url))


@pytest.mark.parametrize(
    "url", ["https://u:p@host/", "imaps://host/INBOX", "imaps://u@host/", "imaps://u:p@host:99999/"]
)
def test_a_malformed_imap_url_is_refused_with_a_message(url):
    with pytest.raises(ValueError, match="IMAP_URL"):
        imap_settings_from_url(url)


def test_a_poll_takes_each_message_oldest_first_then_moves_it_to_the_done_folder(mailbox):
    for n in (1, 2, 3):
        mailbox.deliver(simple(n))
    recorder = Recorder()
    result = poll(mailbox, recorder)
    assert result.taken == 3 and not result.more_waiting
    assert [raw.split(b"Subject: ")[1][:6] for raw, _size in recorder.seen] == [
        b"Mail 1",
        b"Mail 2",
        b"Mail 3",
    ]
    assert [size for raw, size in recorder.seen] == [len(raw) for raw, _size in recorder.seen]
    assert mailbox.messages("INBOX") == []
    assert len(mailbox.messages("Processed")) == 3
    assert poll(mailbox, recorder).taken == 0  # nothing waits any more


def test_a_poll_that_fails_while_ingesting_leaves_that_message_and_the_rest_in_place(mailbox):
    for n in (1, 2, 3):
        mailbox.deliver(simple(n))
    with pytest.raises(RuntimeError, match="database down"):
        poll(mailbox, Recorder(fail_on=1))
    # The first was taken and moved; the one whose ingest failed and the third wait.
    assert len(mailbox.messages("Processed")) == 1
    assert len(mailbox.messages("INBOX")) == 2
    recorder = Recorder()
    assert poll(mailbox, recorder).taken == 2
    assert len(mailbox.messages("Processed")) == 3


def test_reading_does_not_mark_a_message_seen_and_without_a_done_folder_it_is_flagged(mailbox):
    mailbox.deliver(simple(1))
    with pytest.raises(RuntimeError):
        poll(mailbox, Recorder(fail_on=0), done="")
    [(flags, _raw)] = mailbox.messages("INBOX")
    assert b"\\Seen" not in flags  # BODY.PEEK: a failed poll leaves it unread
    recorder = Recorder()
    assert poll(mailbox, recorder, done="").taken == 1
    [(flags, _raw)] = mailbox.messages("INBOX")
    assert b"\\Seen" in flags
    assert poll(mailbox, recorder, done="").taken == 0  # only unseen mail is taken


def test_a_message_over_the_limit_is_read_only_up_to_the_limit_with_its_full_size(mailbox):
    big = simple(1) + b"x" * 5000 + b"\r\n"
    mailbox.deliver(big)
    recorder = Recorder()
    poll(mailbox, recorder, max_bytes=1000)
    [(raw, size)] = recorder.seen
    assert len(raw) == 1000 and size == len(big)


def test_a_poll_takes_a_batch_and_says_when_more_are_waiting(mailbox):
    for n in range(1, 5):
        mailbox.deliver(simple(n))
    config = imap_settings_from_url(mailbox.url())
    recorder = Recorder()
    result = mailbox_poll(
        config, ingest=recorder, done_folder="Done", max_bytes=10**6, timeout=10, batch=3
    )
    assert (result.taken, result.more_waiting) == (3, True)
    assert len(mailbox.messages("INBOX")) == 1


def test_a_corpus_message_arrives_byte_for_byte(mailbox):
    raw = corpus("attachments")
    mailbox.deliver(raw)
    recorder = Recorder()
    poll(mailbox, recorder)
    [(taken, _size)] = recorder.seen
    assert taken.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")


def test_tls_connections_verify_the_server_certificate(mailbox, monkeypatch):
    mailbox.deliver(simple(1))
    with pytest.raises(ssl.SSLCertVerificationError):
        poll(mailbox, Recorder(), scheme="imaps")
    # Trusting the test server's self-signed certificate, both TLS forms work.
    monkeypatch.setenv("SSL_CERT_FILE", str(mailbox.server.cert_file))
    assert poll(mailbox, Recorder(), scheme="imaps").taken == 1
    mailbox.deliver(simple(2))
    assert poll(mailbox, Recorder(), scheme="imap+starttls").taken == 1


def test_a_wrong_password_is_a_clear_error(mailbox):
    config = imap_settings_from_url(mailbox.url().replace(":mailbox-secret-1@", ":wrong@"))
    with pytest.raises(MailboxError, match="Sign-in failed"):
        mailbox_poll(config, ingest=Recorder(), done_folder="", max_bytes=1000, timeout=10)


def test_a_poll_stops_at_its_byte_budget_and_says_more_are_waiting(mailbox):
    for n in range(1, 4):
        mailbox.deliver(simple(n) + b"x" * 2000 + b"\r\n")
    config = imap_settings_from_url(mailbox.url())
    recorder = Recorder()
    result = mailbox_poll(
        config, ingest=recorder, done_folder="Done", max_bytes=10**6, timeout=10, budget_bytes=3000
    )
    assert (result.taken, result.more_waiting) == (2, True)  # the second one went over
    assert len(mailbox.messages("INBOX")) == 1
