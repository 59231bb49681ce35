"""Reading a raw email: who sent it, what it answers, its new text, its attachments, and whether a
person or a machine wrote it. Pure: no Django, no I/O, no clock.

MIME, encoded words and charsets are Python's ``email`` package with ``policy.default``; the quoted
earlier mail is cut by mail-parser-reply; HTML-only mail is sanitised by nh3 and turned into text
by html2text. ``email_parse`` raises ``UnreadableEmail`` (with the reason a person can act on) for a
message whose sender or body cannot be read; everything else is read as well as it can be.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses

import html2text
import nh3
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

MAX_IDS = 50  # message ids read from In-Reply-To / References (long threads carry hundreds)
MAX_FILENAME = 150
MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,250}>")
TICKET_NUMBER_RE = re.compile(r"\[#(\d{1,12})\]")
# Senders that are machines reporting on mail, never people (RFC 3834 and common practice).
MACHINE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
BULK_PRECEDENCE = frozenset({"bulk", "auto_reply", "list", "junk"})
AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoreply-From", "X-Mail-Autoreply")
# Lines that introduce a forwarded message: its text is the point of the mail, never cut.
FORWARD_MARKERS = re.compile(
    r"^\s*(?:-{3,}\s*(?:Forwarded message|Vidarebefordrat meddelande|Weitergeleitete Nachricht|"
    r"Message transféré|Videresendt meddelelse|Mensaje reenviado)\s*-{3,}|"
    r"Begin forwarded message:|Början på vidarebefordrat meddelande:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# The line above which our emails ask the customer to write ("##- Please type your reply above
# this line -##", in any language): everything from it down is our own email, quoted.
REPLY_MARKER_RE = re.compile(r"^[>\s]*##-.{0,200}-##\s*$", re.MULTILINE)
FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|vb|wg|tr|rv|doorst)\s*:", re.IGNORECASE)
# Structural defects after which the body cannot be trusted to be what the sender wrote.
FATAL_DEFECTS = ("NoBoundaryInMultipartDefect", "StartBoundaryNotFoundDefect")

_reply_parser = EmailReplyParser(languages=sorted(MAIL_LANGUAGES))


class UnreadableEmail(Exception):
    """The message cannot be read; ``reason`` says why, for the rejected-mail list."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Bounce:
    """A delivery failure report: the Message-IDs of the mail that failed, and why."""

    original_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class ParsedEmail:
    identity: str  # the Message-ID with its angle brackets, or a content hash in that form
    has_message_id: bool
    from_email: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    delivered_to: tuple[str, ...]  # Delivered-To / X-Original-To: the help desk's own addresses
    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str  # the whole text of the message (HTML converted when it has no text part)
    body: str  # the new text: ``text`` with the quoted earlier mail cut off
    attachments: tuple[Attachment, ...]
    # Why a machine sent it (auto-reply, bulk, mail system); "" for a person's mail.
    automatic: str
    # The sender asks for no automatic answers (X-Auto-Response-Suppress): no acknowledgement.
    suppresses_auto_response: bool
    bounce: Bounce | None
    language: str  # the primary tag of Content-Language, lower case ("" when absent)
    date_header: str  # the sender's Date, for the record only: never a clock moment

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """In-Reply-To first, then References newest first: the most specific match wins."""
        seen: dict[str, None] = {}
        for message_id in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(message_id, None)
        return tuple(seen)


def email_parse(raw: bytes) -> ParsedEmail:
    """Read ``raw`` (the message as received). Raises ``UnreadableEmail``."""
    if not raw.strip():
        raise UnreadableEmail("The message is empty.")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        return _read(message, raw)
    except UnreadableEmail:
        raise
    except Exception as exc:  # the email package's surprises: keep the mail, say what broke
        reason = f"The message could not be parsed ({type(exc).__name__}: {exc})."
        raise UnreadableEmail(reason) from exc


def raw_digest(raw: bytes) -> str:
    """The SHA-256 of the bytes as received (hex), to keep each unreadable message once."""
    return hashlib.sha256(raw).hexdigest()


