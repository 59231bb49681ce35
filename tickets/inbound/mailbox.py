"""Reading the help desk's IMAP mailbox (``IMAP_URL``) for Celery beat.

Each poll takes the messages waiting in the folder, oldest first, hands each one's bytes to
``tickets.inbound.services.email_ingest`` (which commits the ticket or message in its own
transaction),
and only then moves the message to ``IMAP_DONE_FOLDER`` (or, with no done folder, flags it
``\\Seen`` and reads only unseen mail). A poll cut off between the two leaves the message in
place; the next poll ingests it again, which the Message-ID makes a no-op, and then moves it: so
nothing is lost and nothing is taken twice. Messages are read with ``BODY.PEEK`` (reading does not
mark them seen); one over the size limit is read only up to the limit.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol
from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

logger = logging.getLogger(__name__)

# What one poll takes at most: 50 messages, 100 MB, or 60 seconds of work, whichever comes first;
# the task queues another poll at once when more are waiting, so a backlog drains in steps that
# each stay well inside the task's time limit (240 s soft) and a worker's memory.
POLL_BATCH = 50
POLL_BYTES = 100 * 1024 * 1024
POLL_SECONDS = 60.0
DEFAULT_PORTS = {"imaps": 993, "imap": 143, "imap+starttls": 143}
SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The server refused a step (login, select, move); the message says which and why."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str  # "tls" (imaps://), "starttls" (imap+starttls://) or "none" (imap://)
    username: str
    password: str
    folder: str

    def __repr__(self) -> str:  # never print the password
        return (
            f"ImapSettings({self.security}://{self.username}@{self.host}:{self.port}/{self.folder})"
        )


def imap_settings_from_url(url: str) -> ImapSettings:
    """``imaps://user:password@host[:port]/FOLDER`` (user and password URL-encoded; folder
    defaults to INBOX). ``imap+starttls://`` upgrades a plain connection; ``imap://`` sends the
    password in the clear, for a server on the same machine only. ValueError when malformed."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(_("IMAP_URL must start with imaps://, imap+starttls:// or imap://."))
    if not parts.hostname or not parts.username or parts.password is None:
        raise ValueError(_("IMAP_URL needs a user, a password and a host: imaps://user:pass@host/"))
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError(_("IMAP_URL has an invalid port.")) from None
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapSettings(
        host=parts.hostname,
        port=port,
        security={"imaps": "tls", "imap+starttls": "starttls", "imap": "none"}[scheme],
        username=unquote(parts.username),
        password=unquote(parts.password),
        folder=folder,
    )


def quote_folder(name: str) -> str:
    if not name.isascii() or any(ch in name for ch in "\r\n"):
        raise ValueError(_("IMAP folder names must be plain ASCII: “%(name)s”.") % {"name": name})
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)


def _check(response: tuple[str, list], what: str) -> list:
    status, data = response
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise MailboxError(
            _("%(what)s failed: %(detail)s") % {"what": what, "detail": detail or status}
        )
    return data