def content_identity(raw: bytes) -> str:
    """A stable identity for a message without a Message-ID, in Message-ID form.

    The hash covers the headers a sender writes (From, To, Cc, Subject, Date) and the body, not the
    trace headers that each relay adds, so the same message delivered twice by different routes
    gets the same identity.
    """
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    message = BytesParser(policy=policy.compat32).parsebytes(head + b"\n\n", headersonly=True)
    digest = hashlib.sha256()
    for name in ("From", "To", "Cc", "Subject", "Date"):
        for value in message.get_all(name, []):
            digest.update(name.encode() + b":" + str(value).strip().encode("utf-8", "replace"))
            digest.update(b"\n")
    digest.update(b"\n")
    digest.update(body.strip())
    return f"<sha256-{digest.hexdigest()}@no-message-id.invalid>"


def ticket_number_in_subject(subject: str) -> int | None:
    found = TICKET_NUMBER_RE.search(subject)
    return int(found.group(1)) if found else None


def message_ids(value: str) -> tuple[str, ...]:
    return tuple(MESSAGE_ID_RE.findall(value or ""))[:MAX_IDS]


def html_to_text(html: str) -> str:
    """Sanitise ``html`` (nh3: no scripts, styles or remote images) and turn it into plain text."""
    converter = html2text.HTML2Text()
    converter.body_width = 0  # keep the sender's lines
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    text = converter.handle(nh3.clean(html, clean_content_tags={"script", "style", "title"}))
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def cut_quoted(text: str, *, is_forward: bool = False) -> str:
    """The new text of a reply: ``text`` without the quoted earlier mail below it.

    A forwarded message is kept whole (its text is the point). When nothing is left after the
    cut (a reply that is all quote), the whole text is kept: nothing the sender wrote is lost.
    The kept lines are the sender's own (the parser trims each line; we take the original lines).
    """
    text = text.strip()
    marker = REPLY_MARKER_RE.search(text)
    if marker is not None and text[: marker.start()].strip():
        return cut_quoted(text[: marker.start()], is_forward=is_forward)
    if not text or is_forward or FORWARD_MARKERS.search(text):
        return text
    reply = (_reply_parser.parse_reply(text) or "").strip()
    if not reply:
        return text
    normalized = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    kept = reply.split("\n")
    if normalized[: len(kept)] == kept:
        original = text.replace("\r\n", "\n").split("\n")
        return "\n".join(original[: len(kept)]).rstrip()
    return reply


# --- Reading a parsed message ------------------------------------------------------------------


def _read(message: EmailMessage, raw: bytes) -> ParsedEmail:
    for defect in message.defects:
        if type(defect).__name__ in FATAL_DEFECTS:
            raise UnreadableEmail(f"Broken MIME structure: {_defect_text(defect)}")
    from_name, from_email = _sender(message)
    identity_header = message_ids(_header(message, "Message-ID"))
    has_message_id = bool(identity_header)
    identity = identity_header[0] if has_message_id else content_identity(raw)
    subject = _header(message, "Subject")
    bounce = _bounce(message, from_email)
    text, attachments = _content(message)
    is_forward = bool(FORWARD_SUBJECT.match(subject))
    return ParsedEmail(
        identity=identity,
        has_message_id=has_message_id,
        from_email=from_email,
        from_name=from_name,
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        delivered_to=tuple(
            address
            for name in ("Delivered-To", "X-Original-To")
            for _name, address in getaddresses(message.get_all(name, []))
            if "@" in address
        ),
        subject=" ".join(subject.split()),
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        text=text,
        body=cut_quoted(text, is_forward=is_forward),
        attachments=tuple(attachments) if bounce is None else (),
        automatic=_automatic(message, from_email) if bounce is None else "delivery report",
        suppresses_auto_response=_suppresses_auto_response(message),
        bounce=bounce,
        language=_header(message, "Content-Language").split(",")[0].strip().split("-")[0].lower(),
        date_header=_header(message, "Date"),
    )


def _defect_text(defect: Exception) -> str:
    name = type(defect).__name__
    return {
        "NoBoundaryInMultipartDefect": "a multipart message without a boundary",
        "StartBoundaryNotFoundDefect": "the multipart boundary never appears in the body",
    }.get(name, name)


def clean_text(value: str) -> str:
    """Text any database can store: 8-bit bytes that the parser kept as surrogates are read as
    UTF-8 (else Latin-1), and NUL characters are dropped."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        data = value.encode("utf-8", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("latin-1")
    value = value.encode("utf-8", "replace").decode("utf-8")  # any other lone surrogate
    return value.replace("\x00", "")


def _header(message: Message, name: str) -> str:
    raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    if raw is None:
        return ""
    if isinstance(raw, str) and any("\udc80" <= ch <= "\udcff" for ch in raw):
        # Raw 8-bit bytes in a header (RFC 6532 allows UTF-8; older clients send Latin-1): the
        # parser would turn them into replacement characters, so read them ourselves.
        return clean_text(" ".join(raw.split()))
    try:
        value = message.get(name)
    except Exception:  # a header the registry cannot parse: its raw text will do
        value = raw
    return clean_text(str(value)) if value is not None else ""


def _sender(message: EmailMessage) -> tuple[str, str]:
    addresses = _address_list(message, "From")
    if not addresses:
        raw_from = _header(message, "From")
        if not raw_from:
            raise UnreadableEmail("The message has no From address: there is nobody to answer.")
        raise UnreadableEmail(f"The From address cannot be read: {raw_from[:200]!r}.")
    name, address = addresses[0]
    return name, address


def _address_list(message: Message, name: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    try:
        header = message.get(name)
        groups = getattr(header, "addresses", ()) if header is not None else ()
    except Exception:
        groups = ()
    for address in groups:
        if not isinstance(address, Address):
            continue
        addr_spec = clean_text(address.addr_spec or "").strip()
        if "@" in addr_spec and not addr_spec.startswith("@") and not addr_spec.endswith("@"):
            found.append((clean_text(address.display_name or "").strip(), addr_spec))
    return found


def _addresses(message: Message, name: str) -> tuple[str, ...]:
    return tuple(address for _name, address in _address_list(message, name))


def _automatic(message: Message, from_email: str) -> str:
    """Why a machine sent this mail (RFC 3834 and common practice), or "" for a person."""
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in AUTOREPLY_HEADERS:
        if message.get(name) is not None:
            return f"{name} header"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if from_email.partition("@")[0].lower() in MACHINE_SENDERS:
        return f"sent by {from_email}"
    if _header(message, "Return-Path").strip() == "<>":
        return "null return path (a mail system's message)"
    return ""


def _suppresses_auto_response(message: Message) -> bool:
    """Outlook's X-Auto-Response-Suppress: the sender (often a system) wants no automatic
    answer such as an acknowledgement."""
    values = {v.strip().lower() for v in _header(message, "X-Auto-Response-Suppress").split(",")}
    return bool(values & {"all", "autoreply", "oof"})


def _content_text(part: Message) -> str:
    """A text part's content, decoded by its charset. A missing, wrong or unknown label falls
    back to UTF-8, then Windows-1252, rather than losing the text."""
    data = part.get_payload(decode=True) or b""
    if not isinstance(data, bytes):
        data = str(data).encode("utf-8", "surrogateescape")
    declared = part.get_content_charset() or "us-ascii"
    for charset in (declared, "utf-8"):
        try:
            return clean_text(data.decode(charset))
        except (LookupError, UnicodeDecodeError):
            continue
    return clean_text(data.decode("cp1252", "replace"))


def _body_part(message: EmailMessage) -> Message | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except Exception:
        return None


def _parts(message: Message, *, parent: str = "") -> Iterator[tuple[Message, str]]:
    """Leaf parts with their parent's multipart subtype, not descending into attached messages
    (an attached email is one file)."""
    if message.is_multipart() and message.get_content_maintype() == "multipart":
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _parts(part, parent=message.get_content_subtype())
    else:
        yield message, parent


def _is_inline_text(part: Message) -> bool:
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and not part.get_filename()
        and part.get_content_disposition() != "attachment"
    )


def _content(message: EmailMessage) -> tuple[str, list[Attachment]]:
    """The text (the body part, plus any further inline text parts that mail clients such as
    Apple Mail put between pictures) and the attachments."""
    body = _body_part(message)
    texts: list[str] = []
    if body is not None:
        text = _content_text(body)
        texts.append(html_to_text(text) if body.get_content_subtype() == "html" else text)
    attachments: list[Attachment] = []
    for number, (part, parent) in enumerate(_parts(message), start=1):
        if part is body:
            continue
        content_type = part.get_content_type()
        if _is_inline_text(part):
            if content_type == "text/plain" and parent != "alternative" and body is not None:
                texts.append(_content_text(part))
            continue  # otherwise another rendering of the body
        filename = part.get_filename()
        if content_type in ("message/rfc822", "message/global"):
            content = _attached_message_bytes(part)
            filename = filename or _attached_message_name(part)
        else:
            content = _decoded_payload(part)
        attachments.append(
            Attachment(
                filename=_safe_filename(filename, content_type=content_type, number=number),
                content_type=content_type[:100],
                content=content,
            )
        )
    text = "\n\n".join(t.replace("\r\n", "\n").strip() for t in texts if t.strip())
    return text, attachments


def _attached_message_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else payload
    if isinstance(inner, Message):
        return inner.as_bytes(policy=policy.SMTP)
    return _decoded_payload(part)


def _decoded_payload(part: Message) -> bytes:
    """A leaf part's content, its transfer encoding undone (nothing: no bytes)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _attached_message_name(part: Message) -> str:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else payload
    subject = _header(inner, "Subject") if isinstance(inner, Message) else ""
    return f"{subject or 'message'}.eml"