class ImapMailbox:
    """One session with the mailbox's folder selected; ``with ImapMailbox(...) as box``."""

    def __init__(self, config: ImapSettings, *, timeout: float, done_folder: str) -> None:
        self.config = config
        self.timeout = timeout
        self.done_folder = done_folder
        self.connection: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapMailbox:
        config = self.config
        context = ssl.create_default_context()
        if config.security == "tls":
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                config.host, config.port, ssl_context=context, timeout=self.timeout
            )
        else:
            connection = imaplib.IMAP4(config.host, config.port, timeout=self.timeout)
            if config.security == "starttls":
                _check(connection.starttls(ssl_context=context), "STARTTLS")
        self.connection = connection
        try:
            try:
                _check(
                    connection.login(config.username, config.password),
                    pgettext("mailbox step", "Sign-in"),
                )
            except imaplib.IMAP4.error as exc:  # imaplib raises on a refused LOGIN
                raise MailboxError(_("Sign-in failed: %(error)s") % {"error": _text(exc)}) from None
            if self.done_folder:
                # Make sure the done folder exists (NO when it already does: fine).
                connection.create(quote_folder(self.done_folder))
            _check(
                connection.select(quote_folder(config.folder)),
                pgettext("mailbox step", "Opening %(folder)s") % {"folder": config.folder},
            )
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            connection.logout()

    @property
    def imap(self) -> imaplib.IMAP4:
        assert self.connection is not None, "use ImapMailbox as a context manager"
        return self.connection

    def waiting_uids(self) -> list[str]:
        """UIDs of the messages still to take, oldest first (IMAP UIDs are ASCII digits)."""
        criterion = "ALL" if self.done_folder else "UNSEEN"
        data = _check(self.imap.uid("SEARCH", criterion), pgettext("mailbox step", "Search"))
        return sorted((data[0] or b"").decode("ascii", "replace").split(), key=int)

    def size(self, uid: str) -> int | None:
        """The message's size in bytes; None when it is gone (another poller moved it)."""
        data = _check(
            self.imap.uid("FETCH", uid, "(RFC822.SIZE)"), pgettext("mailbox step", "Reading a size")
        )
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            found = SIZE_RE.search(line or b"")
            if found:
                return int(found.group(1))
        return None

    def fetch(self, uid: str, *, limit: int | None = None) -> bytes | None:
        """The message's bytes (the first ``limit`` bytes only, when given), without marking it
        seen; None when it is gone."""
        section = "BODY.PEEK[]" if limit is None else f"BODY.PEEK[]<0.{limit}>"
        data = _check(
            self.imap.uid("FETCH", uid, f"({section})"),
            pgettext("mailbox step", "Reading a message"),
        )
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None

    def mark_done(self, uid: str) -> None:
        """Move the message to the done folder (or flag it seen when there is none)."""
        imap = self.imap
        if not self.done_folder:
            _check(
                imap.uid("STORE", uid, "+FLAGS.SILENT", "(\\Seen)"),
                pgettext("mailbox step", "Flagging as seen"),
            )
            return
        folder = quote_folder(self.done_folder)
        capabilities = {c.upper() for c in imap.capabilities}
        if "MOVE" in capabilities:
            _check(
                imap.uid("MOVE", uid, folder),
                pgettext("mailbox step", "Moving to %(folder)s") % {"folder": self.done_folder},
            )
            return
        _check(imap.uid("COPY", uid, folder), f"Copying to {self.done_folder}")
        _check(
            imap.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)"),
            pgettext("mailbox step", "Flagging as deleted"),
        )
        if "UIDPLUS" in capabilities:
            _check(imap.uid("EXPUNGE", uid), "Expunging")
        else:
            _check(imap.expunge(), "Expunging")


class Ingest(Protocol):
    def __call__(self, *, raw: bytes, size: int) -> str: ...


@dataclass
class PollResult:
    taken: int = 0
    outcomes: Counter = field(default_factory=Counter)
    more_waiting: bool = False


def mailbox_poll(
    config: ImapSettings,
    *,
    ingest: Ingest,
    done_folder: str,
    max_bytes: int,
    timeout: float,
    batch: int = POLL_BATCH,
    budget_bytes: int = POLL_BYTES,
    budget_seconds: float = POLL_SECONDS,
) -> PollResult:
    """Take up to ``batch`` waiting messages: ``ingest`` each (it commits), then mark it done.
    A poll also stops once it has read ``budget_bytes`` or worked ``budget_seconds``.

    ``ingest(raw=…, size=…)`` returns the outcome's name; ``size`` is the whole message's size
    when ``raw`` holds only its first ``max_bytes`` bytes. An exception from ``ingest`` (the
    database is down) stops the poll with that message left in place for the next one.
    """
    result = PollResult()
    started = time.monotonic()
    read = 0
    with ImapMailbox(config, timeout=timeout, done_folder=done_folder) as box:
        uids = box.waiting_uids()
        result.more_waiting = len(uids) > batch
        for position, uid in enumerate(uids[:batch]):
            if position and (read >= budget_bytes or time.monotonic() - started >= budget_seconds):
                result.more_waiting = True
                break
            size = box.size(uid)
            if size is None:
                continue
            raw = box.fetch(uid, limit=max_bytes if size > max_bytes else None)
            if raw is None:
                continue
            read += len(raw)
            outcome = ingest(raw=raw, size=size)
            box.mark_done(uid)
            result.taken += 1
            result.outcomes[outcome] += 1
    return result