def _safe_filename(name: str | None, *, content_type: str, number: int) -> str:
    """A name safe to offer as a download: no folders, no control characters, a sane length."""
    name = clean_text(name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{number}{extension}"
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 10:
            name = stem[: MAX_FILENAME - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME]
    return name


# --- Bounces -----------------------------------------------------------------------------------


def _bounce(message: EmailMessage, from_email: str) -> Bounce | None:
    """A delivery failure report (RFC 3464 ``multipart/report``, or a mail system's plain-text
    bounce) with the Message-IDs of the failed mail; None for anything else."""
    is_report = message.get_content_type() == "multipart/report" and (
        str(message.get_param("report-type", "")).lower() == "delivery-status"
    )
    is_machine = from_email.partition("@")[0].lower() in MACHINE_SENDERS
    if not is_report and not is_machine:
        return None
    original_ids: list[str] = []
    reason = plain_reason = ""
    for part in _walk_all(message):
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            reason = reason or _delivery_status_reason(part)
        elif content_type in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                original_ids.extend(message_ids(_header(inner, "Message-ID")))
        elif content_type in ("text/rfc822-headers", "text/plain"):
            text = _content_text(part)
            original_ids.extend(
                MESSAGE_ID_RE.findall(" ".join(re.findall(r"(?im)^Message-ID:\s*(.*)$", text)))
            )
            if content_type == "text/plain" and not plain_reason:
                plain_reason = _plain_bounce_reason(text)
    if not is_report and not original_ids:
        return None  # a mail system writing about something else: an automatic message
    unique = tuple(dict.fromkeys(original_ids))[:MAX_IDS]
    reason = " ".join((reason or plain_reason).split())[:500]
    return Bounce(original_ids=unique, reason=reason or "Delivery failed (no reason given).")


def _walk_all(message: Message) -> Iterator[Message]:
    yield message
    if message.is_multipart():
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _walk_all(part)


def _delivery_status_reason(part: Message) -> str:
    fields: dict[str, str] = {}
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    for block in blocks:
        if isinstance(block, Message):
            for name, value in block.items():
                fields.setdefault(name.lower(), clean_text(str(value)))
    if not blocks:
        text = _content_text(part)
        for name, value in re.findall(r"(?m)^([A-Za-z-]+):\s*(.+)$", text):
            fields.setdefault(name.lower(), value.strip())
    diagnostic = fields.get("diagnostic-code", "")
    diagnostic = re.sub(r"^\s*smtp\s*;\s*", "", diagnostic, flags=re.IGNORECASE)
    status = fields.get("status", "")
    recipient = re.sub(r"^\s*rfc822\s*;\s*", "", fields.get("final-recipient", ""), flags=re.I)
    reason = " ".join(diagnostic.split()) or (f"status {status}" if status else "")
    if recipient and recipient.lower() not in reason.lower():
        reason = f"{recipient}: {reason}" if reason else recipient
    return reason


def _plain_bounce_reason(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if re.match(r"^[45]\d\d[\s-]", line) or re.search(r"\b[45]\.\d{1,3}\.\d{1,3}\b", line):
            return line
    return ""
